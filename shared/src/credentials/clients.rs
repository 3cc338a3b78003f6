//! OAuth clients of the survey-compatible `client_credentials` grant: the
//! `CLIENT_SECRETS` secret is a JSON array and `client_id` is index + 1. An entry is a
//! raw hex secret (compatibility), `sha256:<hex>` (clients added through the admin
//! API), or `null` / `"disabled"` (removed: the others keep their indexes). A raw
//! secret shorter than [`MIN_RAW_SECRET_LEN`] hex characters is weak and treated as
//! disabled (README, "Upgrading").

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use crate::credentials::secrets::{SecretCache, SecretSource};
use crate::error::{Error, Result};
use crate::primitives::crypto;

/// Shortest raw (legacy) secret accepted: 32 hex characters, 128 bits.
pub(crate) const MIN_RAW_SECRET_LEN: usize = 32;

#[derive(Clone, PartialEq, Eq)]
enum Entry {
    Raw(String),
    Sha256(String),
    Disabled,
    /// A raw secret shorter than [`MIN_RAW_SECRET_LEN`]: disabled, and listed as weak.
    Weak,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entry::Raw(_) => "Raw([redacted])",
            Entry::Sha256(_) => "Sha256(..)",
            Entry::Disabled => "Disabled",
            Entry::Weak => "Weak",
        })
    }
}

/// What the admin API shows of a client: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientSummary {
    pub client_id: String,
    /// `raw`, `hashed` or `disabled` (a weak raw secret is `disabled`).
    pub kind: &'static str,
    /// A raw secret shorter than [`MIN_RAW_SECRET_LEN`] (and so disabled).
    pub weak: bool,
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
                    None if is_hex(&s) && s.len() < MIN_RAW_SECRET_LEN => {
                        // The index only: the value is a secret, however weak.
                        tracing::warn!(
                            index = i,
                            client_id = i + 1,
                            "CLIENT_SECRETS entry is a raw secret shorter than 32 hex characters; treated as disabled"
                        );
                        Entry::Weak
                    }
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
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The client `client_id` names, if it is one of the list (disabled or not): what
    /// per-client failure counters are keyed by, so unknown ids create none.
    pub(crate) fn known_id(&self, client_id: &str) -> Option<u32> {
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
            Entry::Disabled | Entry::Weak => false,
        };
        ok.then_some(id)
    }

    /// Every client's id, kind and weakness, in `client_id` order.
    pub(crate) fn summary(&self) -> Vec<ClientSummary> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, e)| ClientSummary {
                client_id: (i + 1).to_string(),
                kind: match e {
                    Entry::Raw(_) => "raw",
                    Entry::Sha256(_) => "hashed",
                    Entry::Disabled | Entry::Weak => "disabled",
                },
                weak: *e == Entry::Weak,
            })
            .collect()
    }

    /// Entry for a new client's secret (what the admin API stores).
    pub fn hashed_entry(secret: &str) -> String {
        format!("sha256:{}", crypto::sha256_hex(secret.as_bytes()))
    }
}

/// The `CLIENT_SECRETS` secret, parsed once per cache load (so a weak or unknown entry
/// is logged once per load, not once per request).
pub(crate) struct ClientCache<S> {
    cache: SecretCache<S, Arc<ClientList>>,
    secret_id: String,
}

impl<S: SecretSource> ClientCache<S> {
    pub(crate) fn new(source: S, secret_id: impl Into<String>, ttl: std::time::Duration) -> Self {
        ClientCache {
            cache: SecretCache::parsed(source, ttl, |v: SecretString| {
                ClientList::parse(v.expose_secret()).map(Arc::new)
            }),
            secret_id: secret_id.into(),
        }
    }

    /// The current list (from memory when fresh; a failed fetch is an error).
    pub(crate) async fn list(&self) -> Result<Arc<ClientList>> {
        self.cache.get(&self.secret_id).await
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

    /// 32 hex characters: the shortest raw secret still accepted.
    const RAW: &str = "abcd1234abcd1234abcd1234abcd1234";

    #[test]
    fn client_ids_and_secrets_are_checked() {
        let hashed = ClientList::hashed_entry("s3cret");
        let list = ClientList::parse(&format!(
            r#"["{RAW}", null, "disabled", "{hashed}", "not hex!", 7]"#
        ))
        .unwrap();
        assert_eq!(list.len(), 6);
        assert_eq!(list.known_id("2"), Some(2), "disabled, still a client");
        for unknown in ["0", "7", "01", "abc", ""] {
            assert_eq!(list.known_id(unknown), None, "{unknown}");
        }
        assert_eq!(list.authenticate("1", RAW), Some(1));
        assert_eq!(list.authenticate("4", "s3cret"), Some(4));
        let upper = RAW.to_ascii_uppercase();
        for (id, secret) in [
            ("0", RAW),
            ("-1", RAW),
            ("abc", RAW),
            ("01", RAW),
            ("+1", RAW),
            ("7", RAW),
            ("2", ""),
            ("3", "disabled"),
            ("1", ""),
            ("1", &RAW[1..]),
            ("1", &upper),
            ("4", &hashed),
            ("5", "not hex!"),
            ("6", "7"),
            ("99999999999", "x"),
        ] {
            assert_eq!(list.authenticate(id, secret), None, "{id}");
        }
    }

    #[test]
    fn raw_secrets_shorter_than_32_hex_are_disabled_and_listed_weak() {
        let short = &RAW[..31];
        let hashed = ClientList::hashed_entry("s3cret");
        let value = format!(r#"["{short}", "{RAW}", "{hashed}", null, "not hex!"]"#);
        let mut list = None;
        let logs = crate::test_log::captured(|| list = Some(ClientList::parse(&value).unwrap()));
        let list = list.unwrap();
        assert_eq!(list.authenticate("1", short), None, "weak: disabled");
        assert_eq!(list.authenticate("2", RAW), Some(2));
        let c = |id: &str, kind, weak| ClientSummary {
            client_id: id.into(),
            kind,
            weak,
        };
        assert_eq!(
            list.summary(),
            [
                c("1", "disabled", true),
                c("2", "raw", false),
                c("3", "hashed", false),
                c("4", "disabled", false),
                c("5", "disabled", false),
            ]
        );
        let summary = serde_json::to_string(&list.summary()).unwrap();
        assert!(!summary.contains(short) && !summary.contains(RAW) && !summary.contains(&hashed));
        // Logged with its index, never its value.
        let weak: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("shorter than 32"))
            .collect();
        assert_eq!(weak.len(), 1, "{logs}");
        assert!(weak[0].contains(r#""index":0"#), "{logs}");
        assert!(!logs.contains(short), "a weak secret reached the logs");
    }

    /// A `CLIENT_SECRETS` value in memory that counts its fetches.
    struct Fixed(String, Arc<std::sync::atomic::AtomicUsize>);

    impl SecretSource for Fixed {
        async fn fetch(&self, _secret_id: &str) -> Result<SecretString> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(SecretString::from(self.0.clone()))
        }
    }

    #[test]
    fn a_weak_entry_is_logged_once_per_cache_load_not_per_request() {
        let value = format!(r#"["{}", "{RAW}"]"#, &RAW[..16]);
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let source = Fixed(value, fetches.clone());
        let cache = ClientCache::new(source, "clients", std::time::Duration::from_secs(60));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let logs = crate::test_log::captured(|| {
            rt.block_on(async {
                for _ in 0..5 {
                    let list = cache.list().await.unwrap();
                    assert_eq!(list.authenticate("2", RAW), Some(2));
                }
            })
        });
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(logs.matches("shorter than 32").count(), 1, "{logs}");
    }

    #[test]
    fn empty_list_and_bad_json() {
        assert!(ClientList::parse("[]").unwrap().is_empty());
        assert!(ClientList::parse("{}").is_err());
        assert!(
            !format!("{:?}", ClientList::parse(&format!(r#"["{RAW}"]"#)).unwrap()).contains(RAW)
        );
    }
}
