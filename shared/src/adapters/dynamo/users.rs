//! People, their sessions and the sign-in lockout counters in the table.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::invites::{Expr, credential_parts, invite_from};
use super::*;
use crate::credentials::apps::AppGrant;
use crate::credentials::users::directory::{IndexPage, NameIndex};
use crate::credentials::users::{
    Email, Identifier, Invite, PasswordHash, SessionChange, User, UserKind, UserSession,
    UserSessionStore, UserStatus, UserStore, Username,
};
use crate::records::lockout::{Counter, LockoutStore, Swap};

pub(super) const USER_ID: &str = "user_id";
pub(super) const REV: &str = "rev";
const SESSIONS: &str = "sessions";
pub(super) const IDENTITIES: &str = "identities";
pub(super) const STATUS: &str = "status";
pub(super) const PHC: &str = "phc";
pub(super) const CHANGED_AT: &str = "password_changed_at";
pub(super) const INVITE: &str = "invite";
pub(super) const EMAIL_VERIFIED: &str = "email_verified";

fn list(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v)).collect())
}

fn get_list(item: &Item, k: &str) -> Vec<String> {
    match item.get(k) {
        Some(AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn bad(what: &str) -> Error {
    Error::Internal(format!("stored user record has a bad `{what}`"))
}

pub(super) fn user_item(u: &User) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&Key::User(&u.id).pk()));
    if let Some(name) = &u.username {
        item.insert("username".into(), s(name.as_str()));
    }
    if let Some(e) = &u.email {
        item.insert("email".into(), s(e.shown()));
        item.insert("email_key".into(), s(e.key()));
    }
    item.insert(
        EMAIL_VERIFIED.into(),
        AttributeValue::Bool(u.email_verified),
    );
    if let Some(d) = &u.display_name {
        item.insert("display_name".into(), s(d));
    }
    item.insert("kind".into(), s(u.kind.as_str()));
    item.insert("roles".into(), list(&u.roles));
    item.insert(STATUS.into(), s(u.status.as_str()));
    if let Some(p) = &u.password {
        item.insert(PHC.into(), s(&p.0));
    }
    if let Some(t) = u.password_changed_at {
        item.insert(CHANGED_AT.into(), n(t));
    }
    if let Some(h) = &u.invite {
        item.insert(INVITE.into(), s(h));
    }
    item.insert(SESSIONS.into(), list(&u.sessions));
    if !u.identities.is_empty() {
        item.insert(IDENTITIES.into(), list(&u.identities));
    }
    item.insert(REV.into(), n(u.rev as i64));
    item.insert("created_at".into(), n(u.created_at));
    item.insert("created_by".into(), s(&u.created_by));
    if let Some(t) = u.expires_at {
        item.insert(EXPIRES_AT.into(), n(t));
    }
    item
}

fn user_from(id: &str, item: &Item) -> Result<User> {
    let username = get_opt_s(item, "username")
        .map(|n| Username::parse(&n).map_err(|_| bad("username")))
        .transpose()?;
    Ok(User {
        id: id.to_owned(),
        username,
        email: get_opt_s(item, "email")
            .map(|e| Email::parse(&e).map_err(|_| bad("email")))
            .transpose()?,
        email_verified: item
            .get(EMAIL_VERIFIED)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        display_name: get_opt_s(item, "display_name"),
        kind: UserKind::parse(&get_s(item, "kind")?).ok_or_else(|| bad("kind"))?,
        roles: get_list(item, "roles"),
        status: UserStatus::parse(&get_s(item, STATUS)?).ok_or_else(|| bad(STATUS))?,
        password: get_opt_s(item, PHC).map(PasswordHash),
        password_changed_at: get_n(item, CHANGED_AT)?,
        invite: get_opt_s(item, INVITE),
        sessions: get_list(item, SESSIONS),
        identities: get_list(item, IDENTITIES),
        rev: get_n(item, REV)?.unwrap_or(0).max(0) as u64,
        created_at: get_n(item, "created_at")?.unwrap_or(0),
        created_by: get_opt_s(item, "created_by").unwrap_or_default(),
        expires_at: get_n(item, EXPIRES_AT)?,
    })
}

pub(super) fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

impl DynamoStore {
    /// A transaction's put of a new item (`attribute_not_exists`), checked against the
    /// access table first.
    pub(super) fn put_new_in_transaction(&self, item: Item) -> Result<TransactWriteItem> {
        self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) fn delete_in_transaction(&self, pk: &str) -> Result<TransactWriteItem> {
        self.allow(Request::delete(pk))?;
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(PK, s(pk))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool> {
        let r = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        applied(r)
    }

    /// The user item's update in a [`SessionChange`]: the new list, the bumped
    /// revision, the status, the credential parts; conditional on the revision read
    /// (and on `active` when a session opens).
    fn session_update(&self, c: &SessionChange) -> Result<TransactWriteItem> {
        let pk = Key::User(&c.user_id).pk();
        self.allow(Request::update(
            &pk,
            &[
                PK,
                SESSIONS,
                REV,
                STATUS,
                PHC,
                CHANGED_AT,
                INVITE,
                EMAIL_VERIFIED,
            ],
        ))?;
        let mut e = Expr::default();
        e.set("#s", SESSIONS, ":s", list(&c.sessions));
        e.set("#rev", REV, ":next", n(c.rev as i64 + 1));
        e.value(":rev", n(c.rev as i64));
        let mut condition = "#rev = :rev".to_owned();
        if let Some(status) = c.status {
            e.set("#st", STATUS, ":st", s(status.as_str()));
        }
        if c.open.is_some() {
            condition.push_str(" AND #st = :active");
            e.name("#st", STATUS);
            e.value(":active", s(UserStatus::Active.as_str()));
        }
        credential_parts(&mut e, &c.credentials);
        let update = e
            .apply(Update::builder().table_name(&self.table).key(PK, s(&pk)))
            .condition_expression(condition)
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

fn session_item(hash: &str, u: &UserSession) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&Key::UserSession(hash).pk()));
    item.insert(USER_ID.into(), s(&u.user_id));
    item.insert("kind".into(), s(u.kind.as_str()));
    item.insert("roles".into(), list(&u.roles));
    item.insert("created_at".into(), n(u.created_at));
    item.insert(EXPIRES_AT.into(), n(u.expires_at));
    item
}

impl UserStore for DynamoStore {
    async fn create_user(
        &self,
        user: &User,
        invite: Option<&Invite>,
        grant: Option<&AppGrant>,
    ) -> Result<bool> {
        self.transact(self.new_user_items(user, invite, grant)?)
            .await
    }

    async fn find_user_id(&self, identifier: &Identifier) -> Result<Option<String>> {
        let pk = match identifier {
            Identifier::Username(u) => Key::UserName(u.as_str()).pk(),
            Identifier::Email(e) => Key::UserEmail(e.key()).pk(),
        };
        Ok(self
            .get(&pk)
            .await?
            .and_then(|item| get_opt_s(&item, USER_ID)))
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>> {
        self.get(&Key::User(id).pk())
            .await?
            .map(|item| user_from(id, &item))
            .transpose()
    }

    async fn change_sessions(&self, c: &SessionChange) -> Result<bool> {
        let mut items = vec![self.session_update(c)?];
        if let Some((hash, session)) = &c.open {
            items.push(self.put_new_in_transaction(session_item(hash, session))?);
        }
        for hash in &c.delete {
            items.push(self.delete_in_transaction(&Key::UserSession(hash).pk())?);
        }
        items.extend(self.invite_items(&c.credentials)?);
        self.transact(items).await
    }

    async fn get_invite(&self, hash: &str) -> Result<Option<Invite>> {
        self.get(&Key::Invite(hash).pk())
            .await?
            .map(|item| invite_from(hash, &item))
            .transpose()
    }

    async fn replace_password_hash(
        &self,
        user_id: &str,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool> {
        let pk = Key::User(user_id).pk();
        self.allow(Request::update(&pk, &[PK, PHC]))?;
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&pk))
            .update_expression("SET #p = :new")
            .condition_expression("#p = :old")
            .expression_attribute_names("#p", PHC)
            .expression_attribute_values(":new", s(&new.0))
            .expression_attribute_values(":old", s(&old.0))
            .send()
            .await;
        applied(r)
    }

    async fn user_index_page(
        &self,
        index: NameIndex,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<IndexPage> {
        self.query_user_index(index, prefix, after, limit).await
    }

    async fn delete_user_records(&self, user: &User, grants: &[String]) -> Result<bool> {
        let mut items = vec![self.user_delete_if_unchanged(user)?];
        if let Some(name) = &user.username {
            items.push(self.delete_in_transaction(&Key::UserName(name.as_str()).pk())?);
        }
        if let Some(e) = &user.email {
            items.push(self.delete_in_transaction(&Key::UserEmail(e.key()).pk())?);
        }
        let sessions = user.sessions.iter().map(|h| Key::UserSession(h).pk());
        let invite = user.invite.iter().map(|h| Key::Invite(h).pk());
        let identities = user
            .identities
            .iter()
            .flat_map(|i| crate::records::key::identity_keys(&user.id, i));
        let grants = super::apps::grant_keys(&user.id, grants);
        for pk in sessions.chain(invite).chain(identities).chain(grants) {
            items.push(self.delete_in_transaction(&pk)?);
        }
        self.transact(items).await
    }
}

impl UserSessionStore for DynamoStore {
    async fn get_user_session(&self, hash: &str, now: i64) -> Result<Option<UserSession>> {
        let Some((item, expires_at)) = self.get_live(&Key::UserSession(hash).pk(), now).await?
        else {
            return Ok(None);
        };
        Ok(Some(UserSession {
            user_id: get_s(&item, USER_ID)?,
            kind: UserKind::parse(&get_s(&item, "kind")?).ok_or_else(|| bad("kind"))?,
            roles: get_list(&item, "roles"),
            created_at: get_n(&item, "created_at")?.unwrap_or(0),
            expires_at,
        }))
    }
}

const COUNT: &str = "count";
const LOCKED_UNTIL: &str = "locked_until";

impl DynamoStore {
    /// One counter's swap in a lockout transaction: a put over an absent or expired
    /// counter, else an update conditional on the count read.
    fn swap_item(&self, swap: &Swap, now: i64) -> Result<TransactWriteItem> {
        let pk = Key::Rate(&swap.key).pk();
        let new = swap.new;
        match swap.seen {
            None => {
                let mut item = Item::new();
                item.insert(PK.into(), s(&pk));
                item.insert(COUNT.into(), n(i64::from(new.count)));
                item.insert(LOCKED_UNTIL.into(), n(new.locked_until));
                item.insert(EXPIRES_AT.into(), n(new.expires_at));
                // An expired counter (`expires_at <= now`) is replaced.
                self.put_over_expired_in_transaction(item, now + 1)
            }
            Some(seen) => {
                self.allow(Request::update(&pk, &[PK, COUNT, LOCKED_UNTIL, EXPIRES_AT]))?;
                let update = Update::builder()
                    .table_name(&self.table)
                    .key(PK, s(&pk))
                    .update_expression("SET #c = :c, #lu = :lu, #exp = :exp")
                    .condition_expression("#c = :seen AND #exp > :now")
                    .expression_attribute_names("#c", COUNT)
                    .expression_attribute_names("#lu", LOCKED_UNTIL)
                    .expression_attribute_names("#exp", EXPIRES_AT)
                    .expression_attribute_values(":c", n(i64::from(new.count)))
                    .expression_attribute_values(":lu", n(new.locked_until))
                    .expression_attribute_values(":exp", n(new.expires_at))
                    .expression_attribute_values(":seen", n(i64::from(seen.count)))
                    .expression_attribute_values(":now", n(now))
                    .build()
                    .map_err(internal)?;
                Ok(TransactWriteItem::builder().update(update).build())
            }
        }
    }
}

impl LockoutStore for DynamoStore {
    async fn lockout_read(&self, keys: &[String], now: i64) -> Result<Vec<Option<Counter>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let counter = match self.get_live(&Key::Rate(key).pk(), now).await? {
                None => None,
                Some((item, expires_at)) => Some(Counter {
                    count: get_n(&item, COUNT)?
                        .unwrap_or(0)
                        .clamp(0, i64::from(u32::MAX)) as u32,
                    locked_until: get_n(&item, LOCKED_UNTIL)?.unwrap_or(0),
                    expires_at,
                }),
            };
            out.push(counter);
        }
        Ok(out)
    }

    async fn lockout_swap(&self, swaps: &[Swap], now: i64) -> Result<bool> {
        let items = swaps
            .iter()
            .map(|swap| self.swap_item(swap, now))
            .collect::<Result<Vec<_>>>()?;
        self.transact(items).await
    }

    async fn lockout_clear(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            self.delete_existing(&Key::Rate(key).pk()).await?;
        }
        Ok(())
    }
}
