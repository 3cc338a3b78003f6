//! Shared setup for the integration and end-to-end tests. The emulators are started by
//! `make test` (local/scripts/with-emulators.sh), which exports their endpoints.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use gatehouse::config::Config;
use gatehouse::store::DynamoStore;
use gatehouse_local::gateway::Gateway;

pub fn require_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `make test`, which starts the emulators")
    })
}

/// SDK config for the emulators, as the functions load it (their timeouts and retries).
pub async fn sdk() -> aws_config::SdkConfig {
    require_env("AWS_ENDPOINT_URL_DYNAMODB");
    gatehouse::aws::sdk_config().await
}

/// A DynamoDB client whose endpoint is a closed port: every call fails to connect.
pub async fn unreachable_dynamodb() -> aws_sdk_dynamodb::Client {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk().await)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A table of its own for each test, so tests run in parallel without clashing.
pub async fn fresh_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let name = format!("gatehouse-test-{}", gatehouse::crypto::random_base62(10));
    gatehouse_local::bootstrap::create_table(&client, &name)
        .await
        .unwrap();
    DynamoStore::new(client, name)
}

pub fn config(table: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("TABLE_NAME".into(), table.into());
    vars.insert("ALLOWED_ORIGINS".into(), "http://localhost:3001".into());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).unwrap()
}

/// Creates a key in `store`; returns the full key.
pub async fn api_key(
    store: &DynamoStore,
    scopes: Option<&[&str]>,
    expires_at: Option<i64>,
) -> String {
    let scopes = scopes.map(|s| s.iter().map(|x| x.to_string()).collect());
    gatehouse_local::bootstrap::create_api_key(store, "test", scopes, expires_at)
        .await
        .unwrap()
        .0
}

/// A local gateway on a free port in front of `store`'s table; returns its base URL.
pub async fn gateway(
    store: &DynamoStore,
    dynamodb: aws_sdk_dynamodb::Client,
    extra: &[(&str, &str)],
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let gw = Arc::new(Gateway::new(
        &config(store.table(), extra),
        dynamodb,
        addr.clone(),
    ));
    tokio::spawn(gw.serve(listener));
    format!("http://{addr}")
}

/// Reads a fixture from `tests/fixtures`, with `__KEY__` replaced.
pub fn fixture(name: &str, key: &str) -> serde_json::Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("__KEY__", key);
    serde_json::from_str(&text).unwrap()
}
