//! The providers item (README "Single sign-on"): `settings#idps`, the map by id as one
//! JSON document in `providers` (docs/DECISIONS.md, "Single sign-on"), with who wrote it
//! when.

use super::settings::setting_item;
use super::*;
use crate::credentials::idps::{IdpStore, Providers};
use crate::credentials::users::settings::Changed;
use crate::records::key::SETTING_IDPS;

const PROVIDERS: &str = "providers";

impl IdpStore for DynamoStore {
    async fn get_idps(&self) -> Result<Providers> {
        let Some(item) = self.get(&Key::Setting(SETTING_IDPS).pk()).await? else {
            return Ok(Providers::default());
        };
        serde_json::from_str(&get_s(&item, PROVIDERS)?)
            .map_err(|e| Error::Internal(format!("stored providers do not parse: {e}")))
    }

    async fn put_idps(&self, providers: &Providers, changed: &Changed<'_>) -> Result<()> {
        let doc = serde_json::to_string(providers)
            .map_err(|e| Error::Internal(format!("providers: {e}")))?;
        let fields = vec![(PROVIDERS, s(&doc))];
        self.put_whole(setting_item(SETTING_IDPS, fields, changed))
            .await
    }
}
