//! The test harness of the integration and end-to-end suites (`tests/tests`): the one
//! [`Stack`] builder, the requests the suites send, the emulators' clients, the test
//! host, IAM users, fault injection ([`faults`]), log capture ([`logs`]) and the mail
//! moto's SES accepted ([`mail`]). The emulators are started by `make test`
//! (local/scripts/with-emulators.sh), which exports their endpoints.

// `cargo test --all-targets` (`--lib`) builds the library's own test binary even with
// `test = false`; it has no tests, so in that build the crate is empty rather than a
// second compile of the harness.
#![cfg(not(test))]

pub mod admin;
pub mod faults;
pub mod idp;
pub mod logs;
pub mod mail;
pub mod sso;
mod stack;

use std::collections::HashMap;

use gatehouse::adapters::DynamoStore;
use gatehouse::config::Config;
use gatehouse::records::access::Function;

pub use stack::{
    CLIENT_SECRET, Item, ORIGIN, Stack, StackBuilder, USER_PASSWORD, claims_of, full, pk,
};

/// A clock the test moves, stopped at `start` (what [`StackBuilder::clock`] takes).
pub fn test_clock(
    start: i64,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicI64>,
    gatehouse::functions::users::Clock,
) {
    use std::sync::atomic::{AtomicI64, Ordering};
    let now = std::sync::Arc::new(AtomicI64::new(start));
    let read = now.clone();
    (
        now,
        std::sync::Arc::new(move || read.load(Ordering::SeqCst)),
    )
}

/// An HTTP client for the tests (rustls on aws-lc-rs, like the functions').
pub fn http() -> reqwest::Client {
    http_builder().build().unwrap()
}

pub fn http_builder() -> reqwest::ClientBuilder {
    gatehouse::adapters::sdk::install_crypto_provider();
    reqwest::Client::builder()
}

/// An HTTP answer: status, headers, the body as text and (if it is JSON) parsed.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Answer {
    /// The status, the headers and the body (parsed).
    pub fn parts(
        self,
    ) -> (
        reqwest::StatusCode,
        reqwest::header::HeaderMap,
        serde_json::Value,
    ) {
        (self.status, self.headers, self.body)
    }

    /// The `Set-Cookie` header.
    pub fn set_cookie(&self) -> Option<String> {
        let set = self.headers.get("set-cookie")?;
        Some(set.to_str().unwrap().to_owned())
    }

    /// The `name=value` pair of the `Set-Cookie` header.
    pub fn cookie(&self) -> Option<String> {
        let set = self.set_cookie()?;
        Some(set.split(';').next().unwrap().to_owned())
    }
}

/// Sends `method url` with `headers` (repeats allowed) and an optional raw body.
pub async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Answer {
    let mut req = http.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

/// [`send`] with an optional JSON body (and its content type).
pub async fn send_json(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> Answer {
    let mut headers = headers.to_vec();
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| b.to_string().into_bytes());
    send(http, method, url, &headers, body).await
}

/// GET `url` and parse the JSON answer.
pub async fn get_json(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

pub fn require_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `make test`, which starts the emulators")
    })
}

/// SDK config for the emulators, as the functions load it (their timeouts and retries).
pub async fn sdk() -> aws_config::SdkConfig {
    require_env("AWS_ENDPOINT_URL_DYNAMODB");
    gatehouse::adapters::sdk::sdk_config().await
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

/// A table of its own for each test, so tests run in parallel without clashing. The
/// store is the operator's (the admin function's access: unrestricted), for setup and
/// inspection; functions under test get their own with [`as_function`] (the gateway
/// builds each function's own).
pub async fn fresh_store() -> DynamoStore {
    faults::table_in(aws_sdk_dynamodb::Client::new(&sdk().await)).await
}

/// The same table as `function` sees it: only what the access table lets it touch.
pub fn as_function(store: &DynamoStore, function: Function) -> DynamoStore {
    DynamoStore::new(store.client().clone(), store.table(), function)
}

/// The local stack's sender, verified in moto's SES by the bootstrap
/// (local/scripts/seed_moto.py); `make run` sets the same (local/run.sh).
pub const EMAIL_FROM: &str = "noreply@gatehouse.local";

pub fn config(table: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("TABLE_NAME".into(), table.into());
    vars.insert("ALLOWED_ORIGINS".into(), "http://localhost:3001".into());
    // Invite links point at the demo page (README "People").
    vars.insert("USER_UI_URL".into(), "http://localhost:3001".into());
    // The sender moto's SES verified at bootstrap (README "Reading sent mail locally").
    vars.insert("EMAIL_FROM".into(), EMAIL_FROM.into());
    // Like the local stack: the fake identity provider runs on loopback over plain http
    // (README "Single sign-on"; tests of the rule itself set it to false).
    vars.insert("SSO_ALLOW_INSECURE_LOOPBACK".into(), "true".into());
    // moto's account; the admin function needs to know its own.
    vars.insert("ADMIN_ACCOUNT_ID".into(), "123456789012".into());
    // The functions read the real environment; tests pass what they need explicitly.
    if let Ok(sts) = std::env::var("AWS_ENDPOINT_URL_STS") {
        vars.insert("ADMIN_STS_ENDPOINT".into(), sts);
    }
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

/// Secrets Manager as the functions see it (moto, signing as the function user).
pub async fn secrets() -> aws_sdk_secretsmanager::Client {
    require_env("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    aws_sdk_secretsmanager::Client::new(&sdk().await)
}

/// Secrets Manager as the operator (allowed to create and change secrets).
pub async fn operator_secrets() -> aws_sdk_secretsmanager::Client {
    require_env("GATEHOUSE_OPERATOR_ACCESS_KEY_ID");
    gatehouse_local::bootstrap::operator_secrets(&sdk().await)
}

/// A fresh secret named for this test, holding `value`.
pub async fn fresh_secret(prefix: &str, value: &str) -> String {
    let name = format!(
        "gatehouse-test-{prefix}-{}",
        gatehouse::primitives::crypto::random_base62(10)
    );
    operator_secrets()
        .await
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    name
}

/// A fresh signing key ring secret, created by the rotation steps (`alg`: RS256/ES256).
pub async fn fresh_ring(alg: &str) -> String {
    let name = fresh_secret("ring", gatehouse::credentials::keys::UNINITIALIZED).await;
    let cfg = config(
        "unused",
        &[("SIGNING_KEYS_SECRET_ARN", &name), ("SIGNING_ALG", alg)],
    );
    gatehouse_local::bootstrap::ensure_signing_ring(&operator_secrets().await, &cfg)
        .await
        .unwrap();
    name
}

/// The signing key ring held in `secret`, loaded (signer and verifiers).
pub async fn loaded_ring(secret: &str) -> gatehouse::credentials::keys::LoadedRing {
    use gatehouse::credentials::secrets::SecretSource;
    use secrecy::ExposeSecret;
    let v = operator_secrets().await.fetch(secret).await.unwrap();
    let ring = gatehouse::credentials::keys::KeyRing::parse(v.expose_secret())
        .unwrap()
        .unwrap();
    gatehouse::credentials::keys::LoadedRing::load(&ring).unwrap()
}

/// Reads a fixture from `tests/fixtures`, with `__KEY__` replaced.
pub fn fixture(name: &str, key: &str) -> serde_json::Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("__KEY__", key);
    serde_json::from_str(&text).unwrap()
}

/// Points a payload-2.0 fixture at the concrete route `METHOD path` (route key, raw path,
/// method and route ARN agree, as API Gateway sends them).
pub fn set_route(e: &mut serde_json::Value, method: &str, path: &str) {
    let key = format!("{method} {path}");
    e["routeKey"] = key.clone().into();
    e["rawPath"] = path.into();
    e["requestContext"]["routeKey"] = key.into();
    e["requestContext"]["http"]["method"] = method.into();
    e["requestContext"]["http"]["path"] = path.into();
    e["routeArn"] =
        format!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/{method}{path}")
            .into();
}

/// The Python of the tool venv (PyJWT, Authlib), exported by `make test`.
pub fn python() -> String {
    require_env("GATEHOUSE_PYTHON")
}

/// A peer of the tests, a Python script of `tests/host` (the tool venv's interpreter),
/// listening on loopback on a port it chose; the process is killed on drop.
pub(crate) struct Peer {
    pub(crate) url: String,
    child: std::process::Child,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `tests/host/<script>` and waits for the "PORT <n>" line it prints.
    pub(crate) fn start(script: &str) -> Peer {
        use std::io::BufRead;
        let path = format!("{}/host/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = std::process::Command::new(python())
            .arg(path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {script}: {e}"));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("{script} prints its port"))
            .to_owned();
        Peer {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

/// The test host (tests/host/host.py), built like the original service's example host.
pub struct Host {
    pub url: String,
    _peer: Peer,
    http: reqwest::Client,
}

impl Host {
    pub fn start() -> Host {
        let peer = Peer::start("host.py");
        Host {
            url: peer.url.clone(),
            _peer: peer,
            http: http(),
        }
    }

    pub fn jwk_url(&self) -> String {
        format!("{}/jwk", self.url)
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A code signed by the host's key (`key`: "current" or "other", a key the host
    /// does not publish), with `kid` in the header when `with_kid`.
    pub async fn sign(
        &self,
        claims: serde_json::Value,
        headers: serde_json::Value,
        key: &str,
        with_kid: bool,
    ) -> String {
        let r = self.post("/sign", serde_json::json!({"claims": claims, "headers": headers, "key": key, "with_kid": with_kid})).await;
        r["code"].as_str().unwrap().to_owned()
    }

    /// The documented example flow's code: only `exp`, one minute ahead, no `kid`.
    pub async fn authorize(&self) -> String {
        self.post("/authorize", serde_json::json!({})).await["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn rotate(&self) -> String {
        self.post("/rotate", serde_json::json!({})).await["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn jwks_mode(&self, mode: &str) {
        self.post("/jwks-mode", serde_json::json!({"mode": mode}))
            .await;
    }

    pub async fn jwk_fetches(&self) -> u64 {
        get_json(&self.http, &format!("{}/stats", self.url)).await["jwk_fetches"]
            .as_u64()
            .unwrap()
    }

    pub async fn jwk(&self) -> serde_json::Value {
        get_json(&self.http, &self.jwk_url()).await
    }
}

/// Runs tests/host/independent.py with `args` (off the async runtime, so a gateway on
/// this test's runtime keeps serving); returns its JSON output.
pub async fn independent(args: &[&str]) -> serde_json::Value {
    let script = format!("{}/host/independent.py", env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .arg(script)
            .args(args)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "independent.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// IAM in moto as the operator (creates the test's own users).
pub async fn operator_iam() -> aws_sdk_iam::Client {
    let sdk = sdk().await;
    let id = require_env("GATEHOUSE_OPERATOR_ACCESS_KEY_ID");
    let secret = require_env("GATEHOUSE_OPERATOR_SECRET_ACCESS_KEY");
    let creds = aws_sdk_iam::config::Credentials::new(id, secret, None, None, "operator");
    aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(&sdk)
            .credentials_provider(creds)
            .build(),
    )
}

/// An IAM user of the test's own, with an access key; in the admin group if asked.
pub struct IamUser {
    pub name: String,
    pub key_id: String,
    pub secret: String,
}

pub const ADMIN_GROUP: &str = "QrveyAdmin";

pub async fn iam_user(in_admin_group: bool) -> IamUser {
    let iam = operator_iam().await;
    let name = format!("test-{}", gatehouse::primitives::crypto::random_base62(10));
    iam.create_user().user_name(&name).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    if in_admin_group {
        iam.add_user_to_group()
            .group_name(ADMIN_GROUP)
            .user_name(&name)
            .send()
            .await
            .unwrap();
    }
    IamUser {
        name,
        key_id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
    }
}
