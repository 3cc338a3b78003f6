//! Which new passwords are accepted: a length in code points (never truncated, no
//! composition rules), not a common password, not built on the user's own names
//! (docs/DECISIONS.md, "Passwords"). Sign-in never applies these: a password set
//! under older rules still verifies.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// Least `PASSWORD_MIN_LENGTH` may be.
pub const MIN_LENGTH_FLOOR: usize = 8;
/// Most `PASSWORD_MIN_LENGTH` may be.
pub const MIN_LENGTH_CEILING: usize = 64;
/// The default least length.
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// The longest password accepted, in code points.
pub const MAX_LENGTH: usize = 128;
/// Context words shorter than this are not looked for (a two-letter user name would
/// refuse half the dictionary).
pub const CONTEXT_WORD_MIN: usize = 4;
/// The product name, always a context word.
const PRODUCT: &str = "gatehouse";

/// The shipped list of common passwords: lower-case, one a line, `#` comments.
static BLOCKLIST: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("blocklist.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Why a new password is refused; each has a code and a message for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// On the list of common passwords.
    Common,
    /// Contains the user name, the e-mail's local part or the product name.
    ContextWord,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TooShort { .. } => "password_too_short",
            Refusal::TooLong { .. } => "password_too_long",
            Refusal::Common => "password_common",
            Refusal::ContextWord => "password_context_word",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooShort { min } => write!(f, "the password must have at least {min} characters"),
            Refusal::TooLong { max } => write!(f, "the password must have at most {max} characters"),
            Refusal::Common => f.write_str("the password is too common: choose another"),
            Refusal::ContextWord => f.write_str(
                "the password must not contain your user name, your e-mail address or the product name",
            ),
        }
    }
}

/// The words of this user a password must not contain: the user name, the e-mail's
/// local part and its parts, and the product name; lower-case, each of at least
/// [`CONTEXT_WORD_MIN`] code points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextWords(Vec<String>);

impl ContextWords {
    /// The words of a user with `username` and `email` (either may be absent).
    pub fn new(username: Option<&str>, email: Option<&str>) -> Self {
        let local = email.map(|e| e.rsplit_once('@').map_or(e, |(local, _)| local));
        let mut words = vec![PRODUCT.to_owned()];
        for word in [username, local].into_iter().flatten() {
            words.push(word.to_owned());
            words.extend(
                word.split(|c: char| !c.is_alphanumeric())
                    .map(str::to_owned),
            );
        }
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| w.trim().to_lowercase())
            .filter(|w| w.chars().count() >= CONTEXT_WORD_MIN)
            .collect();
        words.sort();
        words.dedup();
        ContextWords(words)
    }

    fn found_in(&self, lowered: &str) -> bool {
        self.0.iter().any(|w| lowered.contains(w.as_str()))
    }
}

/// The rules for new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    min_length: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

impl Policy {
    /// A policy whose least length is `min_length`, clamped to
    /// [`MIN_LENGTH_FLOOR`]..=[`MIN_LENGTH_CEILING`] (the configuration refuses
    /// values outside it).
    pub fn new(min_length: usize) -> Self {
        Policy {
            min_length: min_length.clamp(MIN_LENGTH_FLOOR, MIN_LENGTH_CEILING),
        }
    }

    /// Accepts `password` or says why not: length first, then the list, then the
    /// context words. The whole password is judged: nothing is cut or normalised.
    pub fn check(&self, password: &SecretString, context: &ContextWords) -> Result<(), Refusal> {
        let password = password.expose_secret();
        let length = password.chars().count();
        if length < self.min_length {
            return Err(Refusal::TooShort {
                min: self.min_length,
            });
        }
        if length > MAX_LENGTH {
            return Err(Refusal::TooLong { max: MAX_LENGTH });
        }
        let lowered = password.to_lowercase();
        if BLOCKLIST.contains(lowered.as_str()) {
            return Err(Refusal::Common);
        }
        if context.found_in(&lowered) {
            return Err(Refusal::ContextWord);
        }
        Ok(())
    }

    /// What a UI shows before the user types (`GET /users/password-policy`).
    pub fn rules(&self) -> PasswordRules {
        PasswordRules {
            min_length: self.min_length,
            max_length: MAX_LENGTH,
            blocklist: true,
            context_words: true,
        }
    }
}

/// The password rules as a UI reads them. Lengths count code points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordRules {
    pub min_length: usize,
    pub max_length: usize,
    /// Common passwords are refused.
    pub blocklist: bool,
    /// Passwords containing the user name, the e-mail's local part or the product
    /// name are refused.
    pub context_words: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), Refusal> {
        Policy::default().check(
            &SecretString::from(password),
            &ContextWords::new(None, None),
        )
    }

    /// A password of `n` code points no rule but the length refuses.
    fn of_length(n: usize) -> String {
        "ab3Xy9".chars().cycle().take(n).collect()
    }

    #[test]
    fn the_least_length_is_accepted_and_one_less_refused() {
        assert_eq!(check(&of_length(14)), Err(Refusal::TooShort { min: 15 }));
        assert_eq!(check(&of_length(15)), Ok(()));
    }

    #[test]
    fn the_greatest_length_is_accepted_and_one_more_refused_not_cut() {
        assert_eq!(check(&of_length(128)), Ok(()));
        assert_eq!(check(&of_length(129)), Err(Refusal::TooLong { max: 128 }));
        // Truncation would have accepted it: its first 128 code points pass.
        assert_eq!(check(&of_length(129)[..128]), Ok(()));
    }

    #[test]
    fn an_emoji_counts_as_one_code_point() {
        let key = "\u{1F511}";
        assert_eq!(key.len(), 4, "four bytes");
        let fourteen = format!("{}{key}", of_length(13));
        assert_eq!(check(&fourteen), Err(Refusal::TooShort { min: 15 }));
        assert_eq!(check(&format!("{}{key}", of_length(14))), Ok(()));
        let emoji_only: String = key.repeat(15);
        assert_eq!(check(&emoji_only), Ok(()));
        assert_eq!(check(&key.repeat(129)), Err(Refusal::TooLong { max: 128 }));
    }

    #[test]
    fn the_least_length_is_configurable_from_8_to_64() {
        let context = ContextWords::new(None, None);
        let p8 = Policy::new(8);
        assert_eq!(p8.check(&of_length(8).into(), &context), Ok(()));
        assert_eq!(
            p8.check(&of_length(7).into(), &context),
            Err(Refusal::TooShort { min: 8 })
        );
        assert_eq!(Policy::new(3), Policy::new(8));
        assert_eq!(Policy::new(100), Policy::new(64));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        let p = Policy::new(8);
        let none = ContextWords::new(None, None);
        for common in [
            "password",
            "PassWord",
            "QWERTY123",
            "iloveyou",
            "passwordpassword",
        ] {
            assert_eq!(
                p.check(&common.into(), &none),
                Err(Refusal::Common),
                "{common}"
            );
        }
        assert_eq!(p.check(&"password-but-longer".into(), &none), Ok(()));
    }

    #[test]
    fn the_shipped_list_is_lower_case_with_at_least_8_characters() {
        assert!(BLOCKLIST.len() >= 300, "{}", BLOCKLIST.len());
        for entry in BLOCKLIST.iter() {
            assert!(entry.chars().count() >= 8, "{entry}");
            assert_eq!(*entry, entry.to_lowercase(), "{entry}");
        }
    }

    #[test]
    fn context_words_are_refused_in_any_case() {
        let context = ContextWords::new(Some("Marguerite"), Some("j.doe-smith@example.com"));
        let p = Policy::default();
        for bad in [
            "my-name-is-MARGUERITE!",
            "j.doe-smith rides a bike",
            "the smith of the village",
            "welcome to GateHouse today",
        ] {
            assert_eq!(
                p.check(&bad.into(), &context),
                Err(Refusal::ContextWord),
                "{bad}"
            );
        }
        // "doe" is shorter than four code points, and the domain is not a context word.
        assert_eq!(p.check(&"a doe at example.com".into(), &context), Ok(()));
    }

    #[test]
    fn context_words_are_the_names_their_parts_and_the_product() {
        let words = ContextWords::new(Some("Ann"), Some("Jean.Luc+tag@x.org"));
        // "ann", "luc" and "tag" are shorter than four code points.
        assert_eq!(words.0, ["gatehouse", "jean", "jean.luc+tag"]);
    }

    #[test]
    fn every_refusal_has_a_code_and_a_message() {
        for r in [
            Refusal::TooShort { min: 15 },
            Refusal::TooLong { max: 128 },
            Refusal::Common,
            Refusal::ContextWord,
        ] {
            assert!(r.as_str().starts_with("password_"));
            assert!(r.to_string().starts_with("the password"));
        }
        assert!(Refusal::TooShort { min: 15 }.to_string().contains("15"));
    }

    #[test]
    fn the_rules_a_ui_reads() {
        let json = serde_json::to_value(Policy::default().rules()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "min_length": 15, "max_length": 128, "blocklist": true, "context_words": true
            })
        );
    }
}
