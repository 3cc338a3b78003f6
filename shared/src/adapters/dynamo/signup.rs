//! The sign-up's records (README "People", sign-up): a pending user with its name items
//! and its verification token in one transaction, replacing an expired pending holder;
//! the e-mail tokens; verification, which removes every expiry at once.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::users::{CHANGED_AT, EMAIL_VERIFIED, REV, STATUS, USER_ID, bad, internal, user_item};
use super::*;
use crate::credentials::users::signup::{EmailToken, SignupRecords, SignupStore, TokenPurpose};
use crate::credentials::users::{User, UserStatus};

const PURPOSE: &str = "purpose";
const EMAIL_KEY: &str = "email_key";

fn token_item(t: &EmailToken) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&Key::EmailToken(&t.hash).pk()));
    item.insert(PURPOSE.into(), s(t.purpose.as_str()));
    item.insert(USER_ID.into(), s(&t.user_id));
    item.insert(EMAIL_KEY.into(), s(&t.email_key));
    if let Some(at) = t.password_changed_at {
        item.insert(CHANGED_AT.into(), n(at));
    }
    item.insert("created_at".into(), n(t.created_at));
    item.insert(EXPIRES_AT.into(), n(t.expires_at));
    item
}

impl DynamoStore {
    /// The deletes that replace a pending holder `old` of the new user's e-mail (an
    /// expired sign-up; for single sign-on, a squatter): its user item (unchanged since
    /// read, so still pending) and its user name unless the new user takes that name
    /// over (still its own). Its e-mail item is overwritten by the new user's put.
    pub(super) fn replace_holder(&self, old: &User, new: &User) -> Result<Vec<TransactWriteItem>> {
        let mut items = vec![self.delete_if_in_transaction(
            &Key::User(&old.id).pk(),
            "#rev = :rev AND #st = :pending",
            &[("#rev", REV), ("#st", STATUS)],
            vec![
                (":rev", n(old.rev as i64)),
                (":pending", s(UserStatus::PendingVerification.as_str())),
            ],
        )?];
        if let Some(name) = old
            .username
            .as_ref()
            .filter(|n| Some(*n) != new.username.as_ref())
        {
            items.push(self.delete_if_in_transaction(
                &Key::UserName(name.as_str()).pk(),
                "#uid = :uid",
                &[("#uid", USER_ID)],
                vec![(":uid", s(&old.id))],
            )?);
        }
        Ok(items)
    }

    /// A transaction's update removing the expiry of a name item still pointing at `user_id`.
    fn keep_name(&self, pk: &str, user_id: &str) -> Result<TransactWriteItem> {
        self.allow(Request::update(pk, &[PK, USER_ID, EXPIRES_AT]))?;
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(pk))
            .update_expression("REMOVE #exp")
            .condition_expression("#uid = :uid")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_names("#uid", USER_ID)
            .expression_attribute_values(":uid", s(user_id))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The user's update of a verification: active, verified, no expiry, the revision
    /// bumped; only if still pending at the revision read.
    fn activate(&self, user: &User) -> Result<TransactWriteItem> {
        let pk = Key::User(&user.id).pk();
        self.allow(Request::update(
            &pk,
            &[PK, STATUS, EMAIL_VERIFIED, REV, EXPIRES_AT],
        ))?;
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(&pk))
            .update_expression("SET #st = :active, #ev = :t, #rev = :next REMOVE #exp")
            .condition_expression("#rev = :rev AND #st = :pending")
            .expression_attribute_names("#st", STATUS)
            .expression_attribute_names("#ev", EMAIL_VERIFIED)
            .expression_attribute_names("#rev", REV)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
            .expression_attribute_values(":pending", s(UserStatus::PendingVerification.as_str()))
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":rev", n(user.rev as i64))
            .expression_attribute_values(":next", n(user.rev as i64 + 1))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

impl SignupStore for DynamoStore {
    async fn create_signup_user(&self, r: &SignupRecords<'_>) -> Result<bool> {
        let mut items = vec![self.put_new_in_transaction(user_item(r.user))?];
        items.extend(self.name_puts(r.user, r.now, r.replaces)?);
        if let Some(token) = r.token {
            items.push(self.put_new_in_transaction(token_item(token))?);
        }
        if let Some(old) = r.replaces {
            items.extend(self.replace_holder(old, r.user)?);
        }
        self.transact(items).await
    }

    async fn put_email_token(&self, token: &EmailToken) -> Result<()> {
        self.put_fresh(token_item(token)).await
    }

    async fn get_email_token(&self, hash: &str) -> Result<Option<EmailToken>> {
        let Some(item) = self.get(&Key::EmailToken(hash).pk()).await? else {
            return Ok(None);
        };
        Ok(Some(EmailToken {
            hash: hash.to_owned(),
            purpose: TokenPurpose::parse(&get_s(&item, PURPOSE)?).ok_or_else(|| bad(PURPOSE))?,
            user_id: get_s(&item, USER_ID)?,
            email_key: get_s(&item, EMAIL_KEY)?,
            password_changed_at: get_n(&item, CHANGED_AT)?,
            created_at: get_n(&item, "created_at")?.unwrap_or(0),
            expires_at: get_n(&item, EXPIRES_AT)?.unwrap_or(0),
        }))
    }

    async fn verify_email(&self, user: &User, token: &EmailToken) -> Result<bool> {
        let mut items = vec![
            self.delete_existing_in_transaction(&Key::EmailToken(&token.hash).pk())?,
            self.activate(user)?,
        ];
        if let Some(name) = &user.username {
            items.push(self.keep_name(&Key::UserName(name.as_str()).pk(), &user.id)?);
        }
        if let Some(e) = &user.email {
            items.push(self.keep_name(&Key::UserEmail(e.key()).pk(), &user.id)?);
        }
        self.transact(items).await
    }
}
