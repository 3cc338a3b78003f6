//! Single sign-on's transactions and one-time codes (README "Single sign-on"):
//! `ssotx#` and `ssocode#` items, each consumed by a conditional delete.

use super::users::USER_ID;
use super::*;
use crate::credentials::idps::sso::{SsoGrant, SsoStore, SsoTransaction};

const IDP: &str = "idp";
const BROWSER: &str = "browser";
const RETURN_TO: &str = "return_to";

impl SsoStore for DynamoStore {
    async fn put_sso_transaction(&self, tx: &SsoTransaction) -> Result<()> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::SsoTransaction(&tx.state_hash).pk()));
        item.insert(IDP.into(), s(&tx.idp));
        item.insert(BROWSER.into(), s(&tx.browser));
        item.insert(RETURN_TO.into(), s(&tx.return_to));
        item.insert("created_at".into(), n(tx.created_at));
        item.insert(EXPIRES_AT.into(), n(tx.expires_at));
        self.put_fresh(item).await
    }

    async fn get_sso_transaction(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<Option<SsoTransaction>> {
        let pk = Key::SsoTransaction(state_hash).pk();
        let Some((item, expires_at)) = self.get_live(&pk, now).await? else {
            return Ok(None);
        };
        Ok(Some(SsoTransaction {
            state_hash: state_hash.to_owned(),
            idp: get_s(&item, IDP)?,
            browser: get_s(&item, BROWSER)?,
            return_to: get_s(&item, RETURN_TO)?,
            created_at: get_n(&item, "created_at")?.unwrap_or(0),
            expires_at,
        }))
    }

    async fn consume_sso_transaction(
        &self,
        state_hash: &str,
        browser: &str,
        now: i64,
    ) -> Result<bool> {
        let pk = Key::SsoTransaction(state_hash).pk();
        let taken = self.take_live(&pk, now, Some((BROWSER, browser))).await?;
        Ok(taken.is_some())
    }

    async fn put_sso_code(&self, code_hash: &str, grant: &SsoGrant, expires_at: i64) -> Result<()> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::SsoCode(code_hash).pk()));
        item.insert(USER_ID.into(), s(&grant.user_id));
        item.insert(IDP.into(), s(&grant.idp));
        item.insert(EXPIRES_AT.into(), n(expires_at));
        self.put_fresh(item).await
    }

    async fn consume_sso_code(&self, code_hash: &str, now: i64) -> Result<Option<SsoGrant>> {
        let taken = self
            .take_live(&Key::SsoCode(code_hash).pk(), now, None)
            .await?;
        taken
            .map(|item| {
                Ok(SsoGrant {
                    user_id: get_s(&item, USER_ID)?,
                    idp: get_s(&item, IDP)?,
                })
            })
            .transpose()
    }
}
