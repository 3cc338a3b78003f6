//! Private API keys: `gk_<id>_<secret>`, id 16 and secret 43 base62 characters from the
//! CSPRNG. Only SHA-256 of the secret is stored; the check is constant-time. Verified
//! records are kept in memory for `API_KEY_CACHE_TTL`, so warm checks make no AWS call.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::authz::{DenyReason, Principal, PrincipalType, Scope};
use crate::error::{Error, Result};
use crate::primitives::cache::{Bound, Eviction, Lookup, TtlCache};
use crate::primitives::crypto;

pub const PREFIX: &str = "gk_";
pub(crate) const ID_LEN: usize = 16;
pub(crate) const SECRET_LEN: usize = 43;
/// Total length of a well-formed key.
pub const KEY_LEN: usize = PREFIX.len() + ID_LEN + 1 + SECRET_LEN;
/// Scopes of a key created without explicit scopes: a private key can do everything.
pub(crate) const DEFAULT_SCOPES: [Scope; 3] = Scope::ALL;

/// A key as presented by a caller, split into its public id and its secret.
pub struct PresentedKey<'a> {
    pub id: &'a str,
    secret: &'a str,
}

impl std::fmt::Debug for PresentedKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedKey")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Splits `gk_<id>_<secret>`; anything else is malformed (checked before any lookup).
pub fn parse(key: &str) -> Result<PresentedKey<'_>, DenyReason> {
    if key.len() != KEY_LEN || !key.is_ascii() {
        return Err(DenyReason::MalformedCredential);
    }
    let rest = key
        .strip_prefix(PREFIX)
        .ok_or(DenyReason::MalformedCredential)?;
    let (id, secret) = rest.split_at(ID_LEN);
    let secret = secret
        .strip_prefix('_')
        .ok_or(DenyReason::MalformedCredential)?;
    if !crypto::is_base62(id) || !crypto::is_base62(secret) {
        return Err(DenyReason::MalformedCredential);
    }
    Ok(PresentedKey { id, secret })
}

/// What is stored for a key: never the secret, only its SHA-256.
#[derive(Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: String,
    /// Lowercase hex SHA-256 of the secret part.
    pub secret_hash: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub disabled: bool,
    /// Last four characters of the secret, to help people tell keys apart.
    pub last4: String,
    /// Approximate: written at most once per cache period.
    pub last_used: Option<i64>,
}

impl std::fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("disabled", &self.disabled)
            .field("last4", &self.last4)
            .finish_non_exhaustive()
    }
}

/// A freshly generated key: the full value is shown once, the record is stored.
pub struct NewApiKey {
    pub key: SecretString,
    pub record: ApiKeyRecord,
}

/// Creates a key. `scopes: None` gives the default scopes; unknown scopes are refused.
pub fn generate(
    name: &str,
    scopes: Option<Vec<String>>,
    expires_at: Option<i64>,
    now: i64,
) -> Result<NewApiKey, Error> {
    let name = name.trim();
    if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "name must be 1-128 printable characters",
        ));
    }
    let scopes = match scopes {
        None => DEFAULT_SCOPES
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        Some(s) if s.is_empty() => return Err(Error::bad_request("scopes must not be empty")),
        Some(s) => {
            for x in &s {
                x.parse::<Scope>()
                    .map_err(|unknown| Error::bad_request(unknown.to_string()))?;
            }
            let mut s = s;
            s.sort();
            s.dedup();
            s
        }
    };
    if expires_at.is_some_and(|e| e <= now) {
        return Err(Error::bad_request("expires_at must be in the future"));
    }
    let id = crypto::random_base62(ID_LEN);
    let secret = crypto::random_base62(SECRET_LEN);
    let record = ApiKeyRecord {
        id: id.clone(),
        secret_hash: crypto::sha256_hex(secret.as_bytes()),
        name: name.to_owned(),
        scopes,
        created_at: now,
        expires_at,
        disabled: false,
        last4: secret[SECRET_LEN - 4..].to_owned(),
        last_used: None,
    };
    Ok(NewApiKey {
        key: SecretString::from(format!("{PREFIX}{id}_{secret}")),
        record,
    })
}

/// Checks a presented key against its record (pure; `now` in epoch seconds).
pub fn check(
    presented: &PresentedKey<'_>,
    record: &ApiKeyRecord,
    now: i64,
) -> Result<(), DenyReason> {
    let hash = crypto::sha256_hex(presented.secret.as_bytes());
    if !crypto::ct_eq(hash.as_bytes(), record.secret_hash.as_bytes()) {
        return Err(DenyReason::WrongSecret);
    }
    if record.disabled {
        return Err(DenyReason::Disabled);
    }
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(DenyReason::Expired);
    }
    Ok(())
}

/// The principal an API key stands for.
pub(crate) fn principal(record: &ApiKeyRecord) -> Principal {
    let mut p = Principal::new(
        PrincipalType::ApiKey,
        record.id.clone(),
        record.scopes.clone(),
    );
    p.key_id = Some(record.id.clone());
    p.expires_at = record.expires_at;
    p
}

/// Why a key check did not produce a principal.
#[derive(Debug)]
pub enum VerifyError {
    /// The key is not valid: deny, with this reason.
    Denied(DenyReason),
    /// The store failed: fail closed (an error, not a cacheable deny).
    Store(Error),
}

/// `last_used` is written at most once per `max(API_KEY_CACHE_TTL, this)`.
pub(crate) const LAST_USED_MIN_PERIOD: Duration = Duration::from_secs(60);

/// Bound on cached known ids, and separately on cached unknown ids: a flood of random
/// ids can push out only other unknown ids, never a valid key (README "API keys").
pub(crate) const CACHE_CAPACITY: usize = 10_000;

/// Cached records by id: `Some` for a known key, `None` for an unknown id.
type RecordCache = TtlCache<String, Option<Arc<ApiKeyRecord>>>;

/// Known keys (partition 0, least recently used evicted first) and unknown ids
/// (partition 1, oldest evicted first), bounded separately; never cleared whole.
fn record_cache(ttl: Duration) -> RecordCache {
    let bound = |eviction| Bound {
        capacity: CACHE_CAPACITY,
        eviction,
    };
    TtlCache::new(ttl).partitioned(
        |record| usize::from(record.is_none()),
        &[bound(Eviction::LeastRecentlyUsed), bound(Eviction::Oldest)],
    )
}

/// Verifies keys against a store, with an in-memory cache of records (positive and
/// negative) for `ttl`. A cache hit makes no store call; concurrent misses for one id
/// make one.
pub struct ApiKeyVerifier<S> {
    store: S,
    ttl: Duration,
    cache: RecordCache,
}

impl<S: ApiKeyStore> ApiKeyVerifier<S> {
    pub fn new(store: S, ttl: Duration) -> Self {
        ApiKeyVerifier {
            store,
            ttl,
            cache: record_cache(ttl),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// How many known and unknown ids the cache holds.
    #[cfg(test)]
    pub(crate) fn cached_counts(&self) -> (usize, usize) {
        (self.cache.count(0), self.cache.count(1))
    }

    /// Verifies `key` (the raw `x-api-key` value) at time `now`.
    pub async fn verify(&self, key: &str, now: i64) -> Result<Principal, VerifyError> {
        let presented = parse(key).map_err(VerifyError::Denied)?;
        let id = presented.id;
        let Lookup {
            value: record,
            loaded: from_store,
        } = self
            .cache
            .lookup(id, || async {
                let record = self.store.get_api_key(id).await?;
                Ok(record.filter(|r| r.id == id).map(Arc::new))
            })
            .await
            .map_err(VerifyError::Store)?;
        let record = record.ok_or(VerifyError::Denied(DenyReason::UnknownKey))?;
        check(&presented, &record, now).map_err(VerifyError::Denied)?;
        let period = self.ttl.max(LAST_USED_MIN_PERIOD).as_secs() as i64;
        if from_store && record.last_used.is_none_or(|t| now - t >= period) {
            // Cold path only (the store was just read): approximate, best effort.
            if let Err(e) = self.store.touch_api_key(&record.id, now).await {
                tracing::warn!(key_id = %record.id, error = %e.detail(), "last_used update failed");
            }
        }
        Ok(principal(&record))
    }
}

/// Exposes the key for display exactly once (e.g. at creation).
pub fn reveal(key: &SecretString) -> &str {
    key.expose_secret()
}

/// API-key records, as the authorizer and the admin API need them.
pub trait ApiKeyStore: Send + Sync {
    /// The record for `id`, or `None`. Errors are dependency failures.
    fn get_api_key(&self, id: &str) -> impl Future<Output = Result<Option<ApiKeyRecord>>> + Send;
    /// Stores a new record; fails if the id exists.
    fn put_api_key(&self, record: &ApiKeyRecord) -> impl Future<Output = Result<()>> + Send;
    /// Sets `last_used` (only if the record still exists).
    fn touch_api_key(&self, id: &str, at: i64) -> impl Future<Output = Result<()>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_check() {
        let k = generate("ci", None, None, 100).unwrap();
        let s = reveal(&k.key);
        assert_eq!(s.len(), KEY_LEN);
        assert!(s.starts_with("gk_"));
        let p = parse(s).unwrap();
        assert_eq!(p.id, k.record.id);
        assert_eq!(k.record.scopes, vec!["data", "client", "widget:issue"]);
        assert_eq!(&s[s.len() - 4..], k.record.last4);
        assert!(!k.record.secret_hash.contains(&s[20..]));
        assert_eq!(check(&p, &k.record, 101), Ok(()));
    }

    #[test]
    fn malformed_keys_are_rejected_before_lookup() {
        let k = generate("ci", None, None, 0).unwrap();
        let good = reveal(&k.key).to_owned();
        let cases = [
            String::new(),
            "gk_".into(),
            good.replacen("gk_", "pk_", 1),
            format!("{good}x"),
            good[..good.len() - 1].to_owned(),
            good.replacen('_', "-", 2),
            format!("{}é", &good[..good.len() - 2]),
            format!("{}!", &good[..good.len() - 1]),
            "x".repeat(8192),
        ];
        for c in cases {
            assert_eq!(
                parse(&c).err(),
                Some(DenyReason::MalformedCredential),
                "{c:?}"
            );
        }
    }

    #[test]
    fn wrong_secret_disabled_and_expired_are_denied() {
        let k = generate("ci", Some(vec!["data".into()]), Some(200), 100).unwrap();
        let s = reveal(&k.key);
        let p = parse(s).unwrap();
        let other = generate("ci", None, None, 100).unwrap();
        let wrong = format!("gk_{}_{}", k.record.id, &reveal(&other.key)[20..]);
        assert_eq!(
            check(&parse(&wrong).unwrap(), &k.record, 150),
            Err(DenyReason::WrongSecret)
        );
        assert_eq!(check(&p, &k.record, 200), Err(DenyReason::Expired));
        let mut disabled = k.record.clone();
        disabled.disabled = true;
        assert_eq!(check(&p, &disabled, 150), Err(DenyReason::Disabled));
        let pr = principal(&k.record);
        assert_eq!(pr.scopes, vec!["data"]);
        assert_eq!(pr.key_id.as_deref(), Some(k.record.id.as_str()));
        assert_eq!(pr.expires_at, Some(200));
    }

    #[test]
    fn generate_validates_input() {
        assert!(generate("", None, None, 0).is_err());
        assert!(generate("x", Some(vec![]), None, 0).is_err());
        assert!(generate("x", Some(vec!["admin".into()]), None, 0).is_err());
        assert!(generate("x", None, Some(5), 10).is_err());
    }

    /// One key in memory; counts the reads.
    struct OneKey {
        record: ApiKeyRecord,
        gets: std::sync::atomic::AtomicUsize,
    }

    impl ApiKeyStore for OneKey {
        async fn get_api_key(&self, id: &str) -> crate::error::Result<Option<ApiKeyRecord>> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok((id == self.record.id).then(|| self.record.clone()))
        }
        async fn put_api_key(&self, _: &ApiKeyRecord) -> crate::error::Result<()> {
            Ok(())
        }
        async fn touch_api_key(&self, _: &str, _: i64) -> crate::error::Result<()> {
            Ok(())
        }
    }

    fn unknown_id(i: usize) -> String {
        format!("gk_{i:0>16}_{}", "u".repeat(SECRET_LEN))
    }

    /// A flood of unknown ids pushes out only other unknown ids (oldest first): the
    /// valid key stays cached, and the cache never empties at once.
    #[tokio::test]
    async fn unknown_ids_never_evict_a_known_key() {
        let k = generate("ci", None, None, 0).unwrap();
        let v = ApiKeyVerifier::new(
            OneKey {
                record: k.record.clone(),
                gets: Default::default(),
            },
            Duration::from_secs(60),
        );
        let gets = || v.store().gets.load(std::sync::atomic::Ordering::SeqCst);
        let key = reveal(&k.key);
        v.verify(key, 1).await.unwrap();
        assert_eq!(gets(), 1);
        for i in 0..2 * CACHE_CAPACITY {
            assert!(matches!(
                v.verify(&unknown_id(i), 1).await,
                Err(VerifyError::Denied(DenyReason::UnknownKey))
            ));
        }
        assert_eq!(v.cached_counts(), (1, CACHE_CAPACITY));
        let before = gets();
        v.verify(key, 1).await.unwrap();
        assert_eq!(
            gets(),
            before,
            "the valid key is still cached: no store call"
        );
        // The newest unknown ids are still cached; the oldest were evicted.
        v.verify(&unknown_id(2 * CACHE_CAPACITY - 1), 1).await.ok();
        assert_eq!(gets(), before);
        v.verify(&unknown_id(0), 1).await.ok();
        assert_eq!(gets(), before + 1);
    }

    /// Known keys are evicted least recently used first, never all at once.
    #[test]
    fn known_keys_evict_the_least_recently_used() {
        let known = Some(Arc::new(generate("ci", None, None, 0).unwrap().record));
        let b = record_cache(Duration::from_secs(60));
        for i in 0..CACHE_CAPACITY {
            b.insert(i.to_string(), known.clone());
        }
        assert!(b.get("0").is_some(), "0 is now the most recently used");
        b.insert("new".into(), known.clone());
        assert_eq!(b.count(0), CACHE_CAPACITY);
        assert!(b.get("0").is_some());
        assert!(b.get("1").is_none(), "1 was the least recently used");
        assert!(b.get("2").is_some());
        assert!(b.get("new").is_some());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let k = generate("ci", None, None, 0).unwrap();
        let s = reveal(&k.key).to_owned();
        let p = parse(&s).unwrap();
        for out in [
            format!("{:?}", k.record),
            format!("{p:?}"),
            format!("{:?}", k.key),
        ] {
            assert!(!out.contains(&s[20..]), "{out}");
            assert!(!out.contains(&k.record.secret_hash), "{out}");
        }
    }
}
