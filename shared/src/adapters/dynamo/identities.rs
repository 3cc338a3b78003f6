//! Single sign-on identities (README "Single sign-on"): `ident#` and `uident#` items,
//! linked in one transaction with the user's list of them.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::invites::Expr;
use super::users::{IDENTITIES, REV, USER_ID, internal};
use super::*;
use crate::credentials::idps::identity::{IdentityLink, IdentityStore};
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
        let hash = link.hash();
        let mut ident = Item::new();
        ident.insert(
            PK.into(),
            s(&Key::Identity {
                provider: &link.provider,
                hash: &hash,
            }
            .pk()),
        );
        ident.insert(USER_ID.into(), s(&user.id));
        ident.insert("idp".into(), s(&link.provider));
        ident.insert("iss".into(), s(&link.iss));
        ident.insert("sub".into(), s(&link.sub));
        ident.insert("created_at".into(), n(link.created_at));
        ident.insert("created_by".into(), s(&link.created_by));
        let mut uident = Item::new();
        let key = Key::UserIdentity {
            user: &user.id,
            provider: &link.provider,
        }
        .pk();
        uident.insert(PK.into(), s(&key));
        uident.insert("ident".into(), s(&hash));
        uident.insert("created_at".into(), n(link.created_at));
        self.transact(vec![
            self.identity_update(user, link)?,
            self.put_new_in_transaction(ident)?,
            self.put_new_in_transaction(uident)?,
        ])
        .await
    }
}
