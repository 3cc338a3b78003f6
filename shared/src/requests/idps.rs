//! The identity-provider bodies (README "Single sign-on"): `POST /admin/idps` adds one,
//! `/update` changes the fields it names, `/disable`, `/delete` and `/test` name one.
//! Strict: an unknown field is a 400 naming it. Every URL passes the outbound rule.

use secrecy::SecretString;
use serde::Deserialize;

use crate::credentials::idps::identity::check_sub;
use crate::credentials::idps::secrets::{check_client_secret, last4};
use crate::credentials::idps::{ClaimMap, Provider, Provisioning, valid_id};
use crate::credentials::oidc::id_token::SUPPORTED_ALGS;
use crate::credentials::oidc::url::OutboundRule;
use crate::credentials::users::UserKind;
use crate::credentials::users::names::{MAX_DISPLAY_NAME, parse_roles};
use crate::credentials::users::settings::{MAX_DOMAINS, parse_domain};
use crate::error::{Error, Result};
use crate::requests::admin::checked_user_id;

/// The scopes of a provider added without any.
pub const DEFAULT_SCOPES: &str = "openid email profile";
/// The id_token algorithms of a provider added without any.
pub const DEFAULT_ALGS: [&str; 2] = ["RS256", "ES256"];

/// `claim_map` in a body: the claims naming the person.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimMapBody {
    /// Default `preferred_username`.
    pub username: Option<String>,
    /// Default `name`.
    pub display_name: Option<String>,
}

/// `POST /admin/idps` and `POST /admin/idps/update` body. Adding needs `display_name`,
/// `issuer`, `client_id` and `client_secret`; an update replaces the fields it gives.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdpBody {
    /// `[a-z0-9][a-z0-9-]{0,31}`.
    pub id: String,
    pub display_name: Option<String>,
    /// https with a DNS host name, no query or fragment (README "Single sign-on").
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// 16 to 1024 printable ASCII characters; stored in `IDP_SECRETS` only, answered as
    /// its last four characters.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub client_secret: Option<SecretString>,
    /// Space-separated; must contain `openid` (default "openid email profile").
    pub scopes: Option<String>,
    /// A subset of RS256, RS384, RS512, PS256, PS384, PS512, ES256 (default RS256, ES256).
    pub allowed_algs: Option<Vec<String>>,
    pub claim_map: Option<ClaimMapBody>,
    /// Domains like `example.com`; empty admits any verified e-mail.
    pub allowed_email_domains: Option<Vec<String>>,
    /// Only `existing_only` in this release (docs/DECISIONS.md, "Single sign-on").
    pub provisioning: Option<Provisioning>,
    /// Default `end_user`.
    pub default_kind: Option<UserKind>,
    pub default_roles: Option<Vec<String>>,
    /// Default `true` for a new provider.
    pub enabled: Option<bool>,
}

/// `POST /admin/idps/disable` and `/delete` body.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdpRef {
    pub id: String,
}

impl IdpRef {
    pub fn checked(&self) -> Result<&str> {
        checked_id(&self.id)
    }
}

/// `POST /admin/users/link-identity` body: the provider's subject `sub` signs in as
/// the user (README "Single sign-on").
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkIdentity {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    pub user_id: String,
    /// A configured provider's id.
    pub idp: String,
    /// The provider's `sub` for the person (1 to 255 characters).
    pub sub: String,
}

impl LinkIdentity {
    /// The user id, the provider id and the subject, each checked (400).
    pub fn checked(&self) -> Result<(&str, &str, &str)> {
        check_sub(&self.sub)?;
        Ok((
            checked_user_id(&self.user_id)?,
            checked_id(&self.idp)?,
            &self.sub,
        ))
    }
}

/// `POST /admin/idps/test` body: a stored provider by `id`, or an `issuer` not saved yet.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TestIdp {
    pub id: Option<String>,
    pub issuer: Option<String>,
    pub allowed_algs: Option<Vec<String>>,
}

/// What `test` probes: a stored provider, or an issuer with its algorithms.
pub enum TestTarget<'a> {
    Stored(&'a str),
    Issuer(String, Vec<String>),
}

impl TestIdp {
    pub fn target(&self, rule: &OutboundRule) -> Result<TestTarget<'_>> {
        match (&self.id, &self.issuer) {
            (Some(id), None) if self.allowed_algs.is_none() => {
                Ok(TestTarget::Stored(checked_id(id)?))
            }
            (None, Some(issuer)) => Ok(TestTarget::Issuer(
                checked_issuer(issuer, rule)?,
                checked_algs(self.allowed_algs.as_deref())?,
            )),
            _ => Err(Error::bad_request(
                "give `id` (a stored provider) or `issuer` (and `allowed_algs`), not both",
            )),
        }
    }
}

fn checked_id(id: &str) -> Result<&str> {
    if valid_id(id) {
        Ok(id)
    } else {
        Err(Error::bad_request(
            "id: 1-32 of a-z, 0-9 and `-`, starting with a letter or digit",
        ))
    }
}

fn checked_issuer(raw: &str, rule: &OutboundRule) -> Result<String> {
    rule.issuer(raw)
        .map_err(|e| Error::bad_request(format!("issuer: {e}")))
}

fn checked_text(field: &str, raw: &str, max: usize) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        Err(Error::bad_request(format!(
            "{field}: 1 to {max} characters, no control characters"
        )))
    } else {
        Ok(t.to_owned())
    }
}

/// A claim name: 1-64 printable ASCII characters.
fn checked_claim(field: &str, raw: &str) -> Result<String> {
    if (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw.to_owned())
    } else {
        Err(Error::bad_request(format!(
            "{field}: a claim name of 1-64 printable characters"
        )))
    }
}

/// Scopes: space-separated RFC 6749 scope tokens, at most 20, `openid` among them.
fn checked_scopes(raw: &str) -> Result<Vec<String>> {
    let token_ok = |t: &str| {
        t.len() <= 64
            && t.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    let mut scopes: Vec<String> = Vec::new();
    for t in raw.split(' ').filter(|t| !t.is_empty()) {
        if !token_ok(t) {
            return Err(Error::bad_request("scopes: space-separated scope names"));
        }
        if !scopes.iter().any(|s| s == t) {
            scopes.push(t.to_owned());
        }
    }
    if scopes.len() > 20 || !scopes.iter().any(|s| s == "openid") {
        return Err(Error::bad_request(
            "scopes: at most 20, and `openid` among them",
        ));
    }
    Ok(scopes)
}

fn checked_algs(raw: Option<&[String]>) -> Result<Vec<String>> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_ALGS.map(String::from).to_vec());
    };
    let mut algs: Vec<String> = Vec::new();
    for a in raw {
        if !SUPPORTED_ALGS.contains(&a.as_str()) {
            return Err(Error::bad_request(format!(
                "allowed_algs: each one of {}",
                SUPPORTED_ALGS.join(", ")
            )));
        }
        if !algs.contains(a) {
            algs.push(a.clone());
        }
    }
    if algs.is_empty() {
        return Err(Error::bad_request("allowed_algs: at least one"));
    }
    Ok(algs)
}

fn checked_domains(raw: &[String]) -> Result<Vec<String>> {
    let mut domains: Vec<String> = Vec::new();
    for d in raw {
        let d = parse_domain(d).map_err(|_| {
            Error::bad_request("allowed_email_domains: each must be a domain like example.com")
        })?;
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    if domains.len() > MAX_DOMAINS {
        return Err(Error::bad_request(format!(
            "allowed_email_domains: at most {MAX_DOMAINS} domains"
        )));
    }
    Ok(domains)
}

fn required<'a, T>(field: &str, v: &'a Option<T>) -> Result<&'a T> {
    v.as_ref()
        .ok_or_else(|| Error::bad_request(format!("{field}: required")))
}

impl IdpBody {
    pub fn id(&self) -> Result<&str> {
        checked_id(&self.id)
    }

    /// A new provider from this body (its required fields present), by `by` at `now`,
    /// and its secret.
    pub fn new_provider(
        &self,
        rule: &OutboundRule,
        by: &str,
        now: i64,
    ) -> Result<(Provider, &SecretString)> {
        required("display_name", &self.display_name)?;
        required("issuer", &self.issuer)?;
        required("client_id", &self.client_id)?;
        let secret = required("client_secret", &self.client_secret)?;
        let base = Provider {
            id: self.id()?.to_owned(),
            display_name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            scopes: checked_scopes(DEFAULT_SCOPES)?,
            allowed_algs: checked_algs(None)?,
            claim_map: ClaimMap::default(),
            allowed_email_domains: Vec::new(),
            provisioning: Provisioning::ExistingOnly,
            default_kind: UserKind::EndUser,
            default_roles: Vec::new(),
            enabled: true,
            client_secret_last4: String::new(),
            created_at: now,
            updated_at: now,
            updated_by: by.to_owned(),
        };
        Ok((self.apply(&base, rule, by, now)?, secret))
    }

    /// `stored` with the fields given replaced, by `by` at `now`.
    pub fn apply(
        &self,
        stored: &Provider,
        rule: &OutboundRule,
        by: &str,
        now: i64,
    ) -> Result<Provider> {
        let mut p = stored.clone();
        if let Some(d) = &self.display_name {
            p.display_name = checked_text("display_name", d, MAX_DISPLAY_NAME)?;
        }
        if let Some(i) = &self.issuer {
            p.issuer = checked_issuer(i, rule)?;
        }
        if let Some(c) = &self.client_id {
            p.client_id = checked_text("client_id", c, 255)?;
        }
        if let Some(s) = &self.client_secret {
            check_client_secret(s)?;
            p.client_secret_last4 = last4(s);
        }
        if let Some(s) = &self.scopes {
            p.scopes = checked_scopes(s)?;
        }
        if let Some(a) = &self.allowed_algs {
            p.allowed_algs = checked_algs(Some(a))?;
        }
        if let Some(m) = &self.claim_map {
            p.claim_map = checked_claim_map(m, &p.claim_map)?;
        }
        if let Some(d) = &self.allowed_email_domains {
            p.allowed_email_domains = checked_domains(d)?;
        }
        if let Some(v) = self.provisioning {
            p.provisioning = v;
        }
        if let Some(k) = self.default_kind {
            p.default_kind = k;
        }
        if let Some(r) = &self.default_roles {
            p.default_roles =
                parse_roles(r).map_err(|e| Error::bad_request(format!("default_roles: {e}")))?;
        }
        p.enabled = self.enabled.unwrap_or(p.enabled);
        p.stamp(by, now);
        Ok(p)
    }
}

fn checked_claim_map(m: &ClaimMapBody, stored: &ClaimMap) -> Result<ClaimMap> {
    Ok(ClaimMap {
        username: match &m.username {
            Some(u) => checked_claim("claim_map.username", u)?,
            None => stored.username.clone(),
        },
        display_name: match &m.display_name {
            Some(d) => checked_claim("claim_map.display_name", d)?,
            None => stored.display_name.clone(),
        },
    })
}
