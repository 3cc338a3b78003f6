//! Request quotas (README "People", sign-up): every request counts, nothing is given
//! back, so the answer never depends on what the request found. Fixed windows; the
//! counters are the rate counters' items (`rate#usr-signup#…`, `rate#usr-send#…`),
//! reserved with one conditional ADD each, so parallel requests never exceed a quota.

use std::time::Duration;

use super::key::RateKey;
use super::rate::{RateStore, fixed_window, ip_bucket};
use crate::error::{Error, Result};
use crate::primitives::crypto::sha256_hex;

/// One quota: at most `limit` requests per `window` for one value of `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    /// The counters' scope below `rate#` (under the users' `usr-` prefix).
    pub scope: &'static str,
    /// What is counted: `ip` (a source address's bucket) or a hashed value.
    pub kind: Counted,
    pub limit: u32,
    pub window: Duration,
}

/// How a quota's value becomes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    /// A source IP, by its bucket (an IPv6 /64).
    Ip,
    /// An e-mail address (lower-cased by the caller), by its SHA-256: the table never
    /// holds the address in a counter's key.
    Email,
}

impl Quota {
    fn key(&self, value: &str, window: i64) -> String {
        let (kind, value) = match self.kind {
            Counted::Ip => ("ip", ip_bucket(value)),
            Counted::Email => ("email", sha256_hex(value.as_bytes())),
        };
        RateKey {
            scope: self.scope,
            kind,
            value: &value,
            window,
        }
        .suffix()
    }

    /// Counts one request for `value` at `now`: 429 with `Retry-After` until the window
    /// ends once `limit` requests were counted in it.
    pub(crate) async fn take<S: RateStore>(&self, store: &S, value: &str, now: i64) -> Result<()> {
        let (window, end) = fixed_window(now, self.window);
        if store
            .rate_reserve(&self.key(value, window), self.limit, end)
            .await?
        {
            Ok(())
        } else {
            Err(Error::TooManyRequests {
                retry_after: end - now,
                oauth: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Counters(Mutex<HashMap<String, u32>>);

    impl RateStore for Counters {
        async fn rate_reserve(&self, key: &str, limit: u32, _: i64) -> Result<bool> {
            let mut m = self.0.lock().unwrap();
            let c = m.entry(key.to_owned()).or_default();
            Ok(*c < limit && {
                *c += 1;
                true
            })
        }
        async fn rate_release(&self, _: &str) -> Result<()> {
            unreachable!("a quota never gives back")
        }
        async fn rate_increment(&self, _: &str, _: i64) -> Result<u32> {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn a_quota_counts_every_request_and_says_when_to_retry() {
        let store = Counters::default();
        let q = Quota {
            scope: "usr-signup",
            kind: Counted::Email,
            limit: 2,
            window: Duration::from_secs(3600),
        };
        let now = 3600 * 10 + 100;
        q.take(&store, "ann@example.com", now).await.unwrap();
        q.take(&store, "ann@example.com", now).await.unwrap();
        match q.take(&store, "ann@example.com", now).await {
            Err(Error::TooManyRequests { retry_after, .. }) => assert_eq!(retry_after, 3500),
            other => panic!("{other:?}"),
        }
        q.take(&store, "bob@example.com", now).await.unwrap();
        // The next window starts afresh; the address never appears in a key.
        q.take(&store, "ann@example.com", now + 3500).await.unwrap();
        let keys: Vec<String> = store.0.lock().unwrap().keys().cloned().collect();
        assert!(keys.iter().all(|k| !k.contains("example.com")), "{keys:?}");
        assert!(
            keys.iter().all(|k| k.starts_with("usr-signup#email#")),
            "{keys:?}"
        );
    }
}
