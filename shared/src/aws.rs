//! AWS SDK configuration shared by every function: bounded timeouts and retries, so a
//! slow dependency fails closed within the function's own time budget. Endpoints come
//! from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables (the local stack uses them);
//! no code path special-cases "local". Loading makes no network call.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(4))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await
}

/// One TLS stack for the process: rustls on aws-lc-rs, as the AWS SDK uses. Call before
/// building an HTTP client outside the SDK (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Builds a function from the environment: validated config, then the SDK clients it
/// may use (no network call). Every function's `from_env` goes through here.
pub async fn build_from_env<T>(
    build: impl FnOnce(
        crate::config::Config,
        aws_sdk_secretsmanager::Client,
        aws_sdk_dynamodb::Client,
    ) -> crate::Result<T>,
) -> crate::Result<T> {
    let config = crate::config::Config::from_env()?;
    let sdk = sdk_config().await;
    build(
        config,
        aws_sdk_secretsmanager::Client::new(&sdk),
        aws_sdk_dynamodb::Client::new(&sdk),
    )
}
