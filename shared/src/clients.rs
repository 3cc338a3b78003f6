//! OAuth clients of the survey-compatible `client_credentials` grant: the
//! `CLIENT_SECRETS` secret is a JSON array and `client_id` is index + 1. An entry is a
//! raw hex secret (compatibility), `sha256:<hex>` (clients added through the admin
//! API), or `null` / `"disabled"` (removed: the others keep their indexes).

use serde_json::Value;

use crate::crypto;
use crate::error::{Error, Result};

#[derive(Clone, PartialEq, Eq)]
enum Entry {
    Raw(String),
    Sha256(String),
    Disabled,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entry::Raw(_) => "Raw([redacted])",
            Entry::Sha256(_) => "Sha256(..)",
            Entry::Disabled => "Disabled",
        })
    }
}

/// The parsed client list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientList(Vec<Entry>);

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl ClientList {
    /// Parses the secret value. An entry that is none of the known forms is treated as
    /// disabled (logged), so one bad entry cannot open or break the others.
    pub fn parse(value: &str) -> Result<ClientList> {
        let items: Vec<Value> = serde_json::from_str(value)
            .map_err(|_| Error::Internal("CLIENT_SECRETS is not a JSON array".into()))?;
        let entries = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Null => Entry::Disabled,
                Value::String(s) if s == "disabled" => Entry::Disabled,
                Value::String(s) => match s.strip_prefix("sha256:") {
                    Some(h) if h.len() == 64 && is_hex(h) => Entry::Sha256(h.to_ascii_lowercase()),
                    None if is_hex(&s) => Entry::Raw(s),
                    _ => {
                        tracing::warn!(
                            client_id = i + 1,
                            "CLIENT_SECRETS entry has an unknown form; treated as disabled"
                        );
                        Entry::Disabled
                    }
                },
                _ => {
                    tracing::warn!(
                        client_id = i + 1,
                        "CLIENT_SECRETS entry is not a string; treated as disabled"
                    );
                    Entry::Disabled
                }
            })
            .collect();
        Ok(ClientList(entries))
    }

    /// An empty list switches the grant off.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The client `client_id` names, if it is one of the list (disabled or not): what
    /// per-client failure counters are keyed by, so unknown ids create none.
    pub fn known_id(&self, client_id: &str) -> Option<u32> {
        parse_client_id(client_id).filter(|id| (*id as usize) <= self.0.len())
    }

    /// Checks `client_id` (decimal, 1-based) and `secret` in constant time. Any failure
    /// is the same `None`, so callers answer `invalid_client` alike.
    pub fn authenticate(&self, client_id: &str, secret: &str) -> Option<u32> {
        let id = parse_client_id(client_id)?;
        let entry = self.0.get(id as usize - 1)?;
        if secret.is_empty() {
            return None;
        }
        let ok = match entry {
            Entry::Raw(s) => crypto::ct_eq(secret.as_bytes(), s.as_bytes()),
            Entry::Sha256(h) => crypto::ct_eq(
                crypto::sha256_hex(secret.as_bytes()).as_bytes(),
                h.as_bytes(),
            ),
            Entry::Disabled => false,
        };
        ok.then_some(id)
    }

    /// Entry for a new client's secret (what the admin API stores).
    pub fn hashed_entry(secret: &str) -> String {
        format!("sha256:{}", crypto::sha256_hex(secret.as_bytes()))
    }
}

/// `1`, `2`, … (no sign, no leading zero, at most 9 digits).
fn parse_client_id(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_and_secrets_are_checked() {
        let hashed = ClientList::hashed_entry("s3cret");
        let list = ClientList::parse(&format!(
            r#"["abcd12", null, "disabled", "{hashed}", "not hex!", 7]"#
        ))
        .unwrap();
        assert_eq!(list.len(), 6);
        assert_eq!(list.known_id("2"), Some(2), "disabled, still a client");
        for unknown in ["0", "7", "01", "abc", ""] {
            assert_eq!(list.known_id(unknown), None, "{unknown}");
        }
        assert_eq!(list.authenticate("1", "abcd12"), Some(1));
        assert_eq!(list.authenticate("4", "s3cret"), Some(4));
        for (id, secret) in [
            ("0", "abcd12"),
            ("-1", "abcd12"),
            ("abc", "abcd12"),
            ("01", "abcd12"),
            ("+1", "abcd12"),
            ("7", "abcd12"),
            ("2", ""),
            ("3", "disabled"),
            ("1", ""),
            ("1", "abcd1"),
            ("1", "ABCD12"),
            ("4", &hashed),
            ("5", "not hex!"),
            ("6", "7"),
            ("99999999999", "x"),
        ] {
            assert_eq!(list.authenticate(id, secret), None, "{id}");
        }
    }

    #[test]
    fn empty_list_and_bad_json() {
        assert!(ClientList::parse("[]").unwrap().is_empty());
        assert!(ClientList::parse("{}").is_err());
        assert!(!format!("{:?}", ClientList::parse(r#"["abcd12"]"#).unwrap()).contains("abcd12"));
    }
}
