//! Secrets Manager reads against moto (signature and policy checks on).

use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::Credentials;
use gatehouse::credentials::secrets::{SecretCache, SecretSource};
use gatehouse_e2e as common;
use secrecy::ExposeSecret;

/// A client signing with an access key moto never issued.
async fn forged() -> Client {
    common::require_env("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    let sdk = gatehouse::adapters::sdk::sdk_config().await;
    let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "not-the-secret", None, None, "test");
    Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&sdk)
            .credentials_provider(creds)
            .build(),
    )
}

async fn new_secret(value: &str) -> String {
    common::fresh_secret("secrets", value).await
}

#[tokio::test]
async fn cached_value_is_served_until_the_ttl_passes() {
    let name = new_secret("v1").await;
    let cache = SecretCache::new(common::operator_secrets().await, Duration::from_secs(2));
    assert_eq!(cache.get(&name).await.unwrap().expose_secret(), "v1");
    common::operator_secrets()
        .await
        .put_secret_value()
        .secret_id(&name)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cache.get(&name).await.unwrap().expose_secret(),
        "v1",
        "served from memory"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        cache.get(&name).await.unwrap().expose_secret(),
        "v2",
        "refreshed after the TTL"
    );
}

#[tokio::test]
async fn moto_checks_signatures_and_failures_are_errors() {
    let name = new_secret("v").await;
    let forged = forged().await;
    let err = forged.fetch(&name).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 503, "a failed read fails closed");
    let missing = common::operator_secrets()
        .await
        .fetch("gatehouse-test-does-not-exist")
        .await
        .unwrap_err();
    assert_eq!(missing.status().as_u16(), 503);
}

#[tokio::test]
async fn function_user_holds_only_the_template_permissions() {
    // The functions may read secrets (template: GetSecretValue on the ring and the
    // clients); nothing in template.yaml lets them create or delete one, and the
    // function user mirrors that.
    let name = new_secret("v").await;
    let functions = common::secrets().await;
    assert_eq!(functions.fetch(&name).await.unwrap().expose_secret(), "v");
    let create = functions
        .create_secret()
        .name(format!("{name}-2"))
        .secret_string("x")
        .send()
        .await;
    assert!(create.is_err(), "CreateSecret is not in the template");
    let delete = functions.delete_secret().secret_id(&name).send().await;
    assert!(delete.is_err(), "DeleteSecret is not in the template");
}
