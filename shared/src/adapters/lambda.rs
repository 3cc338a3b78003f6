//! The composition root: each function built over the AWS adapters from the
//! environment, and the Lambda runtime loops of the two non-HTTP functions. The HTTP
//! functions are served by [`crate::http::run`].

use std::sync::Arc;

use aws_lambda_events::secretsmanager::SecretsManagerSecretRotationEvent;
use aws_sdk_secretsmanager::Client as SecretsClient;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing::Instrument;

use super::dynamo::DynamoStore;
use super::jwks::HttpJwksFetch;
use super::oidc::{HttpOidc, relying_party};
use super::sdk::{build_from_env, dynamodb, sdk_config, secretsmanager, sesv2};
use super::ses::SesMailer;
use super::sts::AwsIdentity;
use crate::config::Config;
use crate::credentials::admin::AdminIdentity;
use crate::credentials::rotation::RotationPolicy;
use crate::credentials::secrets::SecretSource;
use crate::error::{Error, Result};
use crate::functions::admin::AdminFunction;
use crate::functions::authorizer::{Authorizer, AuthorizerStore};
use crate::functions::rotate::Rotator;
use crate::functions::token::TokenFunction;
use crate::functions::users::UsersFunction;
use crate::functions::widget::WidgetFunction;
use crate::primitives::logging::request_span;
use crate::primitives::metrics;
use crate::records::access::Function;

/// The authorizer as deployed: API keys and sessions in DynamoDB, the ring in Secrets
/// Manager.
pub type LambdaAuthorizer = Authorizer<DynamoStore, SecretsClient>;
/// The token function as deployed.
pub type LambdaToken = TokenFunction<DynamoStore, SecretsClient, HttpJwksFetch>;
/// The widget function as deployed.
pub type LambdaWidget = WidgetFunction<DynamoStore, SecretsClient>;
/// The admin function as deployed (tests substitute the identity): e-mailed invites
/// through SES.
pub type LambdaAdmin<I = AwsIdentity> =
    AdminFunction<I, DynamoStore, SecretsClient, SesMailer, HttpOidc>;
/// The users function as deployed: e-mail through SES.
pub type LambdaUsers = UsersFunction<DynamoStore, SesMailer, SecretsClient, HttpOidc>;
/// The rotation function as deployed.
pub type LambdaRotator = Rotator<SecretsClient, DynamoStore>;

fn store(config: &Config, dynamodb: aws_sdk_dynamodb::Client, function: Function) -> DynamoStore {
    DynamoStore::new(dynamodb, config.table_name.clone(), function)
}

impl LambdaAuthorizer {
    /// Builds the authorizer from the environment (no network call).
    pub async fn from_env() -> Result<Self> {
        build_from_env(|config, secrets, dynamodb| {
            let store = store(&config, dynamodb, Function::Authorizer);
            Ok(Authorizer::new(&config, store, secrets))
        })
        .await
    }
}

impl LambdaToken {
    pub fn new(
        config: Config,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self> {
        let store = store(&config, dynamodb, Function::Token);
        TokenFunction::from_parts(config, secrets, store, HttpJwksFetch::new()?)
    }

    pub async fn from_env() -> Result<Self> {
        build_from_env(Self::new).await
    }
}

impl LambdaWidget {
    pub fn new(
        config: Config,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self> {
        let store = store(&config, dynamodb, Function::Widget);
        WidgetFunction::from_parts(config, secrets, store)
    }

    pub async fn from_env() -> Result<Self> {
        build_from_env(Self::new).await
    }
}

impl LambdaUsers {
    pub fn new(
        config: Config,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: aws_sdk_sesv2::Client,
        secrets: SecretsClient,
    ) -> Self {
        let store = store(&config, dynamodb, Function::Users);
        let mailer = SesMailer::new(ses, config.users.signup.email_from.clone());
        let party = relying_party(&config);
        UsersFunction::from_parts(config, store, mailer, secrets, party)
    }

    /// Builds the users function from the environment (no network call). The one
    /// secret it reads, the providers' client secrets, is fetched on first use.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let sdk = sdk_config().await;
        Ok(Self::new(
            config,
            dynamodb(&sdk),
            sesv2(&sdk),
            secretsmanager(&sdk),
        ))
    }
}

impl LambdaAdmin {
    pub fn new(
        config: Config,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self> {
        let identity = AwsIdentity::new(sdk)?;
        Self::with_identity(config, identity, secrets, dynamodb, sesv2(sdk))
    }

    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let sdk = sdk_config().await;
        Self::new(config, secretsmanager(&sdk), dynamodb(&sdk), &sdk)
    }
}

impl<I: AdminIdentity> LambdaAdmin<I> {
    /// The admin function with another identity prover (tests count or fail its calls)
    /// and its SES client (tests route it through a fault proxy).
    pub fn with_identity(
        config: Config,
        identity: I,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: aws_sdk_sesv2::Client,
    ) -> Result<Self> {
        let store = store(&config, dynamodb, Function::Admin);
        let mailer = SesMailer::new(ses, config.users.signup.email_from.clone());
        let party = relying_party(&config);
        AdminFunction::from_parts(config, identity, secrets, store, mailer, party)
    }
}

impl LambdaRotator {
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let secret_id =
            Config::require(&config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?.to_owned();
        let sdk = sdk_config().await;
        Ok(Rotator {
            sm: secretsmanager(&sdk),
            locks: store(&config, dynamodb(&sdk), Function::Rotate),
            policy: RotationPolicy {
                alg: config.signing_alg,
                min_interval_secs: config.rotation_min_interval().as_secs() as i64,
            },
            secret_id,
        })
    }
}

/// Serves the rotation function on the Lambda runtime.
pub async fn run_rotator(rotator: LambdaRotator) -> std::result::Result<(), lambda_runtime::Error> {
    let rotator = Arc::new(rotator);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<SecretsManagerSecretRotationEvent>| {
            let rotator = rotator.clone();
            // The route of a rotation is its step (README "Logs").
            let span = request_span(
                Function::Rotate.name(),
                Some(&event.context.request_id),
                Some(&event.payload.step),
            );
            async move {
                let result = rotator.step(&event.payload).await;
                metrics::log_totals();
                result.map(|_| ()).map_err(|e| {
                    tracing::error!(error = %e.detail(), "rotation step failed");
                    lambda_runtime::Error::from(e.public_message())
                })
            }
            .instrument(span)
        },
    ))
    .await
}

/// The error reported to the runtime: exactly `Unauthorized` for a 401.
#[derive(Debug)]
struct Failure(String);
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Failure {}

/// One event through the authorizer, with errors as the runtime reports them, in the
/// request's span (README "Logs"; the local gateway calls this).
pub async fn invoke<S: AuthorizerStore, K: SecretSource>(
    authorizer: &Authorizer<S, K>,
    event: Value,
) -> std::result::Result<Value, lambda_runtime::Error> {
    invoke_as(authorizer, event, None).await
}

/// [`invoke`] for one Lambda invocation: its id names the request when the event
/// carries no `requestContext.requestId` (REST `TOKEN` events). The authorizer records
/// the route and its decision on the span.
async fn invoke_as<S: AuthorizerStore, K: SecretSource>(
    authorizer: &Authorizer<S, K>,
    event: Value,
    invocation_id: Option<&str>,
) -> std::result::Result<Value, lambda_runtime::Error> {
    let request_id = event
        .pointer("/requestContext/requestId")
        .and_then(Value::as_str)
        .or(invocation_id);
    let span = request_span(Function::Authorizer.name(), request_id, None);
    async move {
        let result = authorizer.handle(event).await;
        metrics::log_totals();
        result.map_err(|e| {
            let msg = match e {
                Error::Unauthorized(_) => "Unauthorized".to_owned(),
                other => other.code().to_owned(),
            };
            Box::new(Failure(msg)) as lambda_runtime::Error
        })
    }
    .instrument(span)
    .await
}

/// Serves the authorizer on the Lambda runtime.
pub async fn run_authorizer<S: AuthorizerStore + 'static, K: SecretSource + 'static>(
    authorizer: Authorizer<S, K>,
) -> std::result::Result<(), lambda_runtime::Error> {
    let authorizer = Arc::new(authorizer);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let authorizer = authorizer.clone();
        async move { invoke_as(&authorizer, event.payload, Some(&event.context.request_id)).await }
    }))
    .await
}
