//! Single sign-on identities (README "Single sign-on"): `ident#` and `uident#` items,
//! linked in one transaction with the user's list of them, or written with the user a
//! provider's identity creates (provisioning).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::invites::Expr;
use super::users::{IDENTITIES, REV, USER_ID, internal, user_item};
use super::*;
use crate::credentials::idps::identity::{IdentityLink, IdentityStore, ProvisionedUser};
use crate::credentials::users::User;

impl DynamoStore {
    /// The user's update of a link: the identity appended, `rev` bumped, conditional on
    /// the `rev` read.
    fn identity_update(&self, user: &User, link: &IdentityLink) -> Result<TransactWriteItem> {
        let pk = Key::User(&user.id).pk();
        self.allow(Request::update(&pk, &[PK, IDENTITIES, REV]))?;
        let mut listed = user.identities.clone();
        listed.push(link.listed());
        let mut e = Expr::default();
        e.set(
            "#ids",
            IDENTITIES,
            ":ids",
            AttributeValue::L(listed.iter().map(|v| s(v)).collect()),
        );
        e.set("#rev", REV, ":next", n(user.rev as i64 + 1));
        e.value(":rev", n(user.rev as i64));
        let update = e
            .apply(Update::builder().table_name(&self.table).key(PK, s(&pk)))
            .condition_expression("#rev = :rev")
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The puts of an identity's two items for `user_id`, each only if absent.
    fn identity_puts(&self, user_id: &str, link: &IdentityLink) -> Result<[TransactWriteItem; 2]> {
        let hash = link.hash();
        let mut ident = Item::new();
        let provider = &link.provider;
        ident.insert(
            PK.into(),
            s(&Key::Identity {
                provider,
                hash: &hash,
            }
            .pk()),
        );
        ident.insert(USER_ID.into(), s(user_id));
        ident.insert("idp".into(), s(provider));
        ident.insert("iss".into(), s(&link.iss));
        ident.insert("sub".into(), s(&link.sub));
        ident.insert("created_at".into(), n(link.created_at));
        ident.insert("created_by".into(), s(&link.created_by));
        let mut uident = Item::new();
        let key = Key::UserIdentity {
            user: user_id,
            provider,
        }
        .pk();
        uident.insert(PK.into(), s(&key));
        uident.insert("ident".into(), s(&hash));
        uident.insert("created_at".into(), n(link.created_at));
        Ok([
            self.put_new_in_transaction(ident)?,
            self.put_new_in_transaction(uident)?,
        ])
    }
}

impl IdentityStore for DynamoStore {
    async fn identity_user(&self, provider: &str, hash: &str) -> Result<Option<String>> {
        let item = self.get(&Key::Identity { provider, hash }.pk()).await?;
        item.map(|i| get_s(&i, USER_ID)).transpose()
    }

    async fn has_identity_at(&self, user: &str, provider: &str) -> Result<bool> {
        let key = Key::UserIdentity { user, provider }.pk();
        Ok(self.get(&key).await?.is_some())
    }

    async fn link_identity(&self, user: &User, link: &IdentityLink) -> Result<bool> {
        let mut items = vec![self.identity_update(user, link)?];
        items.extend(self.identity_puts(&user.id, link)?);
        self.transact(items).await
    }

    async fn create_with_identity(&self, new: &ProvisionedUser<'_>) -> Result<bool> {
        let (user, now) = (new.user, new.user.created_at);
        let mut items = vec![self.put_new_in_transaction(user_item(user))?];
        items.extend(self.name_puts(user, now, new.replaces)?);
        items.extend(self.identity_puts(&user.id, new.link)?);
        if let Some(old) = new.replaces {
            items.extend(self.replace_holder(old, user)?);
        }
        self.transact(items).await
    }
}
