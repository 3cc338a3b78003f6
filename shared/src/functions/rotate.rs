//! The rotation function: one Secrets Manager rotation step of the signing key ring
//! (the protocol itself is [`crate::credentials::rotation`]).

use aws_lambda_events::secretsmanager::SecretsManagerSecretRotationEvent;

use crate::credentials::rotation::{
    Caller, RotationPolicy, RotationStep, SecretVersions, StepOutcome, run_step,
};
use crate::error::{Error, Result};
use crate::records::lock::LockStore;

/// The rotation Lambda over its ports: the secret's versions `V`, the lock store `L`
/// (only the `signing-keys` lock item, template.yaml), the policy, and the one secret it
/// serves.
pub struct Rotator<V, L> {
    pub sm: V,
    pub locks: L,
    pub policy: RotationPolicy,
    pub secret_id: String,
}

impl<V: SecretVersions, L: LockStore> Rotator<V, L> {
    /// One rotation step; only the configured secret is rotated.
    pub(crate) async fn step(
        &self,
        event: &SecretsManagerSecretRotationEvent,
    ) -> Result<StepOutcome> {
        if event.secret_id != self.secret_id {
            return Err(Error::Forbidden("not_the_signing_key_secret"));
        }
        tracing::info!(step = %event.step, "rotation step");
        let req = RotationStep {
            step: &event.step,
            secret_id: &event.secret_id,
            token: &event.client_request_token,
            caller: Caller::SecretsManager,
        };
        let outcome = run_step(
            &self.sm,
            &self.locks,
            self.policy,
            &req,
            crate::primitives::time::now_epoch(),
        )
        .await?;
        tracing::info!(event = "rotation_step", step = %event.step, outcome = outcome.as_str());
        Ok(outcome)
    }
}
