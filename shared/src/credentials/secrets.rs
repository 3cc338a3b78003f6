//! Secrets Manager reads behind a small trait, with an in-memory TTL cache so a warm
//! function does not call Secrets Manager on every request.

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::Result;
use crate::primitives::cache::TtlCache;

/// Where secret values come from.
pub trait SecretSource: Send + Sync {
    /// The current (`AWSCURRENT`) string value of `secret_id`.
    fn fetch(&self, secret_id: &str) -> impl Future<Output = Result<SecretString>> + Send;
}

/// Where a new secret value is written (the client list, changed by the admin API).
pub trait SecretWriter: Send + Sync {
    /// Stores `value` as the new `AWSCURRENT` value of `secret_id`.
    fn put(&self, secret_id: &str, value: &str) -> impl Future<Output = Result<()>> + Send;
}

/// A TTL cache over a [`SecretSource`]. Values stay at most `ttl` in memory, so a
/// change in Secrets Manager is seen within that time. A cache made with
/// [`SecretCache::parsed`] keeps the parsed value instead, so the parsing (and what it
/// logs) happens once per load, not once per request.
pub struct SecretCache<S, T = SecretString> {
    source: S,
    parse: fn(SecretString) -> Result<T>,
    values: TtlCache<String, T>,
}

impl<S: SecretSource> SecretCache<S> {
    pub fn new(source: S, ttl: Duration) -> Self {
        Self::parsed(source, ttl, Ok)
    }
}

impl<S: SecretSource, T: Clone> SecretCache<S, T> {
    /// A cache of `parse(value)`; a value that does not parse is an error and is not
    /// cached.
    pub(crate) fn parsed(source: S, ttl: Duration, parse: fn(SecretString) -> Result<T>) -> Self {
        SecretCache {
            source,
            parse,
            values: TtlCache::new(ttl),
        }
    }

    /// The value of `secret_id`, from memory when fresh; a failed fetch is an error
    /// (callers fail closed), never a stale value.
    pub async fn get(&self, secret_id: &str) -> Result<T> {
        self.values
            .get_or_load(secret_id, || async {
                (self.parse)(self.source.fetch(secret_id).await?)
            })
            .await
    }
}
