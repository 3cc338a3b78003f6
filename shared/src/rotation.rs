//! Secrets Manager rotation of the signing key ring: the standard four steps
//! (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) with the AWSCURRENT /
//! AWSPENDING / AWSPREVIOUS labels. The first rotation after deploy creates the ring.

use std::collections::HashMap;
use std::future::Future;

use crate::error::{Error, Result};
use crate::keys::{KeyRing, LoadedRing, RotationOutcome, SigningAlg};

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";

/// The Secrets Manager operations rotation needs.
pub trait SecretVersions: Send + Sync {
    /// Version id → stages.
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
    /// Stores `value` as version `token` labelled AWSPENDING.
    fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Moves AWSCURRENT to `token` (from `from`, which becomes AWSPREVIOUS).
    fn promote(
        &self,
        secret_id: &str,
        token: &str,
        from: Option<&str>,
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

/// One rotation step, as the rotation Lambda receives it.
pub async fn run_step<V: SecretVersions>(
    sm: &V,
    policy: RotationPolicy,
    step: &str,
    secret_id: &str,
    token: &str,
    now: i64,
) -> Result<Option<RotationOutcome>> {
    let versions = sm.versions(secret_id).await?;
    if let Some(stages) = versions.get(token) {
        if stages.iter().any(|s| s == AWSCURRENT) {
            tracing::info!(step, "version is already AWSCURRENT; nothing to do");
            return Ok(None);
        }
        if !stages.iter().any(|s| s == AWSPENDING) {
            return Err(Error::Conflict(format!(
                "version {token} is not AWSPENDING"
            )));
        }
    }
    match step {
        "createSecret" => create(sm, policy, secret_id, token, now, false).await,
        "setSecret" => Ok(None), // the ring lives only in this secret
        "testSecret" => test(sm, secret_id, token).await.map(|_| None),
        "finishSecret" => finish(sm, secret_id, token, &versions).await.map(|_| None),
        other => Err(Error::bad_request(format!(
            "unknown rotation step `{other}`"
        ))),
    }
}

/// createSecret: the pending ring is the current one rotated (or a new ring).
pub async fn create<V: SecretVersions>(
    sm: &V,
    policy: RotationPolicy,
    secret_id: &str,
    token: &str,
    now: i64,
    force: bool,
) -> Result<Option<RotationOutcome>> {
    if sm
        .value(secret_id, Some(token), AWSPENDING)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let current = sm.value(secret_id, None, AWSCURRENT).await?;
    let current = match current.as_deref() {
        None => None,
        Some(v) => KeyRing::parse(v)?,
    };
    let (ring, outcome) = KeyRing::rotate(
        current.as_ref(),
        policy.alg,
        now,
        policy.min_interval_secs,
        force,
    )?;
    sm.put_pending(secret_id, token, &ring.to_json()).await?;
    match &outcome {
        RotationOutcome::EmergencyRotated { dropped_kid } => {
            tracing::warn!(dropped_kid = %dropped_kid, "emergency rotation: the old current key was dropped at once; tokens it signed no longer verify")
        }
        o => {
            tracing::info!(outcome = ?o, current_kid = %ring.current.kid, next_kid = %ring.next.kid, "signing key ring rotated (pending)")
        }
    }
    Ok(Some(outcome))
}

/// testSecret: every key of the pending ring signs and verifies.
pub async fn test<V: SecretVersions>(sm: &V, secret_id: &str, token: &str) -> Result<()> {
    let value = sm
        .value(secret_id, Some(token), AWSPENDING)
        .await?
        .ok_or_else(|| Error::Conflict("no pending version to test".into()))?;
    let ring =
        KeyRing::parse(&value)?.ok_or_else(|| Error::Internal("pending ring is empty".into()))?;
    let loaded = LoadedRing::load(&ring)?;
    let now = crate::now_epoch();
    let claims = crate::jwt::Claims::new("https://rotation.test", "test", "test", "", now, 60);
    let token = crate::jwt::issue(&loaded, &claims)?;
    let header = crate::jwt::read_header(&token)
        .map_err(|r| Error::Internal(format!("test token header: {}", r.as_str())))?;
    let key = loaded
        .verifiers
        .get(&loaded.signer_kid)
        .ok_or_else(|| Error::Internal("signer not in ring".into()))?;
    let expect = crate::jwt::Expect {
        issuer: "https://rotation.test",
        audiences: &["test"],
        now,
    };
    crate::jwt::verify_issued(&token, &header, key, &expect).map_err(|r| {
        Error::Internal(format!(
            "pending ring does not verify its own token: {}",
            r.as_str()
        ))
    })?;
    Ok(())
}

/// finishSecret: AWSCURRENT moves to the pending version.
pub async fn finish<V: SecretVersions>(
    sm: &V,
    secret_id: &str,
    token: &str,
    versions: &HashMap<String, Vec<String>>,
) -> Result<()> {
    let current = versions
        .iter()
        .find(|(_, stages)| stages.iter().any(|s| s == AWSCURRENT))
        .map(|(v, _)| v.as_str());
    if current == Some(token) {
        return Ok(());
    }
    sm.promote(secret_id, token, current).await
}

/// All four steps at once, for callers that rotate directly (the admin API under the
/// lock, the local bootstrap, tests): moto cannot invoke a rotation Lambda.
pub async fn rotate_now<V: SecretVersions>(
    sm: &V,
    policy: RotationPolicy,
    secret_id: &str,
    now: i64,
    force: bool,
) -> Result<RotationOutcome> {
    let token = crate::keys::random_id();
    let outcome = create(sm, policy, secret_id, &token, now, force)
        .await?
        .ok_or_else(|| Error::Internal("rotation created nothing".into()))?;
    test(sm, secret_id, &token).await?;
    let versions = sm.versions(secret_id).await?;
    finish(sm, secret_id, &token, &versions).await?;
    Ok(outcome)
}

#[cfg(feature = "aws")]
mod sm {
    use aws_sdk_secretsmanager::Client;
    use aws_sdk_secretsmanager::error::ProvideErrorMetadata;

    use super::*;

    const SERVICE: &str = "secretsmanager";

    impl SecretVersions for Client {
        async fn versions(&self, secret_id: &str) -> Result<HashMap<String, Vec<String>>> {
            let out = self
                .describe_secret()
                .secret_id(secret_id)
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(out.version_ids_to_stages().cloned().unwrap_or_default())
        }

        async fn value(
            &self,
            secret_id: &str,
            version_id: Option<&str>,
            stage: &str,
        ) -> Result<Option<String>> {
            let r = self
                .get_secret_value()
                .secret_id(secret_id)
                .set_version_id(version_id.map(str::to_owned))
                .version_stage(stage)
                .send()
                .await;
            match r {
                Ok(out) => Ok(out.secret_string().map(str::to_owned)),
                Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
                Err(e) => Err(Error::dependency(SERVICE, e)),
            }
        }

        async fn put_pending(&self, secret_id: &str, token: &str, value: &str) -> Result<()> {
            self.put_secret_value()
                .secret_id(secret_id)
                .client_request_token(token)
                .secret_string(value)
                .version_stages(AWSPENDING)
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(())
        }

        async fn promote(&self, secret_id: &str, token: &str, from: Option<&str>) -> Result<()> {
            self.update_secret_version_stage()
                .secret_id(secret_id)
                .version_stage(AWSCURRENT)
                .move_to_version_id(token)
                .set_remove_from_version_id(from.map(str::to_owned))
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            // The pending label has served its purpose.
            self.update_secret_version_stage()
                .secret_id(secret_id)
                .version_stage(AWSPENDING)
                .remove_from_version_id(token)
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(())
        }
    }
}

#[cfg(feature = "aws")]
pub use lambda::{Rotator, run};

#[cfg(feature = "aws")]
mod lambda {
    use std::sync::Arc;

    use aws_lambda_events::secretsmanager::SecretsManagerSecretRotationEvent;
    use lambda_runtime::{LambdaEvent, service_fn};

    use super::*;
    use crate::config::Config;

    /// The rotation Lambda: Secrets Manager client, policy, and the one secret it serves.
    pub struct Rotator {
        pub sm: aws_sdk_secretsmanager::Client,
        pub policy: RotationPolicy,
        pub secret_id: String,
    }

    impl Rotator {
        pub async fn from_env() -> Result<Self> {
            let config = Config::from_env()?;
            let secret_id =
                Config::require(&config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?.to_owned();
            let sdk = crate::aws::sdk_config().await;
            Ok(Rotator {
                sm: crate::aws::secretsmanager(&sdk),
                policy: RotationPolicy {
                    alg: config.signing_alg,
                    min_interval_secs: config.rotation_min_interval().as_secs() as i64,
                },
                secret_id,
            })
        }

        /// One rotation step; only the configured secret is rotated.
        pub async fn step(&self, event: &SecretsManagerSecretRotationEvent) -> Result<()> {
            if event.secret_id != self.secret_id {
                return Err(Error::Forbidden("not_the_signing_key_secret"));
            }
            tracing::info!(step = %event.step, "rotation step");
            run_step(
                &self.sm,
                self.policy,
                &event.step,
                &event.secret_id,
                &event.client_request_token,
                crate::now_epoch(),
            )
            .await?;
            Ok(())
        }
    }

    pub async fn run(rotator: Rotator) -> std::result::Result<(), lambda_runtime::Error> {
        let rotator = Arc::new(rotator);
        lambda_runtime::run(service_fn(
            move |event: LambdaEvent<SecretsManagerSecretRotationEvent>| {
                let rotator = rotator.clone();
                async move {
                    let result = rotator.step(&event.payload).await;
                    crate::metrics::log_totals();
                    result.map_err(|e| {
                        tracing::error!(error = %e.detail(), "rotation step failed");
                        lambda_runtime::Error::from(e.public_message())
                    })
                }
            },
        ))
        .await
    }
}
