//! The runtime settings items (README "People", sign-up): `settings#signup` and
//! `settings#login`, typed attributes an operator can read in the table.

use super::*;
use crate::credentials::users::UserKind;
use crate::credentials::users::settings::{
    Changed, LoginSettings, SettingsStore, SignupMode, SignupSettings, StoredSettings,
};
use crate::records::key::{SETTING_LOGIN, SETTING_SIGNUP};

const MODE: &str = "mode";
const DOMAINS: &str = "allowed_domains";
const VERIFY: &str = "require_email_verification";
const KIND: &str = "default_kind";
const ROLES: &str = "default_roles";
const PASSWORD_LOGIN: &str = "password_login";

fn bad(what: &str) -> Error {
    Error::Internal(format!("stored settings have a bad `{what}`"))
}

fn strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v)).collect())
}

fn get_strings(item: &Item, k: &str) -> Result<Vec<String>> {
    match item.get(k) {
        None => Ok(Vec::new()),
        Some(AttributeValue::L(l)) => l
            .iter()
            .map(|v| v.as_s().cloned().map_err(|_| bad(k)))
            .collect(),
        Some(_) => Err(bad(k)),
    }
}

fn get_bool(item: &Item, k: &str) -> Result<bool> {
    item.get(k)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .ok_or_else(|| bad(k))
}

fn signup_from(item: &Item) -> Result<SignupSettings> {
    Ok(SignupSettings {
        mode: SignupMode::parse(&get_s(item, MODE)?).ok_or_else(|| bad(MODE))?,
        allowed_domains: get_strings(item, DOMAINS)?,
        require_email_verification: get_bool(item, VERIFY)?,
        default_kind: UserKind::parse(&get_s(item, KIND)?).ok_or_else(|| bad(KIND))?,
        default_roles: get_strings(item, ROLES)?,
    })
}

/// A settings item: its fields and who changed it when.
pub(super) fn setting_item(
    name: &str,
    fields: Vec<(&str, AttributeValue)>,
    changed: &Changed<'_>,
) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&Key::Setting(name).pk()));
    for (k, v) in fields {
        item.insert(k.into(), v);
    }
    item.insert("updated_at".into(), n(changed.at));
    item.insert("updated_by".into(), s(changed.by));
    item
}

impl DynamoStore {
    /// Writes `item` whole, replacing what was there.
    pub(super) async fn put_whole(&self, item: Item) -> Result<()> {
        self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        Ok(())
    }
}

impl SettingsStore for DynamoStore {
    async fn get_settings(&self) -> Result<StoredSettings> {
        let signup = self.get(&Key::Setting(SETTING_SIGNUP).pk()).await?;
        let login = self.get(&Key::Setting(SETTING_LOGIN).pk()).await?;
        Ok(StoredSettings {
            signup: signup.as_ref().map(signup_from).transpose()?,
            login: login
                .as_ref()
                .map(|item| {
                    Ok::<_, Error>(LoginSettings {
                        password_login: get_bool(item, PASSWORD_LOGIN)?,
                    })
                })
                .transpose()?,
        })
    }

    async fn put_signup_settings(&self, v: &SignupSettings, changed: &Changed<'_>) -> Result<()> {
        let fields = vec![
            (MODE, s(v.mode.as_str())),
            (DOMAINS, strings(&v.allowed_domains)),
            (VERIFY, AttributeValue::Bool(v.require_email_verification)),
            (KIND, s(v.default_kind.as_str())),
            (ROLES, strings(&v.default_roles)),
        ];
        self.put_whole(setting_item(SETTING_SIGNUP, fields, changed))
            .await
    }

    async fn put_login_settings(&self, v: &LoginSettings, changed: &Changed<'_>) -> Result<()> {
        let fields = vec![(PASSWORD_LOGIN, AttributeValue::Bool(v.password_login))];
        self.put_whole(setting_item(SETTING_LOGIN, fields, changed))
            .await
    }
}
