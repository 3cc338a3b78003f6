//! The names of people (issue 17): user names, e-mail addresses, the identifier a
//! person signs in with, kinds and roles, each parsed from attacker-controlled input
//! (`requests::users` re-exports them). Pure (no AWS types), so they are unit-tested
//! and fuzzed without the `aws` feature. Every refusal is a 400 that names the field.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest e-mail address accepted (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_LEN: usize = 254;
/// Most roles a user may hold.
pub const MAX_ROLES: usize = 16;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 128;

/// Longest user name taken from a provider's claim: 64 less a `-xxxx` suffix.
pub const CLAIMED_NAME_LEN: usize = 59;

/// A user name: `[a-z0-9._-]{3,64}`, lower-cased on input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username> {
        let name = raw.trim().to_ascii_lowercase();
        let ok = (3..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Username(name))
        } else {
            Err(Error::bad_request(
                "username must be 3-64 of a-z, 0-9, `.`, `_` and `-`",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name a provider's claim asks for (README "Single sign-on", provisioning):
    /// lower-cased, only `[a-z0-9._-]` kept, cut to [`CLAIMED_NAME_LEN`] characters
    /// (room for a [`Username::with_suffix`]) and padded with `0` to 3; `None` when
    /// nothing is left.
    pub fn from_claim(raw: &str) -> Option<Username> {
        let mut name: String = raw
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c))
            .take(CLAIMED_NAME_LEN)
            .collect();
        if name.is_empty() {
            return None;
        }
        while name.len() < 3 {
            name.push('0');
        }
        Some(Username(name))
    }

    /// This name with `-` and 4 random characters of `a-z0-9` appended (after a
    /// collision); the base is cut first so the result stays within 64.
    pub fn with_suffix(&self) -> Username {
        let base: String = self.0.chars().take(CLAIMED_NAME_LEN).collect();
        let tail = crate::primitives::crypto::random_base62(4).to_ascii_lowercase();
        Username(format!("{base}-{tail}"))
    }

    /// A name for a sign-up that chose none: `user-` and 10 random characters of
    /// `a-z0-9` (never derived from the e-mail, which stays secret).
    pub fn generated() -> Username {
        let tail = crate::primitives::crypto::random_base62(10).to_ascii_lowercase();
        Username(format!("user-{tail}"))
    }
}

/// An e-mail address: shown as entered (trimmed), unique by its lower-cased form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    shown: String,
    key: String,
}

impl Email {
    /// One `@` with a non-empty local part and a dotted domain, no whitespace or
    /// control character, at most [`MAX_EMAIL_LEN`] bytes. Deliverability is proven by
    /// the verification mail, not by this check.
    pub fn parse(raw: &str) -> Result<Email> {
        let shown = raw.trim();
        let bad = || Error::bad_request("email must be an address like name@example.com");
        if shown.len() > MAX_EMAIL_LEN || shown.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        let (local, domain) = shown.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || domain.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email {
            shown: shown.to_owned(),
            key: shown.to_lowercase(),
        })
    }

    /// As the person entered it (trimmed).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The form uniqueness is decided on: lower case.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The lower-cased domain: what domain lists are checked on.
    pub fn domain(&self) -> &str {
        self.key.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// What a person signs in with: a user name, or the e-mail (a user without a user name
/// has only that). An identifier with `@` is an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    Username(Username),
    Email(Email),
}

impl Identifier {
    pub fn parse(raw: &str) -> Result<Identifier> {
        let refused = |_| {
            Error::bad_request(
                "identifier must be a username (3-64 of a-z, 0-9, `.`, `_`, `-`) or an email",
            )
        };
        if raw.contains('@') {
            Email::parse(raw).map(Identifier::Email).map_err(refused)
        } else {
            Username::parse(raw)
                .map(Identifier::Username)
                .map_err(refused)
        }
    }

    /// The normalized form failures are counted under, whether or not an account has
    /// it: `u:<username>` or `e:<lower-cased e-mail>` (the two never collide).
    pub fn counter_key(&self) -> String {
        match self {
            Identifier::Username(u) => format!("u:{}", u.as_str()),
            Identifier::Email(e) => format!("e:{}", e.key()),
        }
    }
}

/// The two kinds of people besides administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    /// Builds analytics applications in the composer.
    Creator,
    /// Opens the applications that are public or shared with them.
    EndUser,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Creator => "creator",
            UserKind::EndUser => "end_user",
        }
    }
}

impl fmt::Display for UserKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A display name: trimmed, empty is none, at most [`MAX_DISPLAY_NAME`] characters and
/// no control character.
pub fn parse_display_name(raw: Option<&str>) -> Result<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) if d.chars().count() > MAX_DISPLAY_NAME || d.chars().any(char::is_control) => {
            Err(Error::bad_request(format!(
                "display_name: at most {MAX_DISPLAY_NAME} characters, no control characters"
            )))
        }
        Some(d) => Ok(Some(d.to_owned())),
    }
}

/// A user's roles: at most [`MAX_ROLES`], each `[a-z0-9_-]{1,32}`, kept in order
/// without repeats.
pub fn parse_roles(raw: &[String]) -> Result<Vec<String>> {
    if raw.len() > MAX_ROLES {
        return Err(Error::bad_request(format!(
            "roles: at most {MAX_ROLES} roles"
        )));
    }
    let mut roles: Vec<String> = Vec::with_capacity(raw.len());
    for role in raw {
        let ok = (1..=32).contains(&role.len())
            && role
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b));
        if !ok {
            return Err(Error::bad_request(
                "roles: each role must be 1-32 of a-z, 0-9, `_` and `-`",
            ));
        }
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claimed_names_are_normalized_cut_padded_and_suffixed_within_64() {
        let n = |raw: &str| Username::from_claim(raw).map(|u| u.as_str().to_owned());
        assert_eq!(n("Ann.Smith").as_deref(), Some("ann.smith"));
        assert_eq!(
            n("Ann Smith <ann@corp>").as_deref(),
            Some("annsmithanncorp")
        );
        assert_eq!(
            n("Zoë").as_deref(),
            Some("zo0"),
            "dropped, then padded to 3"
        );
        assert_eq!(n("x").as_deref(), Some("x00"));
        assert_eq!(n("ÜÏ çø"), None, "nothing left: generated instead");
        assert_eq!(n(""), None);
        let long = Username::from_claim(&"a".repeat(100)).unwrap();
        assert_eq!(long.as_str().len(), CLAIMED_NAME_LEN);
        let suffixed = long.with_suffix();
        assert_eq!(suffixed.as_str().len(), 64);
        assert!(
            suffixed
                .as_str()
                .starts_with(&format!("{}-", long.as_str()))
        );
        assert!(Username::parse(suffixed.as_str()).is_ok());
        assert_ne!(suffixed, long.with_suffix(), "random tails");
        let at_64 = Username::parse(&"b".repeat(64)).unwrap().with_suffix();
        assert_eq!(at_64.as_str().len(), 64, "a full name is cut first");
        assert_eq!(
            Email::parse("Ann@Corp.Example").unwrap().domain(),
            "corp.example"
        );
    }

    #[test]
    fn usernames_are_lower_cased_and_checked() {
        assert_eq!(
            Username::parse(" Alice.B-1_ ").unwrap().as_str(),
            "alice.b-1_"
        );
        assert_eq!(Username::parse("abc").unwrap().as_str(), "abc");
        let g = Username::generated();
        assert_eq!(Username::parse(g.as_str()).unwrap(), g);
        assert!(g.as_str().starts_with("user-") && g.as_str().len() == 15);
        assert_ne!(g, Username::generated());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        for bad in ["ab", &"a".repeat(65), "al ice", "alïce", "a/b", "", "a@b"] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
            assert!(err.to_string().contains("username"), "{err}");
        }
    }

    #[test]
    fn emails_are_shown_as_entered_and_unique_in_lower_case() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.shown(), "Ada.Lovelace@Example.COM");
        assert_eq!(e.key(), "ada.lovelace@example.com");
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN - 12));
        assert!(Email::parse(&long).is_ok());
        let too_long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN - 11));
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "a b@example.com",
            "ada@.example.com",
            "ada@example.com.",
            "ada@exa..mple.com",
            "ada\u{1}@example.com",
            too_long.as_str(),
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn identifiers_are_a_username_or_an_email_and_count_under_one_normal_form() {
        let u = Identifier::parse("Alice").unwrap();
        assert_eq!(u.counter_key(), "u:alice");
        assert_eq!(
            Identifier::parse(" alice ").unwrap().counter_key(),
            "u:alice"
        );
        let e = Identifier::parse("Alice@Example.com").unwrap();
        assert_eq!(e.counter_key(), "e:alice@example.com");
        assert!(matches!(e, Identifier::Email(_)));
        for bad in ["al", "alice@", "a b"] {
            let err = Identifier::parse(bad).unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(err.to_string().contains("identifier"), "{err}");
        }
    }

    #[test]
    fn roles_are_bounded_checked_and_deduplicated() {
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_roles(&roles(&["analyst", "viewer", "analyst"])).unwrap(),
            roles(&["analyst", "viewer"])
        );
        assert!(parse_roles(&roles(&[&"r".repeat(32)])).is_ok());
        let sixteen: Vec<String> = (0..16).map(|i| format!("r{i}")).collect();
        assert_eq!(parse_roles(&sixteen).unwrap().len(), 16);
        let seventeen: Vec<String> = (0..17).map(|i| format!("r{i}")).collect();
        for bad in [
            seventeen,
            roles(&[""]),
            roles(&[&"r".repeat(33)]),
            roles(&["Admin"]),
            roles(&["a b"]),
        ] {
            let err = parse_roles(&bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
            assert!(err.to_string().contains("roles"), "{err}");
        }
    }

    #[test]
    fn kinds_are_creator_or_end_user() {
        assert_eq!(
            serde_json::from_value::<UserKind>(json!("creator")).unwrap(),
            UserKind::Creator
        );
        assert_eq!(
            serde_json::from_value::<UserKind>(json!("end_user"))
                .unwrap()
                .as_str(),
            "end_user"
        );
        assert!(serde_json::from_value::<UserKind>(json!("admin")).is_err());
    }
}
