//! The users' sign-in lockout (README "People", "Lockout"): failures are counted per
//! normalized sign-in identifier, whether or not an account has it, and per user id
//! when one does. Either counter reaching the threshold `t` (`USER_LOCKOUT_THRESHOLD`)
//! locks: every attempt, the right password included, is refused with 429 before the
//! password is checked, for 2^(n−t) seconds after the n-th failure, at most 15 minutes.
//! Attempts refused during a lock write nothing, so they neither count nor extend it.
//! The counters are deleted by a success and expire after 15 quiet minutes (Cognito's
//! rule).
//!
//! **Reserve, then verify.** An attempt that may go ahead first records itself as a
//! failure: one transaction swaps every counter it counts under from the value it read
//! to that value plus one (a compare-and-swap on `count`), and sets the lock the new
//! count earns. A success then deletes the counters; a failure has nothing left to
//! write. So parallel attempts are serialized by the swap: at most `t` of them pass
//! before the lock holds, whatever their number. An attempt that fails on a dependency
//! after reserving stays counted (stricter, never looser).
//!
//! Counters are `rate#usr-lock#id#<sha256 of the identifier>` and
//! `rate#usr-lock#user#<sha256 of the user id>`, in the users' own namespace
//! ([`crate::records::prefix::RATE_USERS`]), never shared with the admin sign-in's.

use std::future::Future;

use crate::error::{Error, Result};
use crate::primitives::crypto::sha256_hex;
use crate::records::key::lockout_suffix;

/// Longest lock, and how long a counter lives after its last failure.
pub const QUIET_SECS: i64 = 900;
/// The default `USER_LOCKOUT_THRESHOLD`.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// The bounds of `USER_LOCKOUT_THRESHOLD`.
pub const THRESHOLD_RANGE: (u32, u32) = (3, 10_000);
/// How often a reservation is retried when another attempt changed a counter between
/// the read and the swap; past that the attempt is refused (429) rather than waiting.
const SWAP_TRIES: usize = 4;

/// One stored counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Failures recorded (reservations included).
    pub count: u32,
    /// Every attempt is refused until then (epoch seconds; 0: no lock).
    pub locked_until: i64,
    /// When the counter is forgotten (its last failure + [`QUIET_SECS`]).
    pub expires_at: i64,
}

/// One counter's change in a reservation: from what was read (`None`: absent or
/// expired) to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub key: String,
    pub seen: Option<Counter>,
    pub new: Counter,
}

/// The lockout counters in the table. Every change is conditional on what was read.
pub trait LockoutStore: Send + Sync {
    /// The counters at `keys` (record keys below `rate#`), in order; `None` where a
    /// counter is absent or expired at `now`. Strongly consistent reads.
    fn lockout_read(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<Vec<Option<Counter>>>> + Send;
    /// Applies every swap in one transaction, each only if its counter still is what
    /// was `seen` (absent or expired at `now` for `None`). `Ok(false)`: one changed,
    /// nothing was written.
    fn lockout_swap(&self, swaps: &[Swap], now: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes the counters (a success).
    fn lockout_clear(&self, keys: &[String]) -> impl Future<Output = Result<()>> + Send;
}

/// The lock a failure count earns: none below the threshold, then 2^(n−t) seconds, at
/// most [`QUIET_SECS`].
pub fn lock_secs(count: u32, threshold: u32) -> i64 {
    match count.checked_sub(threshold) {
        None => 0,
        Some(over) if over >= 10 => QUIET_SECS,
        Some(over) => (1_i64 << over).min(QUIET_SECS),
    }
}

/// The counter key of a sign-in identifier (its normalized form, `u:` or `e:`).
pub fn identifier_key(counter_key: &str) -> String {
    lockout_suffix("id", &sha256_hex(counter_key.as_bytes()))
}

/// The counter key of a user id.
pub fn user_key(user_id: &str) -> String {
    lockout_suffix("user", &sha256_hex(user_id.as_bytes()))
}

/// A reserved attempt: [`Lockout::succeeded`] clears its counters; a failure leaves
/// them as they are.
#[must_use = "a reservation is cleared on success"]
#[derive(Debug)]
pub struct Reservation {
    keys: Vec<String>,
}

/// The lockout rules over a store.
pub struct Lockout<'a, S> {
    store: &'a S,
    threshold: u32,
}

impl<'a, S: LockoutStore> Lockout<'a, S> {
    pub fn new(store: &'a S, threshold: u32) -> Self {
        Lockout { store, threshold }
    }

    fn too_many(retry_after: i64) -> Error {
        Error::TooManyRequests {
            retry_after: retry_after.max(1),
            oauth: None,
        }
    }

    /// Refuses the attempt (429 with `Retry-After`) while any of `keys` is locked,
    /// writing nothing; otherwise records it as a failure under every key and returns
    /// the reservation.
    pub async fn reserve(&self, keys: Vec<String>, now: i64) -> Result<Reservation> {
        for _ in 0..SWAP_TRIES {
            let seen = self.store.lockout_read(&keys, now).await?;
            if let Some(until) = seen
                .iter()
                .flatten()
                .map(|c| c.locked_until)
                .filter(|until| *until > now)
                .max()
            {
                return Err(Self::too_many(until - now));
            }
            let swaps: Vec<Swap> = keys
                .iter()
                .zip(seen)
                .map(|(key, seen)| {
                    let count = seen.map_or(0, |c| c.count).saturating_add(1);
                    let lock = lock_secs(count, self.threshold);
                    Swap {
                        key: key.clone(),
                        seen,
                        new: Counter {
                            count,
                            locked_until: if lock > 0 { now + lock } else { 0 },
                            expires_at: now + QUIET_SECS,
                        },
                    }
                })
                .collect();
            if self.store.lockout_swap(&swaps, now).await? {
                return Ok(Reservation { keys });
            }
        }
        Err(Self::too_many(1))
    }

    /// The attempt succeeded: its counters are reset.
    pub async fn succeeded(&self, reservation: Reservation) -> Result<()> {
        self.store.lockout_clear(&reservation.keys).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// Counters in memory with the store's conditions.
    #[derive(Default)]
    struct Counters {
        items: Mutex<HashMap<String, Counter>>,
        swaps: Mutex<u32>,
    }

    impl LockoutStore for Counters {
        async fn lockout_read(&self, keys: &[String], now: i64) -> Result<Vec<Option<Counter>>> {
            let items = self.items.lock().unwrap();
            Ok(keys
                .iter()
                .map(|k| items.get(k).copied().filter(|c| c.expires_at > now))
                .collect())
        }
        async fn lockout_swap(&self, swaps: &[Swap], now: i64) -> Result<bool> {
            let mut items = self.items.lock().unwrap();
            let current = |k: &str| items.get(k).copied().filter(|c| c.expires_at > now);
            if swaps.iter().any(|s| current(&s.key) != s.seen) {
                return Ok(false);
            }
            for s in swaps {
                items.insert(s.key.clone(), s.new);
            }
            *self.swaps.lock().unwrap() += 1;
            Ok(true)
        }
        async fn lockout_clear(&self, keys: &[String]) -> Result<()> {
            let mut items = self.items.lock().unwrap();
            for k in keys {
                items.remove(k);
            }
            Ok(())
        }
    }

    fn retry_after(e: &Error) -> i64 {
        match e {
            Error::TooManyRequests { retry_after, .. } => *retry_after,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn locks_double_from_one_second_up_to_fifteen_minutes() {
        assert_eq!(lock_secs(4, 5), 0);
        assert_eq!(lock_secs(5, 5), 1);
        assert_eq!(lock_secs(6, 5), 2);
        assert_eq!(lock_secs(14, 5), 512);
        assert_eq!(lock_secs(15, 5), 900);
        assert_eq!(lock_secs(u32::MAX, 5), 900);
        assert_eq!(lock_secs(3, 3), 1);
    }

    #[test]
    fn keys_are_hashed_under_the_users_prefix() {
        let k = identifier_key("e:ann@example.com");
        assert!(!k.contains("ann"), "{k}");
        let pk = crate::records::key::Key::Rate(&k).pk();
        assert!(pk.starts_with(crate::records::key::prefix::RATE_USERS));
        assert_ne!(user_key("abc"), identifier_key("abc"));
    }

    #[tokio::test]
    async fn the_threshold_locks_every_attempt_and_the_lock_lifts_on_time() {
        let c = Counters::default();
        let l = Lockout::new(&c, 5);
        let keys = || vec![identifier_key("u:ann"), user_key("U1")];
        let now = 1_000;
        for _ in 0..5 {
            let _failure = l.reserve(keys(), now).await.unwrap();
        }
        // The 6th attempt, whatever its password, is refused before any check.
        let refused = l.reserve(keys(), now).await.unwrap_err();
        assert_eq!(retry_after(&refused), 1);
        let swaps = *c.swaps.lock().unwrap();
        // Refusals during the lock write nothing: no count, no extension.
        for _ in 0..10 {
            assert!(l.reserve(keys(), now).await.is_err());
        }
        assert_eq!(*c.swaps.lock().unwrap(), swaps);
        // One second later the lock has lifted; the 6th failure locks for 2 s.
        let _sixth = l.reserve(keys(), now + 1).await.unwrap();
        assert_eq!(
            retry_after(&l.reserve(keys(), now + 1).await.unwrap_err()),
            2
        );
        assert!(l.reserve(keys(), now + 3).await.is_ok());
    }

    #[tokio::test]
    async fn either_counter_locks() {
        let c = Counters::default();
        let l = Lockout::new(&c, 3);
        // Three identifiers of one user (its name, its e-mail, ...) share its counter.
        for id in ["u:ann", "e:ann@example.com", "u:ann"] {
            let _f = l
                .reserve(vec![identifier_key(id), user_key("U1")], 10)
                .await
                .unwrap();
        }
        let other_name = vec![identifier_key("e:other@example.com"), user_key("U1")];
        assert!(
            l.reserve(other_name, 10).await.is_err(),
            "the user's counter"
        );
        assert!(l.reserve(vec![identifier_key("u:bob")], 10).await.is_ok());
    }

    #[tokio::test]
    async fn a_success_and_fifteen_quiet_minutes_reset_the_counters() {
        let c = Counters::default();
        let l = Lockout::new(&c, 3);
        let keys = || vec![identifier_key("u:ann")];
        for _ in 0..2 {
            let _f = l.reserve(keys(), 0).await.unwrap();
        }
        let ok = l.reserve(keys(), 0).await.unwrap();
        l.succeeded(ok).await.unwrap();
        for _ in 0..2 {
            let _f = l.reserve(keys(), 0).await.unwrap();
        }
        assert!(l.reserve(keys(), 0).await.is_ok(), "the success reset it");
        // Now at 3 (locked 1 s); after 15 quiet minutes the count starts again.
        let later = QUIET_SECS;
        let _f = l.reserve(keys(), later).await.unwrap();
        let stored = c.lockout_read(&keys(), later).await.unwrap()[0].unwrap();
        assert_eq!(stored.count, 1);
        assert_eq!(stored.locked_until, 0);
    }

    #[tokio::test]
    async fn fifty_attempts_in_one_second_pass_at_most_the_threshold() {
        // The parallel case (the swap against DynamoDB) is `users::parallel_failures_never_exceed_the_limits`.
        let c = Counters::default();
        let l = Lockout::new(&c, 5);
        let mut passed = 0;
        for _ in 0..50 {
            if l.reserve(vec![identifier_key("u:ann")], 7).await.is_ok() {
                passed += 1;
            }
        }
        assert_eq!(passed, 5);
    }
}
