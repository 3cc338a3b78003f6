//! Creates what the local stack needs in the emulators: the table (as `template.yaml`
//! defines it) and the demo credentials (API keys, an OAuth client, a creator and an
//! end user), written to `.local/credentials.json`.

use std::path::Path;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use gatehouse::adapters::DynamoStore;
use gatehouse::config::Config;
use gatehouse::credentials::apikey::ApiKeyStore;
use gatehouse::credentials::apikey::{self, ApiKeyRecord};
use gatehouse::credentials::clients::ClientList;
use gatehouse::credentials::password::{ContextWords, Passwords};
use gatehouse::credentials::rotation::{self, RotationPolicy};
use gatehouse::credentials::users::{self, Email, NewUser, UserKind, Username};
use gatehouse::records::key::EXPIRES_AT;
use gatehouse::records::key::{GSI1, GSI1_PK, GSI1_SK, PK};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, BoxError> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()?)
}

/// Creates the table if it does not exist: partition key `pk` (S), the index `gsi1`
/// (`gsi1pk`, `gsi1sk`), on-demand, TTL on `expires_at`, matching `GatehouseTable` in
/// `template.yaml` (`template::the_bootstrap_creates_the_table_the_template_declares`).
pub async fn create_table(client: &Client, name: &str) -> Result<(), BoxError> {
    let exists = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok();
    if !exists {
        let created = client
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(
                [PK, GSI1_PK, GSI1_SK]
                    .into_iter()
                    .map(|name| {
                        AttributeDefinition::builder()
                            .attribute_name(name)
                            .attribute_type(ScalarAttributeType::S)
                            .build()
                    })
                    .collect::<Result<_, _>>()?,
            ))
            .key_schema(key(PK, KeyType::Hash)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(GSI1)
                    .key_schema(key(GSI1_PK, KeyType::Hash)?)
                    .key_schema(key(GSI1_SK, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        // On a loaded machine the SDK may time out an attempt that DynamoDB Local then
        // completes, and its retry finds the table: it exists, which is what we want.
        if let Err(e) = created
            && e.code() != Some("ResourceInUseException")
        {
            return Err(e.into());
        }
        let ttl = client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await;
        // The same for a retried TTL update: it is fine if TTL is on already.
        if let Err(e) = ttl
            && !ttl_enabled(client, name).await
        {
            return Err(e.into());
        }
    }
    Ok(())
}

/// Whether the table's TTL is on, on `expires_at`.
async fn ttl_enabled(client: &Client, name: &str) -> bool {
    let described = client.describe_time_to_live().table_name(name).send().await;
    described
        .ok()
        .and_then(|d| d.time_to_live_description)
        .is_some_and(|d| {
            d.attribute_name() == Some(EXPIRES_AT)
                && d.time_to_live_status()
                    == Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled)
        })
}

/// A demo key, stored; returns the full key (shown once) and its record.
pub async fn create_api_key(
    store: &DynamoStore,
    name: &str,
    scopes: Option<Vec<String>>,
    expires_at: Option<i64>,
) -> Result<(String, ApiKeyRecord), BoxError> {
    let new = apikey::generate(
        name,
        scopes,
        expires_at,
        gatehouse::primitives::time::now_epoch(),
    )?;
    store.put_api_key(&new.record).await?;
    Ok((new.key.expose_secret().to_owned(), new.record))
}

/// The demo people: (key in the credentials file, user name, e-mail, kind). The end
/// user holds a grant on the demo app; the other end user holds none.
pub const DEMO_USERS: [(&str, &str, &str, UserKind); 3] = [
    (
        "creator",
        "demo-creator",
        "creator@example.com",
        UserKind::Creator,
    ),
    (
        "end_user",
        "demo-viewer",
        "viewer@example.com",
        UserKind::EndUser,
    ),
    (
        "other_end_user",
        "demo-stranger",
        "stranger@example.com",
        UserKind::EndUser,
    ),
];

/// The demo app (README "Applications and sharing"): shared, owned by the demo creator,
/// granted to the demo end user (with a row-level filter) and not to the other one.
pub const DEMO_APP: &str = "demo-app";

/// Creates the demo app and its grant unless they exist, and returns the `apps` entry
/// for the credentials file.
pub async fn seed_apps(store: &DynamoStore) -> Result<Value, BoxError> {
    use gatehouse::credentials::apps::{App, AppGrant, AppStore, Visibility};
    use gatehouse::credentials::users::{Identifier, UserStore};
    let id_of = |name: &str| {
        let name = Username::parse(name);
        async move {
            let found = store.find_user_id(&Identifier::Username(name?)).await?;
            found.ok_or_else(|| gatehouse::Error::Internal("demo user missing".into()))
        }
    };
    let owner = id_of(DEMO_USERS[0].1).await?;
    let viewer = id_of(DEMO_USERS[1].1).await?;
    let now = gatehouse::primitives::time::now_epoch();
    let app = App::new(
        DEMO_APP,
        owner.clone(),
        "Demo sales",
        Visibility::Shared,
        now,
    );
    store.create_app(&app).await?;
    let permissions = json!([{"dataset_id": "sales", "record_permissions":
        [{"security_name": "region", "values": ["emea"]}]}]);
    store
        .put_grant(&AppGrant {
            app_id: DEMO_APP.into(),
            user_id: viewer,
            permissions: Some(serde_json::from_value(permissions)?),
            asset_permissions: None,
            granted_by: owner,
            created_at: now,
        })
        .await?;
    Ok(json!({
        "demo": {
            "app_id": DEMO_APP,
            "visibility": "shared",
            "owner": "creator",
            "granted": ["end_user"],
            "not_granted": ["other_end_user"],
            "data_url": format!("/apps/{DEMO_APP}/data"),
        }
    }))
}

/// A generated password the policy accepts for this user: four random base62 words
/// joined by `-` (27 code points, about 140 bits), drawn again in the unlikely case it
/// contains one of the user's context words.
pub fn demo_password(passwords: &Passwords, username: &str, email: &str) -> SecretString {
    let context = ContextWords::new(Some(username), Some(email));
    loop {
        let words: Vec<String> = (0..4)
            .map(|_| gatehouse::primitives::crypto::random_base62(6))
            .collect();
        let password = SecretString::from(words.join("-"));
        if passwords.policy().check(&password, &context).is_ok() {
            return password;
        }
    }
}

/// Creates the demo creator and end user ([`DEMO_USERS`]) through the library, as an
/// administrator would (`created_by` `bootstrap`, e-mail verified), and returns their
/// `users` entry for the credentials file: `{"creator": {"username", "email",
/// "password"}, "end_user": {...}}`.
///
/// Against a table that already holds them (409 from `create_user`), nothing is written
/// and their entry is kept from `previous` (the credentials file as it was) when it
/// names the same user; otherwise the password is unknown and written as `null`.
pub async fn seed_users(
    store: &DynamoStore,
    config: &Config,
    previous: &Value,
) -> Result<Value, BoxError> {
    let passwords = config.passwords();
    let mut out = serde_json::Map::new();
    for (role, username, email, kind) in DEMO_USERS {
        let password = demo_password(&passwords, username, email);
        let new = NewUser {
            username: Some(Username::parse(username)?),
            email: Some(Email::parse(email)?),
            email_verified: true,
            display_name: None,
            kind,
            roles: Vec::new(),
            password: Some(password.clone()),
            created_by: "bootstrap".into(),
        };
        let now = gatehouse::primitives::time::now_epoch();
        let entry = match users::create_user(store, &passwords, new, now).await {
            Ok(_) => json!({
                "username": username,
                "email": email,
                "password": password.expose_secret(),
            }),
            Err(gatehouse::Error::Conflict(_)) => {
                let kept = &previous["users"][role];
                if kept["username"] == username && kept["password"].is_string() {
                    kept.clone()
                } else {
                    eprintln!(
                        "bootstrap: the {role} {username} exists already; its password is \
                         not in the credentials file (written as null)"
                    );
                    json!({ "username": username, "email": email, "password": null })
                }
            }
            Err(e) => return Err(e.into()),
        };
        out.insert(role.to_owned(), entry);
    }
    Ok(Value::Object(out))
}

/// The credentials file as it is (`Value::Null` if it is missing or unreadable), so a
/// bootstrap against an existing table can keep what it cannot create again.
pub fn read_credentials(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

/// Creates everything the local stack needs (table, key ring, demo credentials) and
/// returns the demo credentials as the JSON written to `.local/credentials.json`.
/// `previous` is that file as it was ([`read_credentials`]; see [`seed_users`]).
pub async fn bootstrap(
    config: &Config,
    dynamodb: &Client,
    operator_sm: &aws_sdk_secretsmanager::Client,
    gateway_url: &str,
    previous: &Value,
) -> Result<Value, BoxError> {
    create_table(dynamodb, &config.table_name).await?;
    // The operator acts as the admin function (unrestricted).
    let store = DynamoStore::new(
        dynamodb.clone(),
        config.table_name.clone(),
        gatehouse::records::access::Function::Admin,
    );
    let (key, record) = create_api_key(&store, "demo", None, None).await?;
    // Mode 2 of the widget (API key in the widget config): scope `client` only.
    let (dev_key, dev_record) = create_api_key(
        &store,
        "demo widget (dev only)",
        Some(vec!["client".into()]),
        None,
    )
    .await?;
    let ring_secret = ensure_signing_ring(operator_sm, config).await?;
    // The identity providers' client secrets start as an empty map (README "Single
    // sign-on").
    if let Some(idp_secrets) = &config.idp_secrets_secret {
        ensure_secret(operator_sm, idp_secrets, "{}").await?;
    }
    let mut creds = json!({
        "gateway": gateway_url,
        "api_key": { "key": key, "id": record.id, "scopes": record.scopes },
        "widget_dev_key": { "key": dev_key, "id": dev_record.id, "scopes": dev_record.scopes },
        "signing_keys_secret": ring_secret,
        "users": seed_users(&store, config, previous).await?,
    });
    creds["apps"] = seed_apps(&store).await?;
    // The demo IAM users moto was seeded with, for the admin sign-in.
    if let Ok(path) = std::env::var("GATEHOUSE_SEED_FILE") {
        let seed: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        creds["admin"] = seed["demo"]["admin"].clone();
        creds["non_admin"] = seed["demo"]["non_admin"].clone();
        creds["admin_group"] = seed["demo"]["admin_group"].clone();
        creds["server_id"] = config
            .admin_server_id
            .clone()
            .or(config.issuer.clone().map(String::from))
            .unwrap_or_else(|| gateway_url.to_owned())
            .into();
        creds["sts_url"] = config.admin_sts_endpoint.as_str().into();
    }
    // moto, whose state dump lists the mail its SES accepted (README "Reading sent mail
    // locally").
    if let Ok(moto) = std::env::var("MOTO_URL") {
        creds["moto_url"] = moto.into();
    }
    if let Some(clients_secret) = &config.client_secrets_secret {
        let (client_id, client_secret) = add_client(operator_sm, clients_secret).await?;
        creds["client"] = json!({ "client_id": client_id, "client_secret": client_secret });
        creds["client_secrets_secret"] = clients_secret.clone().into();
    }
    Ok(creds)
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

/// Creates the secret `name` with `initial` unless it exists.
pub async fn ensure_secret(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
    initial: &str,
) -> Result<(), BoxError> {
    if sm.describe_secret().secret_id(name).send().await.is_err() {
        sm.create_secret()
            .name(name)
            .secret_string(initial)
            .send()
            .await?;
    }
    Ok(())
}

/// Creates the signing key ring by running the rotation steps directly, as the first
/// scheduled rotation does after `sam deploy` (moto cannot invoke a rotation Lambda).
pub async fn ensure_signing_ring(
    sm: &aws_sdk_secretsmanager::Client,
    config: &Config,
) -> Result<String, BoxError> {
    let id = Config::require(&config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
    ensure_secret(sm, id, gatehouse::credentials::keys::UNINITIALIZED).await?;
    let current = sm.get_secret_value().secret_id(id).send().await?;
    if gatehouse::credentials::keys::KeyRing::parse(current.secret_string().unwrap_or("{}"))?
        .is_none()
    {
        let policy = RotationPolicy {
            alg: config.signing_alg,
            min_interval_secs: config.rotation_min_interval().as_secs() as i64,
        };
        // Before any function runs, so no lock: nothing else rotates yet.
        rotation::rotate_now(
            sm,
            policy,
            id,
            gatehouse::primitives::time::now_epoch(),
            false,
        )
        .await?;
    }
    Ok(id.to_owned())
}

/// Appends a client to `CLIENT_SECRETS` (stored as `sha256:`); returns its id and secret.
pub async fn add_client(
    sm: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<(String, String), BoxError> {
    ensure_secret(sm, secret_id, "[]").await?;
    let value = sm.get_secret_value().secret_id(secret_id).send().await?;
    let mut list: Vec<Value> = serde_json::from_str(value.secret_string().unwrap_or("[]"))?;
    let secret = hex::encode(gatehouse::primitives::crypto::random_bytes(32));
    list.push(ClientList::hashed_entry(&secret).into());
    sm.put_secret_value()
        .secret_id(secret_id)
        .secret_string(serde_json::to_string(&list)?)
        .send()
        .await?;
    Ok((list.len().to_string(), secret))
}

/// A Secrets Manager client signing as the operator user (who may create secrets),
/// when `GATEHOUSE_OPERATOR_*` are set; otherwise the default credentials.
pub fn operator_secrets(sdk: &aws_config::SdkConfig) -> aws_sdk_secretsmanager::Client {
    let mut b = aws_sdk_secretsmanager::config::Builder::from(sdk);
    if let (Ok(id), Ok(secret)) = (
        std::env::var("GATEHOUSE_OPERATOR_ACCESS_KEY_ID"),
        std::env::var("GATEHOUSE_OPERATOR_SECRET_ACCESS_KEY"),
    ) {
        b = b.credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            id, secret, None, None, "operator",
        ));
    }
    aws_sdk_secretsmanager::Client::from_conf(b.build())
}
