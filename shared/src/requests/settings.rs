//! The runtime-settings bodies (README "Admin API", settings): an administrator writes a
//! whole settings item. Strict: every field is required and an unknown one is a 400
//! naming it.

use serde::Deserialize;

use crate::credentials::users::names::{UserKind, parse_roles};
use crate::credentials::users::settings::{
    LoginSettings, MAX_DOMAINS, SignupMode, SignupSettings, parse_domain,
};
use crate::error::{Error, Result};

/// `POST /admin/settings/signup` body.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetSignup {
    pub mode: SignupMode,
    /// Domains like `example.com` (lower-cased, repeats dropped, at most 100); `domain`
    /// mode needs at least one.
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub allowed_domains: Vec<String>,
    /// Needs `EMAIL_FROM` (409 `email_not_configured` without it).
    pub require_email_verification: bool,
    pub default_kind: UserKind,
    /// At most 16, each `[a-z0-9_-]{1,32}`.
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub default_roles: Vec<String>,
}

impl SetSignup {
    /// The settings to store: domains checked, lower-cased and without repeats (at most
    /// [`MAX_DOMAINS`], at least one in `domain` mode), roles checked.
    pub fn checked(&self) -> Result<SignupSettings> {
        let mut domains: Vec<String> = Vec::new();
        for raw in &self.allowed_domains {
            let d = parse_domain(raw)?;
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        if domains.len() > MAX_DOMAINS {
            return Err(Error::bad_request(format!(
                "allowed_domains: at most {MAX_DOMAINS} domains"
            )));
        }
        if self.mode == SignupMode::Domain && domains.is_empty() {
            return Err(Error::bad_request(
                "allowed_domains: mode `domain` needs at least one domain",
            ));
        }
        let roles = parse_roles(&self.default_roles)
            .map_err(|e| Error::bad_request(format!("default_roles: {e}")))?;
        Ok(SignupSettings {
            mode: self.mode,
            allowed_domains: domains,
            require_email_verification: self.require_email_verification,
            default_kind: self.default_kind,
            default_roles: roles,
        })
    }
}

/// `POST /admin/settings/login` body.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetLogin {
    /// `false` only while an identity provider is enabled (409 `no_sign_in_method`).
    pub password_login: bool,
}

impl SetLogin {
    pub fn settings(&self) -> LoginSettings {
        LoginSettings {
            password_login: self.password_login,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::widget::from_json;
    use serde_json::{Value, json};

    fn body() -> Value {
        json!({"mode": "domain", "allowed_domains": ["Example.COM", "example.com", "b.org"],
            "require_email_verification": false, "default_kind": "end_user",
            "default_roles": ["analyst", "analyst"]})
    }

    fn message(v: Value) -> String {
        let r = from_json::<SetSignup>(v).and_then(|b| b.checked());
        match r {
            Err(Error::BadRequest(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_signup_body_is_checked_lower_cased_and_deduplicated() {
        let s = from_json::<SetSignup>(body()).unwrap().checked().unwrap();
        assert_eq!(s.mode, SignupMode::Domain);
        assert_eq!(s.allowed_domains, ["example.com", "b.org"]);
        assert_eq!(s.default_kind, UserKind::EndUser);
        assert_eq!(s.default_roles, ["analyst"]);
        assert!(!s.require_email_verification);
    }

    #[test]
    fn a_bad_signup_body_is_a_400_naming_the_field() {
        for field in [
            "mode",
            "allowed_domains",
            "require_email_verification",
            "default_kind",
            "default_roles",
        ] {
            let mut b = body();
            b.as_object_mut().unwrap().remove(field);
            assert!(message(b).contains(field), "missing {field}");
        }
        let mut b = body();
        b["extra"] = json!(1);
        assert!(message(b).contains("extra"));
        for (field, value) in [
            ("mode", json!("Open")),
            ("default_kind", json!("admin")),
            ("allowed_domains", json!(["not a domain"])),
            ("allowed_domains", json!([])),
            ("default_roles", json!(["Bad Role"])),
        ] {
            let mut b = body();
            b[field] = value.clone();
            assert!(message(b).contains(field), "{field}: {value}");
        }
        let mut b = body();
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.com")).collect();
        b["allowed_domains"] = json!(many);
        assert!(message(b).contains("at most 100"));
        // Repeats count once.
        let mut b = body();
        b["allowed_domains"] = json!(vec!["a.com"; MAX_DOMAINS + 5]);
        assert!(from_json::<SetSignup>(b).unwrap().checked().is_ok());
        // Open and closed need no domain.
        let mut b = body();
        b["mode"] = json!("closed");
        b["allowed_domains"] = json!([]);
        assert!(from_json::<SetSignup>(b).unwrap().checked().is_ok());
    }

    #[test]
    fn a_login_body_is_strict() {
        let b: SetLogin = from_json(json!({"password_login": true})).unwrap();
        assert!(b.settings().password_login);
        assert!(from_json::<SetLogin>(json!({})).is_err());
        assert!(from_json::<SetLogin>(json!({"password_login": true, "sso": 1})).is_err());
        assert!(from_json::<SetLogin>(json!({"password_login": "false"})).is_err());
    }
}
