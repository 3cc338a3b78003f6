//! AWS SDK configuration shared by every function: bounded timeouts and retries, so a
//! slow dependency fails closed within the function's own time budget. Endpoints come
//! from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables (the local stack uses them);
//! no code path special-cases "local". Loading makes no network call.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::primitives::metrics::{self, Service};

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

/// Counts each attempt of each SDK operation in [`crate::primitives::metrics`].
#[derive(Debug)]
struct CountCalls(Service);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        metrics::record(self.0);
        Ok(())
    }
}

/// The functions' SDK clients: built from `sdk`, each counting its calls.
macro_rules! counted_client {
    ($(#[$doc:meta])* $name:ident, $sdk:ident, $service:expr) => {
        $(#[$doc])*
        pub fn $name(sdk: &SdkConfig) -> $sdk::Client {
            let conf = $sdk::config::Builder::from(sdk)
                .interceptor(CountCalls($service))
                .build();
            $sdk::Client::from_conf(conf)
        }
    };
}
counted_client!(
    /// DynamoDB (API keys, sessions, one-time values, locks).
    dynamodb, aws_sdk_dynamodb, Service::DynamoDb
);
counted_client!(
    /// Secrets Manager (key ring, client secrets).
    secretsmanager, aws_sdk_secretsmanager, Service::SecretsManager
);
counted_client!(
    /// STS (admin sign-in).
    sts, aws_sdk_sts, Service::Sts
);
counted_client!(
    /// IAM (admin group membership).
    iam, aws_sdk_iam, Service::Iam
);
counted_client!(
    /// SES v2 (the users function's e-mail).
    sesv2, aws_sdk_sesv2, Service::Ses
);

/// A `reqwest` client built on first use. Building one loads the trust store (native
/// roots: milliseconds, see docs/PERFORMANCE.md), and most invocations never need it
/// (host JWKS fetches, presigned STS forwards), so init does not pay for it.
pub(crate) struct LazyHttp {
    builder: fn() -> reqwest::ClientBuilder,
    client: std::sync::OnceLock<reqwest::Client>,
}

impl LazyHttp {
    pub(crate) fn new(builder: fn() -> reqwest::ClientBuilder) -> Self {
        LazyHttp {
            builder,
            client: std::sync::OnceLock::new(),
        }
    }

    /// The client, built now if this is the first use.
    pub(crate) fn get(&self) -> crate::Result<&reqwest::Client> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        install_crypto_provider();
        let built = (self.builder)()
            .build()
            .map_err(|e| crate::Error::Internal(format!("HTTP client: {e}")))?;
        Ok(self.client.get_or_init(|| built))
    }
}

/// One TLS stack for the process: rustls on aws-lc-rs, as the AWS SDK uses. Call before
/// building an HTTP client outside the SDK (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Builds a function from the environment: validated config, then the SDK clients it
/// may use (no network call). Every function's `from_env` goes through here.
pub(crate) async fn build_from_env<T>(
    build: impl FnOnce(
        crate::config::Config,
        aws_sdk_secretsmanager::Client,
        aws_sdk_dynamodb::Client,
    ) -> crate::Result<T>,
) -> crate::Result<T> {
    let config = crate::config::Config::from_env()?;
    let sdk = sdk_config().await;
    build(config, secretsmanager(&sdk), dynamodb(&sdk))
}
