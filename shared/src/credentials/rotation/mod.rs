//! Secrets Manager rotation of the signing key ring: the standard four steps
//! (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) with the AWSCURRENT /
//! AWSPENDING / AWSPREVIOUS labels. The first rotation after deploy creates the ring.
//!
//! A rotation never resurrects a revoked ring (docs/SECURITY.md, "Finding 1"):
//! `createSecret` records in the pending ring the AWSCURRENT version it was derived
//! from, and `finishSecret`, under the `signing-keys` lock, promotes it only while that
//! version is still AWSCURRENT; otherwise it removes the pending label and logs
//! `superseded`. `testSecret` and `finishSecret` refuse a token Secrets Manager does not
//! list.

mod step;

pub use step::{Caller, RotationStep, StepOutcome};

use std::collections::HashMap;
use std::future::Future;

use crate::credentials::keys::{KeyRing, LoadedRing, RotationKind, RotationOutcome, SigningAlg};
use crate::error::{Error, Result};
use crate::records::lock::{self, LockStore};
use step::{Step, StepRefusal};

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";
/// The label a direct rotation ([`rotate_now`]: the admin API, the local bootstrap,
/// tests) stages its new version under instead of AWSPENDING. A scheduled rotation in
/// flight so keeps its AWSPENDING version, and its `finishSecret` then sees that
/// AWSCURRENT moved on and ends `superseded` instead of failing half-way.
pub(crate) const DIRECT_PENDING: &str = "GATEHOUSE_DIRECT";

/// The Secrets Manager operations rotation needs.
pub trait SecretVersions: Send + Sync {
    /// Version id → stages (the versions Secrets Manager lists: those with a label).
    fn versions(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<HashMap<String, Vec<String>>>> + Send;
    /// The value of a version or stage; `None` if there is no such version.
    fn value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// AWSCURRENT's version id and value, read together (one call, so the two always
    /// belong to each other); `None` if the secret has no AWSCURRENT version.
    fn current(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<Option<(String, String)>>> + Send;
    /// Stores `value` as version `token` labelled `stage`.
    fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        stage: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Moves AWSCURRENT to `token` (from `from`, which becomes AWSPREVIOUS), then
    /// removes `stage` from `token`.
    fn promote(
        &self,
        secret_id: &str,
        token: &str,
        from: Option<&str>,
        stage: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes the label `stage` from version `token`.
    fn remove_stage(
        &self,
        secret_id: &str,
        token: &str,
        stage: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Rotation settings.
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    pub alg: SigningAlg,
    /// Longest token lifetime + JWKS max-age: a rotation sooner than this after the
    /// last one is refused unless forced.
    pub min_interval_secs: i64,
}

fn has(stages: &[String], stage: &str) -> bool {
    stages.iter().any(|s| s == stage)
}

/// The refusal of a version Secrets Manager does not list (logged).
fn unknown_token(step: Step, token: &str) -> Error {
    let refusal = StepRefusal::TokenNotListed { token };
    tracing::warn!(
        event = "rotation_step_refused",
        step = step.as_str(),
        reason = refusal.as_str(),
        version = token
    );
    refusal.into()
}

/// One rotation step. `finishSecret` runs under the `signing-keys` lock in `locks`.
pub async fn run_step<V: SecretVersions, L: LockStore>(
    sm: &V,
    locks: &L,
    policy: RotationPolicy,
    req: &RotationStep<'_>,
    now: i64,
) -> Result<StepOutcome> {
    let RotationStep {
        step,
        secret_id,
        token,
        caller,
    } = *req;
    let step = Step::parse(step).ok_or(StepRefusal::UnknownStep(step))?;
    let versions = sm.versions(secret_id).await?;
    match versions.get(token) {
        Some(stages) if has(stages, AWSCURRENT) => {
            tracing::info!(
                step = step.as_str(),
                "version is already AWSCURRENT; nothing to do"
            );
            return Ok(StepOutcome::Unchanged);
        }
        Some(stages) if !has(stages, AWSPENDING) => {
            return Err(StepRefusal::NotStaged {
                token,
                stage: AWSPENDING,
            }
            .into());
        }
        Some(_) => {}
        None if step == Step::Create && caller == Caller::Direct => {}
        None => return Err(unknown_token(step, token)),
    }
    match step {
        Step::Create => create(sm, policy, secret_id, token, now, false, AWSPENDING).await,
        Step::Test => test(sm, secret_id, token, AWSPENDING)
            .await
            .map(|_| StepOutcome::Tested),
        Step::Finish => {
            lock::locked(locks, lock::SIGNING_KEYS, async || {
                // Read again under the lock: what counts is AWSCURRENT now.
                let versions = sm.versions(secret_id).await?;
                if !versions.contains_key(token) {
                    return Err(unknown_token(step, token));
                }
                finish(sm, secret_id, token, &versions, AWSPENDING).await
            })
            .await
        }
        Step::Set => Ok(StepOutcome::Unchanged), // the ring lives only in this secret
    }
}

/// createSecret: the ring staged under `stage` is the current one rotated (or a new
/// ring), and records the AWSCURRENT version it was derived from.
pub(crate) async fn create<V: SecretVersions>(
    sm: &V,
    policy: RotationPolicy,
    secret_id: &str,
    token: &str,
    now: i64,
    force: bool,
    stage: &str,
) -> Result<StepOutcome> {
    if sm.value(secret_id, Some(token), stage).await?.is_some() {
        return Ok(StepOutcome::Unchanged);
    }
    let (derived_from, current) = match sm.current(secret_id).await? {
        None => (None, None),
        Some((version, value)) => (Some(version), KeyRing::parse(&value)?),
    };
    let (mut ring, outcome) = KeyRing::rotate(
        current.as_ref(),
        policy.alg,
        now,
        policy.min_interval_secs,
        force,
    )?;
    ring.derived_from = derived_from;
    sm.put_pending(secret_id, token, &ring.to_json(), stage)
        .await?;
    let dropped = outcome.dropped_kids.join(" ");
    if outcome.kind == RotationKind::EmergencyRotated {
        tracing::warn!(event = "rotation_create", outcome = outcome.kind.as_str(), current_kid = %outcome.current_kid, next_kid = %outcome.next_kid, dropped_kids = %dropped, "emergency rotation staged: every old key is dropped; tokens they signed stop verifying once instances reload the ring");
    } else {
        tracing::info!(event = "rotation_create", outcome = outcome.kind.as_str(), current_kid = %outcome.current_kid, next_kid = %outcome.next_kid, dropped_kids = %dropped, "signing key ring rotation staged");
    }
    Ok(StepOutcome::Staged(outcome))
}

/// The ring staged as version `token` under `stage`, for the step `step`.
async fn staged_ring<V: SecretVersions>(
    sm: &V,
    secret_id: &str,
    token: &str,
    stage: &str,
    step: Step,
) -> Result<KeyRing> {
    let value = sm
        .value(secret_id, Some(token), stage)
        .await?
        .ok_or(StepRefusal::NothingStaged(step))?;
    KeyRing::parse(&value)?.ok_or_else(|| Error::Internal("pending ring is empty".into()))
}

/// testSecret: every key of the ring staged under `stage` signs and verifies.
pub(crate) async fn test<V: SecretVersions>(
    sm: &V,
    secret_id: &str,
    token: &str,
    stage: &str,
) -> Result<()> {
    let ring = staged_ring(sm, secret_id, token, stage, Step::Test).await?;
    let loaded = LoadedRing::load(&ring)?;
    let now = crate::primitives::time::now_epoch();
    let claims =
        crate::credentials::jwt::Claims::new("https://rotation.test", "test", "test", "", now, 60);
    let token = crate::credentials::jwt::issue(&loaded, &claims)?;
    let header = crate::credentials::jwt::read_header(&token)
        .map_err(|r| Error::Internal(format!("test token header: {}", r.as_str())))?;
    let key = loaded
        .verifiers
        .get(&loaded.signer_kid)
        .ok_or_else(|| Error::Internal("signer not in ring".into()))?;
    let expect = crate::credentials::jwt::Expect {
        issuer: "https://rotation.test",
        audiences: &["test"],
        now,
    };
    crate::credentials::jwt::verify_issued(&token, &header, key, &expect).map_err(|r| {
        Error::Internal(format!(
            "pending ring does not verify its own token: {}",
            r.as_str()
        ))
    })?;
    Ok(())
}

/// finishSecret: AWSCURRENT moves to the version staged under `stage`, but only while
/// AWSCURRENT is still the version its ring was derived from; otherwise the label is
/// removed and the step ends `superseded`. The caller holds the `signing-keys` lock and
/// read `versions` under it.
pub(crate) async fn finish<V: SecretVersions>(
    sm: &V,
    secret_id: &str,
    token: &str,
    versions: &HashMap<String, Vec<String>>,
    stage: &str,
) -> Result<StepOutcome> {
    let current = versions
        .iter()
        .find(|(_, stages)| has(stages, AWSCURRENT))
        .map(|(v, _)| v.as_str());
    if current == Some(token) {
        return Ok(StepOutcome::Unchanged);
    }
    if !versions.get(token).is_some_and(|s| has(s, stage)) {
        return Err(StepRefusal::NotStaged { token, stage }.into());
    }
    let ring = staged_ring(sm, secret_id, token, stage, Step::Finish).await?;
    if ring.derived_from.as_deref() != current {
        sm.remove_stage(secret_id, token, stage).await?;
        tracing::warn!(
            event = "rotation_finish",
            outcome = "superseded",
            version = token,
            derived_from = ring.derived_from.as_deref().unwrap_or("none"),
            current_version = current.unwrap_or("none"),
            "AWSCURRENT is no longer the version this rotation was derived from: nothing promoted, the pending label removed"
        );
        return Ok(StepOutcome::Superseded);
    }
    sm.promote(secret_id, token, current, stage).await?;
    tracing::info!(
        event = "rotation_finish",
        outcome = "promoted",
        version = token,
        current_kid = %ring.current.kid,
        "signing key ring rotated"
    );
    Ok(StepOutcome::Promoted)
}

/// All four steps at once, for callers that rotate directly: the admin API (which holds
/// the `signing-keys` lock around this call), the local bootstrap and tests (moto
/// cannot invoke a rotation Lambda). The new version is staged under
/// [`DIRECT_PENDING`]. This function does not take the lock itself (it is not
/// reentrant): a caller that may race other rotations must hold it.
pub async fn rotate_now<V: SecretVersions>(
    sm: &V,
    policy: RotationPolicy,
    secret_id: &str,
    now: i64,
    force: bool,
) -> Result<RotationOutcome> {
    let token = crate::primitives::crypto::random_id();
    let stage = DIRECT_PENDING;
    let StepOutcome::Staged(outcome) =
        create(sm, policy, secret_id, &token, now, force, stage).await?
    else {
        return Err(Error::Internal("rotation created nothing".into()));
    };
    test(sm, secret_id, &token, stage).await?;
    let versions = sm.versions(secret_id).await?;
    match finish(sm, secret_id, &token, &versions, stage).await? {
        StepOutcome::Promoted => Ok(outcome),
        _ => Err(StepRefusal::RingChanged.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A stored version: id, value (none until `createSecret` fills it), labels.
    type Version = (String, Option<String>, Vec<String>);

    /// Secrets Manager as AWS behaves (moto differs): a staging label sits on one version
    /// at a time, and `VersionIdsToStages` lists only versions that still carry one.
    #[derive(Default)]
    struct AwsLike {
        versions: Mutex<Vec<Version>>,
    }

    impl AwsLike {
        /// Puts `stage` on `token` (creating a version without a value if needed),
        /// taking it from whichever version had it.
        fn label(&self, token: &str, stage: &str) {
            let mut v = self.versions.lock().unwrap();
            for (_, _, stages) in v.iter_mut() {
                stages.retain(|s| s != stage);
            }
            match v.iter_mut().find(|(id, _, _)| id == token) {
                Some((_, _, stages)) => stages.push(stage.to_owned()),
                None => v.push((token.to_owned(), None, vec![stage.to_owned()])),
            }
        }

        fn current_version(&self) -> Option<String> {
            self.versions
                .lock()
                .unwrap()
                .iter()
                .find(|(_, _, s)| has(s, AWSCURRENT))
                .map(|(id, _, _)| id.clone())
        }
    }

    impl SecretVersions for AwsLike {
        async fn versions(&self, _: &str) -> Result<HashMap<String, Vec<String>>> {
            Ok(self
                .versions
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, _, s)| !s.is_empty())
                .map(|(id, _, s)| (id.clone(), s.clone()))
                .collect())
        }

        async fn value(
            &self,
            _: &str,
            version: Option<&str>,
            stage: &str,
        ) -> Result<Option<String>> {
            Ok(self
                .versions
                .lock()
                .unwrap()
                .iter()
                .find(|(id, _, s)| version.is_none_or(|v| v == id) && has(s, stage))
                .and_then(|(_, value, _)| value.clone()))
        }

        async fn current(&self, _: &str) -> Result<Option<(String, String)>> {
            Ok(self
                .versions
                .lock()
                .unwrap()
                .iter()
                .find(|(_, _, s)| has(s, AWSCURRENT))
                .and_then(|(id, value, _)| Some((id.clone(), value.clone()?))))
        }

        async fn put_pending(&self, _: &str, token: &str, value: &str, stage: &str) -> Result<()> {
            self.label(token, stage);
            let mut v = self.versions.lock().unwrap();
            if let Some(entry) = v.iter_mut().find(|(id, _, _)| id == token) {
                entry.1 = Some(value.to_owned());
            }
            Ok(())
        }

        async fn promote(
            &self,
            id: &str,
            token: &str,
            from: Option<&str>,
            stage: &str,
        ) -> Result<()> {
            if let Some(from) = from {
                self.label(from, "AWSPREVIOUS");
            }
            self.label(token, AWSCURRENT);
            self.remove_stage(id, token, stage).await
        }

        async fn remove_stage(&self, _: &str, token: &str, stage: &str) -> Result<()> {
            for (id, _, stages) in self.versions.lock().unwrap().iter_mut() {
                if id == token {
                    stages.retain(|s| s != stage);
                }
            }
            Ok(())
        }
    }

    /// Lock items in memory.
    #[derive(Default)]
    struct Locks(Mutex<HashMap<String, (String, i64)>>);

    impl LockStore for Locks {
        async fn try_lock(&self, name: &str, owner: &str, now: i64, exp: i64) -> Result<bool> {
            let mut m = self.0.lock().unwrap();
            if m.get(name).is_some_and(|(_, e)| *e >= now) {
                return Ok(false);
            }
            m.insert(name.to_owned(), (owner.to_owned(), exp));
            Ok(true)
        }

        async fn unlock(&self, name: &str, owner: &str) -> Result<()> {
            let mut m = self.0.lock().unwrap();
            if m.get(name).is_some_and(|(o, _)| o == owner) {
                m.remove(name);
            }
            Ok(())
        }
    }

    const ID: &str = "ring";
    const POLICY: RotationPolicy = RotationPolicy {
        alg: SigningAlg::ES256,
        min_interval_secs: 100,
    };

    fn scheduled<'a>(step: &'a str, token: &'a str) -> RotationStep<'a> {
        RotationStep {
            step,
            secret_id: ID,
            token,
            caller: Caller::SecretsManager,
        }
    }

    /// A deployed secret with its first ring as AWSCURRENT `v0`.
    async fn deployed() -> AwsLike {
        let sm = AwsLike::default();
        let ring = KeyRing::create(SigningAlg::ES256, 0).unwrap();
        sm.put_pending(ID, "v0", &ring.to_json(), AWSCURRENT)
            .await
            .unwrap();
        sm
    }

    /// A scheduled rotation whose version lost its AWSPENDING label (a second
    /// `RotateSecret` moved it on) is no longer listed by AWS: its `testSecret` and
    /// `finishSecret` are refused, and nothing is promoted. (Before the fix an unlisted
    /// token skipped every check and `finishSecret` promoted it.)
    #[tokio::test]
    async fn a_scheduled_version_that_lost_its_label_is_refused_not_promoted() {
        let (sm, locks) = (deployed().await, Locks::default());
        sm.label("x", AWSPENDING); // Secrets Manager starts a rotation: token x
        let staged = run_step(&sm, &locks, POLICY, &scheduled("createSecret", "x"), 200).await;
        assert!(matches!(staged, Ok(StepOutcome::Staged(_))), "{staged:?}");
        sm.label("y", AWSPENDING); // another rotation takes the label
        for step in ["setSecret", "testSecret", "finishSecret"] {
            let r = run_step(&sm, &locks, POLICY, &scheduled(step, "x"), 200).await;
            assert_eq!(r.unwrap_err().status().as_u16(), 409, "{step}");
        }
        assert_eq!(sm.current_version().as_deref(), Some("v0"));
    }

    /// With AWS's listing, a scheduled rotation overtaken by a direct emergency
    /// rotation still ends `superseded`: the direct one stages under its own label, so
    /// the scheduled version keeps AWSPENDING, and `finishSecret` sees AWSCURRENT moved.
    #[tokio::test]
    async fn an_overtaken_scheduled_rotation_ends_superseded_with_aws_listing() {
        let (sm, locks) = (deployed().await, Locks::default());
        sm.label("x", AWSPENDING);
        run_step(&sm, &locks, POLICY, &scheduled("createSecret", "x"), 200)
            .await
            .unwrap();
        let emergency = rotate_now(&sm, POLICY, ID, 210, true).await.unwrap();
        let after_emergency = sm.current_version();
        assert_ne!(after_emergency.as_deref(), Some("v0"));
        let r = run_step(&sm, &locks, POLICY, &scheduled("testSecret", "x"), 220).await;
        assert_eq!(r.unwrap(), StepOutcome::Tested);
        let r = run_step(&sm, &locks, POLICY, &scheduled("finishSecret", "x"), 220).await;
        assert_eq!(r.unwrap(), StepOutcome::Superseded);
        assert_eq!(sm.current_version(), after_emergency);
        let (_, value) = sm.current(ID).await.unwrap().unwrap();
        let ring = KeyRing::parse(&value).unwrap().unwrap();
        assert_eq!(ring.current.kid, emergency.current_kid);
        assert!(!sm.versions(ID).await.unwrap().contains_key("x"));
        assert!(locks.0.lock().unwrap().is_empty(), "lock released");
    }
}
