//! Admin test helpers: the admin stack, sign-in bodies, the admin function called
//! directly (counting its STS calls).

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::{IamUser, Stack};

pub const SERVER_ID: &str = "https://gatehouse.test";

/// The admin stack: a gateway with admin sign-in, an empty client list and `extra`
/// environment (no API key, no `ISSUER`: the issuer is `https://<request domain>`).
pub async fn stack(extra: &[(&str, &str)]) -> Stack {
    let builder = Stack::builder().clients(json!([])).admin_signin();
    builder.env(extra).start().await
}

/// A signed-in admin: the cookie and the CSRF token.
pub struct Admin {
    pub cookie: String,
    pub csrf: String,
}

pub fn keys_body(u: &IamUser) -> Value {
    json!({"userName": u.name, "accessKeyId": u.key_id, "secretAccessKey": u.secret})
}

pub fn presigned(u: &IamUser, server_id: &str, at: SystemTime) -> Value {
    let creds = aws_credential_types::Credentials::new(&u.key_id, &u.secret, None, None, "test");
    let sts = crate::require_env("AWS_ENDPOINT_URL_STS");
    let req =
        gatehouse::adapters::presign_get_caller_identity(&creds, "us-east-1", &sts, server_id, at)
            .unwrap();
    json!({ "presigned": req })
}

/// The admin function called directly (no gateway), so a test picks the source address
/// and counts the STS calls it makes.
pub struct Direct {
    pub function: gatehouse::adapters::lambda::LambdaAdmin<CountingIdentity>,
    pub store: gatehouse::adapters::DynamoStore,
    pub sts_calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// The real identity calls (moto), counting those that reach STS.
pub struct CountingIdentity {
    inner: gatehouse::adapters::AwsIdentity,
    sts_calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingIdentity {
    fn count(&self) {
        self.sts_calls
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl gatehouse::credentials::admin::AdminIdentity for CountingIdentity {
    async fn caller_with_keys(
        &self,
        keys: &gatehouse::credentials::admin::SubmittedKeys,
    ) -> gatehouse::Result<String> {
        self.count();
        self.inner.caller_with_keys(keys).await
    }

    async fn caller_from_presigned(
        &self,
        req: &gatehouse::credentials::admin::PresignedRequest,
    ) -> gatehouse::Result<String> {
        self.count();
        self.inner.caller_from_presigned(req).await
    }

    async fn in_group(&self, user: &str, group: &str) -> gatehouse::Result<bool> {
        self.inner.in_group(user, group).await
    }
}

pub async fn direct(extra: &[(&str, &str)]) -> Direct {
    let store = crate::fresh_store().await;
    let mut vars = vec![("ADMIN_SERVER_ID", SERVER_ID)];
    vars.extend_from_slice(extra);
    let config = crate::config(store.table(), &vars);
    let sdk = crate::sdk().await;
    let sts_calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let identity = CountingIdentity {
        inner: gatehouse::adapters::AwsIdentity::new(&sdk).unwrap(),
        sts_calls: sts_calls.clone(),
    };
    let function = gatehouse::adapters::lambda::LambdaAdmin::with_identity(
        config,
        identity,
        crate::secrets().await,
        store.client().clone(),
        aws_sdk_sesv2::Client::new(&sdk),
    )
    .unwrap();
    Direct {
        function,
        store,
        sts_calls,
    }
}

/// A payload-2.0 request event as API Gateway sends it, from `source_ip`.
pub fn event(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
    source_ip: &str,
) -> lambda_http::Request {
    use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    if body.is_some() {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let peer = std::net::SocketAddr::new(source_ip.parse().unwrap(), 443);
    let e = gatehouse_local::events::http_event(
        "gatehouse.test",
        &format!("{method} {path}"),
        &method.parse::<Method>().unwrap(),
        &path.parse::<Uri>().unwrap(),
        &h,
        body.as_bytes(),
        peer,
    );
    lambda_http::request::from_str(&e.to_string()).unwrap()
}

impl Direct {
    /// `POST /admin/signin` with `body` from `source_ip`: the status.
    pub async fn signin(&self, body: &Value, source_ip: &str) -> u16 {
        let req = event("POST", "/admin/signin", &[], Some(body), source_ip);
        gatehouse::http::respond(&self.function, req)
            .await
            .status()
            .as_u16()
    }

    pub fn sts_calls(&self) -> usize {
        self.sts_calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The rate counters left in the table.
    pub async fn counters(&self) -> Vec<String> {
        let scan = self
            .store
            .client()
            .scan()
            .table_name(self.store.table())
            .send()
            .await
            .unwrap();
        scan.items()
            .iter()
            .filter_map(|i| i["pk"].as_s().ok().cloned())
            .filter(|pk| pk.starts_with(gatehouse::records::prefix::RATE))
            .collect()
    }
}
