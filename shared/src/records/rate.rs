//! Failed-attempt limits, shared by the admin sign-in and `POST /token` (README,
//! "Rate limits"). Fixed windows of `window` seconds; counters are DynamoDB items
//! `rate#<scope>#<kind>#<value>#<window index>` living until the window ends.
//!
//! - **Per source IP** (the gateway's `requestContext`, never `X-Forwarded-For`; IPv6
//!   by /64): a slot is reserved with a conditional ADD *before* verifying, refused
//!   once `ip` slots are taken, so parallel attempts never exceed the limit. The slot
//!   is given back on success, on bad input and on a dependency error; a credential
//!   failure keeps it. Once the limit is reached every attempt from that source is
//!   refused until the window ends.
//! - **Per name** (admin user name, OAuth client id): failures are counted *after*
//!   verifying; past `name` failures the answer is 429 instead of 401/403, but valid
//!   credentials still succeed, so nobody can lock an administrator or a client out.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use super::key::RateKey;
use crate::error::{Error, Result};

/// Fixed-window rate counters (`rate#<key>`), as [`crate::records::rate`] uses them. Every
/// change is one conditional write; nothing reads a counter.
pub trait RateStore: Send + Sync {
    /// Adds one to the counter if it is below `limit` (a conditional ADD; the counter
    /// lives until `expires_at`). `Ok(false)`: it was at the limit, nothing changed.
    fn rate_reserve(
        &self,
        key: &str,
        limit: u32,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Takes one back: deletes the counter when it holds exactly one (so a request that
    /// succeeds leaves no record), else subtracts one; never below zero, never creating it.
    fn rate_release(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Adds one to a counter living until `expires_at`; the new count.
    fn rate_increment(
        &self,
        key: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<u32>> + Send;
}

/// The limits of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Slots (failures plus attempts in flight) per source IP and window.
    pub ip: u32,
    /// Failures per name and window before failures get 429.
    pub name: u32,
    pub window: Duration,
}

/// The bucket a source address counts in: an IPv4 address as is (also when written as
/// an IPv4-mapped IPv6 address), an IPv6 address by its /64 (one subscriber's
/// network), anything unparsable in one shared `unknown` bucket.
pub(crate) fn ip_bucket(source: &str) -> String {
    match source.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_owned(),
    }
}

/// The fixed window of `window` (at least a second) that `now` falls in: its index and
/// the second it ends (the counters' expiry, `Retry-After`'s end).
pub(crate) fn fixed_window(now: i64, window: Duration) -> (i64, i64) {
    let secs = window.as_secs().max(1) as i64;
    let index = now.div_euclid(secs);
    (index, (index + 1) * secs)
}

/// Whether a refusal counts as a failed attempt: a credential that was checked and
/// refused. Bad input (400, 415, ...), a switched-off grant and dependency errors
/// count for nothing.
pub(crate) fn is_counted_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::Unauthorized(_)
            | Error::Forbidden(_)
            | Error::InvalidClient { .. }
            | Error::InvalidGrant(_)
    )
}

/// Whose counters: the second segment of their keys, and what the per-name counter is
/// keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    pub name: &'static str,
    pub per_name: &'static str,
}

/// The admin sign-in: per user name.
pub(crate) const ADMIN: Scope = Scope {
    name: "admin",
    per_name: "user",
};

/// `POST /token`: per client id (`rate#token#…`, [`crate::records::prefix::RATE_TOKEN`]).
pub(crate) const TOKEN: Scope = Scope {
    name: "token",
    per_name: "client",
};

/// The users' sign-in: per source IP only (`rate#usr-signin#…`, under
/// [`crate::records::prefix::RATE_USERS`]); the lockout (`records::lockout`) counts per
/// identifier and user instead of a per-name limit.
pub(crate) const USERS: Scope = Scope {
    name: "usr-signin",
    per_name: "-",
};

/// A reserved per-IP slot: [`Limiter::settle`] gives it back or keeps it.
#[must_use = "a slot is settled: given back on success, kept on a failure"]
#[derive(Debug)]
pub(crate) struct Slot {
    key: String,
}

/// One attempt's view of the limits of `scope` at `now`.
pub(crate) struct Limiter<'a, S> {
    store: &'a S,
    scope: Scope,
    limits: Limits,
    now: i64,
    /// The RFC 6749 error code of a 429 on an OAuth endpoint (`None`: a plain 429).
    oauth: Option<&'static str>,
}

impl<'a, S: RateStore> Limiter<'a, S> {
    pub(crate) fn new(store: &'a S, scope: Scope, limits: Limits, now: i64) -> Self {
        Limiter {
            store,
            scope,
            limits,
            now,
            oauth: None,
        }
    }

    /// 429 answers carry this RFC 6749 error code (`invalid_client`, `invalid_grant`).
    pub(crate) fn oauth(self, code: &'static str) -> Self {
        Limiter {
            oauth: Some(code),
            ..self
        }
    }

    fn window(&self) -> i64 {
        fixed_window(self.now, self.limits.window).0
    }

    fn window_end(&self) -> i64 {
        fixed_window(self.now, self.limits.window).1
    }

    fn key(&self, kind: &str, value: &str) -> String {
        RateKey {
            scope: self.scope.name,
            kind,
            value,
            window: self.window(),
        }
        .suffix()
    }

    /// 429 with `Retry-After` until the window ends.
    pub(crate) fn too_many(&self) -> Error {
        Error::TooManyRequests {
            retry_after: self.window_end() - self.now,
            oauth: self.oauth,
        }
    }

    /// Reserves a slot for `source_ip` before the credential is checked: 429 when the
    /// source has used up its slots, a dependency error when the store fails.
    pub(crate) async fn reserve(&self, source_ip: &str) -> Result<Slot> {
        let key = self.key("ip", &ip_bucket(source_ip));
        if self
            .store
            .rate_reserve(&key, self.limits.ip, self.window_end())
            .await?
        {
            Ok(Slot { key })
        } else {
            Err(self.too_many())
        }
    }

    /// Settles an attempt: `failure` is its refusal (`None`: it succeeded). A counted
    /// failure keeps the slot and adds one to the counter of `name` (when the refusal
    /// is for a known name); `Err(429)` when that counter is past its limit. Anything
    /// else gives the slot back; a failed give-back is logged and leaves the slot
    /// taken (stricter, never looser).
    pub(crate) async fn settle(
        &self,
        slot: Slot,
        failure: Option<&Error>,
        name: Option<&str>,
    ) -> Result<()> {
        if !failure.is_some_and(is_counted_failure) {
            return self.release(slot).await;
        }
        let Some(name) = name else {
            return Ok(());
        };
        let n = self
            .store
            .rate_increment(&self.key(self.scope.per_name, name), self.window_end())
            .await?;
        if n > self.limits.name {
            Err(self.too_many())
        } else {
            Ok(())
        }
    }

    /// Keeps the slot whatever the outcome: the users' sign-in spends a source's slot on
    /// an attempt the lockout refused, so hammering a locked account costs the source
    /// its own budget and needs no give-back write.
    pub(crate) fn keep(&self, slot: Slot) {
        drop(slot);
    }

    async fn release(&self, slot: Slot) -> Result<()> {
        if let Err(e) = self.store.rate_release(&slot.key).await {
            tracing::warn!(event = "rate_release_failed", scope = self.scope.name, error = %e.detail());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// Counters in memory, with a log of the calls made.
    #[derive(Default)]
    struct Counters {
        counts: Mutex<HashMap<String, i64>>,
        calls: Mutex<Vec<&'static str>>,
    }

    impl Counters {
        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }
        fn count(&self, key: &str) -> i64 {
            self.counts.lock().unwrap().get(key).copied().unwrap_or(0)
        }
    }

    impl RateStore for Counters {
        async fn rate_reserve(&self, key: &str, limit: u32, _: i64) -> Result<bool> {
            self.calls.lock().unwrap().push("reserve");
            let mut c = self.counts.lock().unwrap();
            let n = c.entry(key.to_owned()).or_default();
            if *n >= i64::from(limit) {
                return Ok(false);
            }
            *n += 1;
            Ok(true)
        }
        async fn rate_release(&self, key: &str) -> Result<()> {
            self.calls.lock().unwrap().push("release");
            let mut c = self.counts.lock().unwrap();
            if let Some(n) = c.get_mut(key).filter(|n| **n > 0) {
                *n -= 1;
            }
            Ok(())
        }
        async fn rate_increment(&self, key: &str, _: i64) -> Result<u32> {
            self.calls.lock().unwrap().push("increment");
            let mut c = self.counts.lock().unwrap();
            let n = c.entry(key.to_owned()).or_default();
            *n += 1;
            Ok(*n as u32)
        }
    }

    const LIMITS: Limits = Limits {
        ip: 2,
        name: 1,
        window: Duration::from_secs(900),
    };

    fn limiter(c: &Counters) -> Limiter<'_, Counters> {
        Limiter::new(c, TOKEN, LIMITS, 1_000)
    }

    #[test]
    fn token_counters_are_under_their_access_prefix() {
        let key = format!("{}{}#", crate::records::prefix::RATE, TOKEN.name);
        assert_eq!(key, crate::records::prefix::RATE_TOKEN);
    }

    #[test]
    fn user_counters_are_under_their_access_prefix() {
        let key = format!("{}{}#", crate::records::prefix::RATE, USERS.name);
        assert!(key.starts_with(crate::records::prefix::RATE_USERS));
        assert!(!key.starts_with(crate::records::prefix::RATE_TOKEN));
    }

    #[test]
    fn ipv6_sources_count_by_their_64() {
        assert_eq!(ip_bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            ip_bucket("2001:db8:1:2:bbbb:cccc:dddd:eeee"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(ip_bucket("2001:db8:1:3::1"), ip_bucket("2001:db8:1:2::1"));
        assert_eq!(ip_bucket("198.51.100.7"), "198.51.100.7");
        assert_eq!(ip_bucket("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(ip_bucket(""), "unknown");
    }

    #[tokio::test]
    async fn a_success_costs_a_reserve_and_a_release_and_no_read() {
        let c = Counters::default();
        let l = limiter(&c);
        for _ in 0..10 {
            let slot = l.reserve("198.51.100.7").await.unwrap();
            l.settle(slot, None, Some("1")).await.unwrap();
        }
        assert_eq!(c.calls(), ["reserve", "release"].repeat(10));
        assert_eq!(c.count("token#ip#198.51.100.7#1"), 0);
    }

    #[tokio::test]
    async fn bad_input_and_dependency_errors_give_the_slot_back() {
        let c = Counters::default();
        let l = limiter(&c);
        let outage = Error::dependency(
            crate::primitives::metrics::Service::DynamoDb,
            std::io::Error::other("down"),
        );
        for e in [Error::bad_request("x"), Error::UnsupportedGrantType, outage] {
            let slot = l.reserve("198.51.100.7").await.unwrap();
            l.settle(slot, Some(&e), Some("1")).await.unwrap();
        }
        assert_eq!(c.count("token#ip#198.51.100.7#1"), 0);
        assert_eq!(c.count("token#client#1#1"), 0);
    }

    #[tokio::test]
    async fn failures_keep_their_slot_until_the_source_is_refused() {
        let c = Counters::default();
        let l = limiter(&c);
        let bad = Error::InvalidClient { basic: false };
        for _ in 0..2 {
            let slot = l.reserve("2001:db8::1").await.unwrap();
            l.settle(slot, Some(&bad), None).await.unwrap();
        }
        // Another address of the same /64 is the same source.
        let refused = l.reserve("2001:db8::2").await.unwrap_err();
        assert!(matches!(
            refused,
            Error::TooManyRequests {
                retry_after: 800,
                oauth: None
            }
        ));
        assert!(l.reserve("2001:db8:0:1::1").await.is_ok(), "another /64");
    }

    #[tokio::test]
    async fn past_the_name_limit_failures_get_429_and_valid_secrets_still_succeed() {
        let c = Counters::default();
        let l = limiter(&c).oauth("invalid_client");
        let bad = Error::InvalidClient { basic: false };
        let mut answers = Vec::new();
        for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            let slot = l.reserve(ip).await.unwrap();
            answers.push(l.settle(slot, Some(&bad), Some("7")).await.is_ok());
        }
        assert_eq!(
            answers,
            [true, false, false],
            "the second failure is past 1"
        );
        assert!(matches!(
            l.too_many(),
            Error::TooManyRequests {
                oauth: Some("invalid_client"),
                ..
            }
        ));
        let slot = l.reserve("198.51.100.4").await.unwrap();
        assert!(
            l.settle(slot, None, Some("7")).await.is_ok(),
            "a valid secret"
        );
    }
}
