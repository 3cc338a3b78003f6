//! Creates what the local stack needs in the emulators: the table (as `template.yaml`
//! defines it) and the demo credentials, written to `.local/credentials.json`.

use std::path::Path;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use gatehouse::apikey::{self, ApiKeyRecord};
use gatehouse::store::{ApiKeyStore, DynamoStore, EXPIRES_AT, PK};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Creates the table if it does not exist: partition key `pk` (S), on-demand, TTL on
/// `expires_at`, matching `GatehouseTable` in `template.yaml`.
pub async fn create_table(client: &Client, name: &str) -> Result<(), BoxError> {
    let exists = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok();
    if !exists {
        client
            .create_table()
            .table_name(name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(PK)
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(PK)
                    .key_type(KeyType::Hash)
                    .build()?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await?;
    }
    Ok(())
}

/// A demo key, stored; returns the full key (shown once) and its record.
pub async fn create_api_key(
    store: &DynamoStore,
    name: &str,
    scopes: Option<Vec<String>>,
    expires_at: Option<i64>,
) -> Result<(String, ApiKeyRecord), BoxError> {
    let new = apikey::generate(name, scopes, expires_at, gatehouse::now_epoch())?;
    store.put_api_key(&new.record).await?;
    Ok((new.key.expose_secret().to_owned(), new.record))
}

/// Creates the demo credentials and returns them as the JSON written to
/// `.local/credentials.json`.
pub async fn demo_credentials(store: &DynamoStore, gateway_url: &str) -> Result<Value, BoxError> {
    let (key, record) = create_api_key(store, "demo", None, None).await?;
    Ok(json!({
        "gateway": gateway_url,
        "api_key": { "key": key, "id": record.id, "scopes": record.scopes },
    }))
}

/// Writes the credentials file, readable by its owner only.
pub fn write_credentials(path: &Path, creds: &Value) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(serde_json::to_string_pretty(creds)?.as_bytes())?;
    f.write_all(b"\n")
}
