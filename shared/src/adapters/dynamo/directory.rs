//! The people listing's side of the table: the name lists on `gsi1` (a Query, never a
//! Scan) and the user's conditional delete (README "People").

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::users::{REV, USER_ID};
use super::*;
use crate::credentials::apps::AppGrant;
use crate::credentials::users::directory::{IndexPage, NameIndex};
use crate::credentials::users::{Invite, User};
use crate::records::key::{GSI1, GSI1_PK, GSI1_SK};

/// The `gsi1pk` of the `uname#` items: the user names, sorted on `gsi1`.
pub(super) const USERS_BY_NAME: &str = "users#u";
/// The `gsi1pk` of the `email#` items.
pub(super) const USERS_BY_EMAIL: &str = "users#e";

impl NameIndex {
    fn partition(self) -> &'static str {
        match self {
            NameIndex::Usernames => USERS_BY_NAME,
            NameIndex::Emails => USERS_BY_EMAIL,
        }
    }

    /// The `pk` of the item listed under `name`.
    fn item_key(self, name: &str) -> String {
        match self {
            NameIndex::Usernames => Key::UserName(name).pk(),
            NameIndex::Emails => Key::UserEmail(name).pk(),
        }
    }
}

/// A unique-name item (`uname#`, `email#`) pointing at `user_id`, listed on `gsi1`
/// under `gsi1pk` by the name itself; a pending user's carry its expiry.
fn name_item(pk: String, user: &User, gsi1pk: &str, name: &str) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&pk));
    item.insert(USER_ID.into(), s(&user.id));
    item.insert(GSI1_PK.into(), s(gsi1pk));
    item.insert(GSI1_SK.into(), s(name));
    if let Some(t) = user.expires_at {
        item.insert(EXPIRES_AT.into(), n(t));
    }
    item
}

impl DynamoStore {
    /// The transaction's puts of a new user's name items, each only if the name is free
    /// at `now`: absent, held by an expired pending sign-up (README "People", sign-up:
    /// TTL deletion can lag by days, so the condition decides, not the TTL), or held by
    /// `replaces`, the pending holder the same transaction deletes.
    pub(super) fn name_puts(
        &self,
        user: &User,
        now: i64,
        replaces: Option<&User>,
    ) -> Result<Vec<TransactWriteItem>> {
        let mut items = Vec::new();
        if let Some(name) = &user.username {
            let pk = Key::UserName(name.as_str()).pk();
            items.push(name_item(pk, user, USERS_BY_NAME, name.as_str()));
        }
        if let Some(e) = &user.email {
            let pk = Key::UserEmail(e.key()).pk();
            items.push(name_item(pk, user, USERS_BY_EMAIL, e.key()));
        }
        items
            .into_iter()
            .map(|item| self.put_if_free_in_transaction(item, now, replaces.map(|r| r.id.as_str())))
            .collect()
    }

    /// A new user's transaction ([`UserStore::create_user`]): the user, its invite, the
    /// grant it is invited for, and its name items, each new.
    ///
    /// [`UserStore::create_user`]: crate::credentials::users::UserStore::create_user
    pub(super) fn new_user_items(
        &self,
        user: &User,
        invite: Option<&Invite>,
        grant: Option<&AppGrant>,
    ) -> Result<Vec<TransactWriteItem>> {
        let mut items = vec![self.put_new_in_transaction(super::users::user_item(user))?];
        if let Some(invite) = invite {
            items.push(self.put_new_in_transaction(super::invites::invite_item(invite))?);
        }
        if let Some(grant) = grant {
            items.extend(self.grant_puts(grant)?);
        }
        items.extend(self.name_puts(user, user.created_at, None)?);
        Ok(items)
    }

    /// One page of a name list: a Query of `gsi1` in the list's partition.
    pub(super) async fn query_user_index(
        &self,
        index: NameIndex,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<IndexPage> {
        let partition = index.partition();
        self.allow(Request::query(GSI1, partition))?;
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(partition))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        // A key condition may not compare with an empty string: no prefix, no condition.
        query = if prefix.is_empty() {
            query.key_condition_expression("#p = :p")
        } else {
            query
                .key_condition_expression("#p = :p AND begins_with(#s, :q)")
                .expression_attribute_names("#s", GSI1_SK)
                .expression_attribute_values(":q", s(prefix))
        };
        if let Some(name) = after {
            query = query
                .exclusive_start_key(PK, s(&index.item_key(name)))
                .exclusive_start_key(GSI1_PK, s(partition))
                .exclusive_start_key(GSI1_SK, s(name));
        }
        let out = query
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        let entries = out
            .items()
            .iter()
            .map(|i| Ok((get_s(i, GSI1_SK)?, get_s(i, USER_ID)?)))
            .collect::<Result<Vec<_>>>()?;
        let last = out
            .last_evaluated_key()
            .map(|k| get_s(k, GSI1_SK))
            .transpose()?;
        Ok(IndexPage { entries, last })
    }

    /// A transaction's delete of the user item, only if its `rev` is still the one read.
    pub(super) fn user_delete_if_unchanged(&self, user: &User) -> Result<TransactWriteItem> {
        self.delete_if_in_transaction(
            &Key::User(&user.id).pk(),
            "#rev = :rev",
            &[("#rev", REV)],
            vec![(":rev", n(user.rev as i64))],
        )
    }
}
