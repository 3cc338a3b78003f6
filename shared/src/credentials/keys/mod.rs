//! The signing key ring: `next`, `current`, `previous` in one Secrets Manager secret.
//! Signers use `current`; the JWKS publishes all three, so every key is public one
//! rotation period before it signs and stays public one period after.

mod cache;
mod material;

pub use cache::SigningKeys;
pub use material::{Jwk, JwkSet, LoadedRing, VerifyKey, generate_key, public_jwk};

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Signature algorithms the ring can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
}

impl SigningAlg {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(SigningAlg::RS256),
            "ES256" => Some(SigningAlg::ES256),
            _ => None,
        }
    }

    pub fn jwt(self) -> Algorithm {
        match self {
            SigningAlg::RS256 => Algorithm::RS256,
            SigningAlg::ES256 => Algorithm::ES256,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
        }
    }
}

/// One private key as stored in the secret (PKCS#8, base64).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoredKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub pkcs8: String,
    pub created_at: i64,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The secret's value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyRing {
    pub next: StoredKey,
    pub current: StoredKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<StoredKey>,
    /// When `current` started signing (epoch seconds).
    pub rotated_at: i64,
    /// The Secrets Manager version id of the AWSCURRENT ring this one was derived from
    /// (written by `createSecret`). `finishSecret` promotes this ring only while that
    /// version is still AWSCURRENT, so a rotation that an emergency rotation overtook
    /// cannot bring the revoked keys back (docs/SECURITY.md, "Finding 1"). Absent in
    /// rings written before this field existed, and when there was no AWSCURRENT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
}

/// The value a freshly deployed secret holds before the first rotation creates the ring.
pub const UNINITIALIZED: &str = "{}";

/// What kind of rotation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RotationKind {
    /// The first rotation: a whole new ring.
    Created,
    /// previous ← current ← next, and a new next.
    Rotated,
    /// Forced (the ring is compromised): a new current and a new next, no previous;
    /// every old key was dropped at once.
    EmergencyRotated,
}

impl RotationKind {
    /// The name in answers and logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RotationKind::Created => "created",
            RotationKind::Rotated => "rotated",
            RotationKind::EmergencyRotated => "emergency_rotated",
        }
    }
}

/// What a rotation did: the new ring's kids and the kids that left the ring (and so
/// the JWKS). Warm instances keep trusting a dropped kid until they reload the ring,
/// at most `KEY_RING_REFRESH` later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotationOutcome {
    #[serde(rename = "outcome")]
    pub kind: RotationKind,
    pub current_kid: String,
    pub next_kid: String,
    pub dropped_kids: Vec<String>,
}

impl RotationOutcome {
    fn new(kind: RotationKind, old: Option<&KeyRing>, new: &KeyRing) -> Self {
        let dropped_kids = old
            .into_iter()
            .flat_map(KeyRing::keys)
            .filter(|k| new.keys().all(|n| n.kid != k.kid))
            .map(|k| k.kid.clone())
            .collect();
        RotationOutcome {
            kind,
            current_kid: new.current.kid.clone(),
            next_kid: new.next.kid.clone(),
            dropped_kids,
        }
    }
}

impl KeyRing {
    /// Parses the secret value; `None` for the uninitialized placeholder.
    pub fn parse(value: &str) -> Result<Option<KeyRing>> {
        if value.trim() == UNINITIALIZED {
            return Ok(None);
        }
        serde_json::from_str(value)
            .map(Some)
            .map_err(|e| Error::Internal(format!("signing key ring is not valid: {e}")))
    }

    #[allow(
        clippy::expect_used,
        reason = "a ring is strings and numbers only: serializing it cannot fail"
    )]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("key ring serializes")
    }

    /// A new ring: `current` and `next` generated, no `previous`.
    pub fn create(alg: SigningAlg, now: i64) -> Result<KeyRing> {
        Ok(KeyRing {
            next: generate_key(alg, now)?,
            current: generate_key(alg, now)?,
            previous: None,
            rotated_at: now,
            derived_from: None,
        })
    }

    /// The next ring after `existing` (a new one when there is none).
    ///
    /// Unforced: previous ← current ← next, and a new next; refused when the last
    /// rotation is less than `min_interval` seconds ago. Forced means the ring is
    /// compromised, whatever the timing: a new current and a new next, no previous, so
    /// every old key (including the old next, which sat in the same secret) is dropped.
    /// The minimum interval does not apply to a forced rotation.
    pub(crate) fn rotate(
        existing: Option<&KeyRing>,
        alg: SigningAlg,
        now: i64,
        min_interval: i64,
        force: bool,
    ) -> Result<(KeyRing, RotationOutcome)> {
        let Some(old) = existing else {
            let ring = KeyRing::create(alg, now)?;
            let outcome = RotationOutcome::new(RotationKind::Created, None, &ring);
            return Ok((ring, outcome));
        };
        if force {
            let ring = KeyRing::create(alg, now)?;
            let outcome = RotationOutcome::new(RotationKind::EmergencyRotated, Some(old), &ring);
            return Ok((ring, outcome));
        }
        let since = now - old.rotated_at;
        if since < min_interval {
            return Err(Error::Conflict(format!(
                "rotation refused: the last one was {since} s ago and the minimum interval is {min_interval} s (longest token lifetime + JWKS max-age); force it only in an emergency"
            )));
        }
        let ring = KeyRing {
            next: generate_key(alg, now)?,
            current: old.next.clone(),
            previous: Some(old.current.clone()),
            rotated_at: now,
            derived_from: None,
        };
        let outcome = RotationOutcome::new(RotationKind::Rotated, Some(old), &ring);
        Ok((ring, outcome))
    }

    pub fn keys(&self) -> impl Iterator<Item = &StoredKey> {
        [
            Some(&self.next),
            Some(&self.current),
            self.previous.as_ref(),
        ]
        .into_iter()
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::credentials::secrets::SecretSource;

    fn kids(ring: &KeyRing) -> Vec<String> {
        ring.keys().map(|k| k.kid.clone()).collect()
    }

    #[test]
    fn ring_rotates_and_refuses_too_early() {
        let (ring, o) = KeyRing::rotate(None, SigningAlg::ES256, 1000, 100, false).unwrap();
        assert_eq!(o.kind, RotationKind::Created);
        assert_eq!(o.dropped_kids, Vec::<String>::new());
        assert_eq!(
            (o.current_kid.as_str(), o.next_kid.as_str()),
            (ring.current.kid.as_str(), ring.next.kid.as_str())
        );
        assert!(ring.previous.is_none());
        assert_ne!(ring.next.kid, ring.current.kid);

        let early = KeyRing::rotate(Some(&ring), SigningAlg::ES256, 1050, 100, false);
        assert_eq!(early.unwrap_err().status().as_u16(), 409);

        let (r2, o) = KeyRing::rotate(Some(&ring), SigningAlg::ES256, 1100, 100, false).unwrap();
        assert_eq!(o.kind, RotationKind::Rotated);
        assert_eq!(r2.current, ring.next);
        assert_eq!(r2.previous.as_ref(), Some(&ring.current));
        assert_eq!(r2.rotated_at, 1100);
        assert_eq!(
            o.dropped_kids,
            Vec::<String>::new(),
            "the first ring had no previous"
        );

        let (r3, o) = KeyRing::rotate(Some(&r2), SigningAlg::ES256, 1200, 100, false).unwrap();
        assert_eq!(
            o.dropped_kids,
            vec![ring.current.kid.clone()],
            "the old previous left"
        );
        assert_eq!(r3.previous.as_ref(), Some(&r2.current));
    }

    /// A forced rotation at `now` of a ring last rotated at 1000 (interval 100).
    fn forced_at(now: i64) {
        let (r0, _) = KeyRing::rotate(None, SigningAlg::ES256, 0, 100, false).unwrap();
        let (old, _) = KeyRing::rotate(Some(&r0), SigningAlg::ES256, 1000, 100, false).unwrap();
        assert!(old.previous.is_some(), "the old ring has all three keys");
        let (new, o) = KeyRing::rotate(Some(&old), SigningAlg::ES256, now, 100, true).unwrap();
        assert_eq!(o.kind, RotationKind::EmergencyRotated);
        assert!(
            new.previous.is_none(),
            "no previous after a forced rotation"
        );
        for k in old.keys() {
            assert!(
                new.keys().all(|n| n.kid != k.kid && n.pkcs8 != k.pkcs8),
                "old key {} is gone from the ring",
                k.kid
            );
        }
        let mut dropped = o.dropped_kids.clone();
        dropped.sort();
        let mut all_old = kids(&old);
        all_old.sort();
        assert_eq!(dropped, all_old, "the answer names every old kid");
        assert_eq!(o.current_kid, new.current.kid);
        assert_eq!(o.next_kid, new.next.kid);
        assert_eq!(new.rotated_at, now);
    }

    #[test]
    fn forced_rotation_inside_the_interval_replaces_every_key() {
        forced_at(1001);
    }

    #[test]
    fn forced_rotation_outside_the_interval_replaces_every_key() {
        forced_at(1000 + 100);
        forced_at(1000 + 10_000);
    }

    #[test]
    fn rings_with_and_without_derived_from_parse() {
        let (mut ring, _) = KeyRing::rotate(None, SigningAlg::ES256, 0, 0, false).unwrap();
        // A ring written before the field existed (deny_unknown_fields stays on).
        let old = ring.to_json();
        assert!(!old.contains("derived_from"));
        assert_eq!(KeyRing::parse(&old).unwrap().unwrap().derived_from, None);
        ring.derived_from = Some("v-1".into());
        let parsed = KeyRing::parse(&ring.to_json()).unwrap().unwrap();
        assert_eq!(parsed.derived_from.as_deref(), Some("v-1"));
        assert_eq!(parsed, ring);
    }

    #[test]
    fn ring_round_trips_and_publishes_three_keys() {
        let (ring, _) = KeyRing::rotate(None, SigningAlg::RS256, 0, 0, false).unwrap();
        let (ring, _) = KeyRing::rotate(Some(&ring), SigningAlg::RS256, 10, 0, false).unwrap();
        let parsed = KeyRing::parse(&ring.to_json()).unwrap().unwrap();
        assert_eq!(parsed, ring);
        assert_eq!(KeyRing::parse(" {} ").unwrap(), None);
        assert!(KeyRing::parse("{\"x\":1}").is_err());
        let loaded = LoadedRing::load(&ring).unwrap();
        let jwks = serde_json::to_value(&loaded.jwks).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 3);
        for k in keys {
            assert_eq!(k["use"], "sig");
            assert_eq!(k["alg"], "RS256");
            assert!(
                k.get("d").is_none() && k.get("p").is_none(),
                "no private parts"
            );
        }
        assert_eq!(loaded.signer_kid, ring.current.kid);
    }

    /// A ring secret in memory that counts its reads; `None` fails them.
    struct Ring(Option<String>, std::sync::atomic::AtomicUsize);

    impl SecretSource for Ring {
        async fn fetch(&self, _: &str) -> Result<secrecy::SecretString> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let value = self.0.clone();
            value
                .map(Into::into)
                .ok_or_else(|| Error::Internal("down".into()))
        }
    }

    fn signing_keys(value: Option<String>) -> SigningKeys<Ring> {
        let ring = Ring(value, Default::default());
        let hour = Duration::from_secs(3600);
        SigningKeys::new(ring, "ring", hour, hour)
    }

    fn reads(keys: &SigningKeys<Ring>) -> usize {
        keys.source().1.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Warm reads make no call; an unknown kid reloads at once (a routine load does not
    /// start the cooldown), then not again within the cooldown.
    #[tokio::test]
    async fn the_ring_is_read_once_and_reloaded_once_per_cooldown_for_unknown_kids() {
        let (ring, _) = KeyRing::rotate(None, SigningAlg::ES256, 0, 0, false).unwrap();
        let keys = std::sync::Arc::new(signing_keys(Some(ring.to_json())));
        for _ in 0..10 {
            assert_eq!(keys.ring().await.unwrap().signer_kid, ring.current.kid);
        }
        assert!(keys.verifier(&ring.next.kid).await.unwrap().is_some());
        assert_eq!(reads(&keys), 1);
        let mut tasks = Vec::new();
        for i in 0..20 {
            let keys = keys.clone();
            tasks.push(tokio::spawn(async move {
                keys.verifier(&format!("unknown-{i}")).await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_none());
        }
        assert_eq!(reads(&keys), 2, "one reload for the unknown-kid flood");
        keys.invalidate();
        assert!(keys.ring().await.is_ok());
        assert_eq!(reads(&keys), 3);
    }

    #[tokio::test]
    async fn a_failed_ring_read_is_an_error_and_is_not_cached() {
        let keys = signing_keys(None);
        assert!(keys.ring().await.is_err());
        assert!(keys.verifier("k").await.is_err());
        assert_eq!(reads(&keys), 2);
        let keys = signing_keys(Some(UNINITIALIZED.into()));
        assert!(keys.ring().await.is_err(), "no ring yet");
    }

    #[test]
    fn debug_hides_private_keys() {
        let k = generate_key(SigningAlg::ES256, 0).unwrap();
        assert!(!format!("{k:?}").contains(&k.pkcs8));
    }
}
