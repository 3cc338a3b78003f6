//! The scopes Gatehouse grants and checks: `data`, `client`, `widget:issue` (README,
//! "Route rules").
//!
//! Stored API-key records, token claims and `ROUTE_RULES` carry scopes as plain
//! strings, and records and rules may name a scope outside this list: such a scope is
//! kept as written and matched exactly (a rule requiring it admits only principals
//! holding it). So those places keep strings; this enum names every scope Gatehouse
//! itself grants or requires, and is the list a new key's scopes are checked against.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A scope Gatehouse knows. Written and read as its string (`data`, `client`,
/// `widget:issue`), in JSON as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The data routes (`GET /*` by default).
    Data,
    /// The widget-facing routes (`/display`, `/comments`).
    Client,
    /// Issuing widget credentials (`/widget/generateToken`, `/widget/login/token`).
    WidgetIssue,
}

impl Scope {
    /// Every scope, in the order a new key lists them by default.
    pub(crate) const ALL: [Scope; 3] = [Scope::Data, Scope::Client, Scope::WidgetIssue];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Data => "data",
            Scope::Client => "client",
            Scope::WidgetIssue => "widget:issue",
        }
    }

    /// The scope spelled exactly `s` (case-sensitive), if Gatehouse knows it.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name Gatehouse does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown scope `{}`", self.0)
    }
}

impl std::error::Error for UnknownScope {}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Scope, UnknownScope> {
        Scope::parse(s).ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scope, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_their_strings_everywhere() {
        for (scope, s) in [
            (Scope::Data, "data"),
            (Scope::Client, "client"),
            (Scope::WidgetIssue, "widget:issue"),
        ] {
            assert_eq!(scope.as_str(), s);
            assert_eq!(scope.to_string(), s);
            assert_eq!(s.parse::<Scope>(), Ok(scope));
            assert_eq!(Scope::parse(s), Some(scope));
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
        }
    }

    #[test]
    fn unknown_or_differently_spelled_scopes_are_not_scopes() {
        for bad in ["", "Data", "widget", "widget:Issue", " data", "data client"] {
            assert_eq!(Scope::parse(bad), None, "{bad:?}");
            assert!(serde_json::from_str::<Scope>(&format!("{bad:?}")).is_err());
        }
        assert_eq!(
            "reports".parse::<Scope>().unwrap_err().to_string(),
            "unknown scope `reports`"
        );
    }
}
