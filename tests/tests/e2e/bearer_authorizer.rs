//! Bearer tokens at the authorizer: the key ring is read from Secrets Manager (moto)
//! once, warm requests make no AWS call, and an unknown `kid` reloads the ring at most
//! once per cooldown.

use std::sync::atomic::{AtomicUsize, Ordering};

use gatehouse::adapters::lambda::invoke;
use gatehouse::credentials::jwt::{AUD_API, AUD_WIDGET, Claims, issue};
use gatehouse::credentials::keys::{KeyRing, LoadedRing};
use gatehouse::credentials::secrets::SecretSource;
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::records::access::Function;
use gatehouse_e2e as common;
use secrecy::SecretString;
use serde_json::{Value, json};

/// The real Secrets Manager client, counting reads.
struct Counting {
    inner: aws_sdk_secretsmanager::Client,
    reads: AtomicUsize,
}

impl SecretSource for Counting {
    async fn fetch(&self, id: &str) -> gatehouse::Result<SecretString> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(id).await
    }
}

const ISSUER: &str = "https://auth.example.com";

fn event(token: &str, path: &str) -> Value {
    let mut e = common::fixture("http-v2-request.json", "");
    e["headers"].as_object_mut().unwrap().remove("x-api-key");
    e["headers"]["authorization"] = json!(format!("Bearer {token}"));
    common::set_route(&mut e, "GET", path);
    e
}

#[tokio::test]
async fn warm_bearer_checks_make_no_aws_call() {
    for alg in ["RS256", "ES256"] {
        let ring_secret = common::fresh_ring(alg).await;
        let store = common::fresh_store().await;
        let cfg = common::config(
            store.table(),
            &[
                ("SIGNING_KEYS_SECRET_ARN", &ring_secret),
                ("ISSUER", ISSUER),
            ],
        );
        let counting = Counting {
            inner: common::secrets().await,
            reads: AtomicUsize::new(0),
        };
        let a = Authorizer::new(
            &cfg,
            common::as_function(&store, Function::Authorizer),
            counting,
        );
        let ring = common::loaded_ring(&ring_secret).await;
        let now = gatehouse::primitives::time::now_epoch();
        let mut claims = Claims::new(ISSUER, AUD_API, "7", "data", now, 900);
        claims.client_id = Some("7".into());
        let token = issue(&ring, &claims).unwrap();
        for _ in 0..100 {
            let v = invoke(&a, event(&token, "/stats")).await.unwrap();
            assert_eq!(v["isAuthorized"], true, "{v}");
            assert_eq!(v["context"]["principal_type"], "client");
            assert_eq!(v["context"]["client_id"], "7");
        }
        let v = invoke(&a, event(&token, "/display")).await.unwrap();
        assert_eq!(v["isAuthorized"], false, "data scope cannot read display");
        assert_eq!(a_reads(&a), 1, "{alg}: one ring read, then memory only");

        // A widget token is never taken for an access token.
        let widget = issue(
            &ring,
            &Claims::new(ISSUER, AUD_WIDGET, "u", "client", now, 900),
        )
        .unwrap();
        assert_eq!(
            invoke(&a, event(&widget, "/display")).await.unwrap()["isAuthorized"],
            false
        );
        // Unknown kids: at most one reload per cooldown (30 s by default).
        let foreign = LoadedRing::load(
            &KeyRing::create(gatehouse::credentials::keys::SigningAlg::ES256, now).unwrap(),
        )
        .unwrap();
        for _ in 0..50 {
            let t = issue(&foreign, &claims).unwrap();
            assert_eq!(
                invoke(&a, event(&t, "/stats")).await.unwrap()["isAuthorized"],
                false
            );
        }
        assert_eq!(
            a_reads(&a),
            2,
            "{alg}: one reload for the unknown-kid flood"
        );
    }
}

fn a_reads<S: gatehouse::functions::authorizer::AuthorizerStore>(
    a: &Authorizer<S, Counting>,
) -> usize {
    a.signing_keys()
        .map(|k| k.source().reads.load(Ordering::SeqCst))
        .unwrap_or(0)
}

#[tokio::test]
async fn secrets_manager_failure_fails_closed() {
    let store = common::fresh_store().await;
    let cfg = common::config(
        store.table(),
        &[
            ("SIGNING_KEYS_SECRET_ARN", "gatehouse-test-missing-ring"),
            ("ISSUER", ISSUER),
        ],
    );
    let a = Authorizer::new(
        &cfg,
        common::as_function(&store, Function::Authorizer),
        common::secrets().await,
    );
    let ring = LoadedRing::load(
        &KeyRing::create(gatehouse::credentials::keys::SigningAlg::RS256, 0).unwrap(),
    )
    .unwrap();
    let token = issue(
        &ring,
        &Claims::new(
            ISSUER,
            AUD_API,
            "1",
            "data",
            gatehouse::primitives::time::now_epoch(),
            900,
        ),
    )
    .unwrap();
    let err = invoke(&a, event(&token, "/stats")).await.unwrap_err();
    assert_eq!(err.to_string(), "temporarily_unavailable");
}

/// The real DynamoDB store, counting the reads the authorizer makes (clones share the
/// count: the authorizer's app cache holds one).
#[derive(Clone)]
pub(crate) struct CountingStore {
    pub(crate) inner: gatehouse::adapters::DynamoStore,
    pub(crate) reads: std::sync::Arc<AtomicUsize>,
}

impl gatehouse::credentials::apps::AppRecords for CountingStore {
    async fn get_app(&self, id: &str) -> gatehouse::Result<Option<gatehouse::authz::apps::App>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_app(id).await
    }
    async fn get_grant(
        &self,
        app: &str,
        user: &str,
    ) -> gatehouse::Result<Option<gatehouse::authz::apps::AppGrant>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_grant(app, user).await
    }
}

impl gatehouse::credentials::apikey::ApiKeyStore for CountingStore {
    async fn get_api_key(
        &self,
        id: &str,
    ) -> gatehouse::Result<Option<gatehouse::credentials::apikey::ApiKeyRecord>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_api_key(id).await
    }
    async fn put_api_key(
        &self,
        r: &gatehouse::credentials::apikey::ApiKeyRecord,
    ) -> gatehouse::Result<()> {
        self.inner.put_api_key(r).await
    }
    async fn touch_api_key(&self, id: &str, at: i64) -> gatehouse::Result<()> {
        self.inner.touch_api_key(id, at).await
    }
}

impl gatehouse::credentials::widget::SessionStore for CountingStore {
    async fn put_temp_token(
        &self,
        h: &str,
        t: &gatehouse::credentials::widget::TempToken,
    ) -> gatehouse::Result<()> {
        self.inner.put_temp_token(h, t).await
    }
    async fn redeem_temp_token(
        &self,
        h: &str,
        s: &str,
        origin: &str,
        now: i64,
    ) -> gatehouse::Result<Option<gatehouse::credentials::widget::Session>> {
        self.inner.redeem_temp_token(h, s, origin, now).await
    }
    async fn get_session(
        &self,
        h: &str,
        now: i64,
    ) -> gatehouse::Result<Option<gatehouse::credentials::widget::Session>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_session(h, now).await
    }
    async fn delete_session(&self, h: &str) -> gatehouse::Result<()> {
        self.inner.delete_session(h).await
    }
}

impl gatehouse::credentials::users::UserSessionStore for CountingStore {
    async fn get_user_session(
        &self,
        h: &str,
        now: i64,
    ) -> gatehouse::Result<Option<gatehouse::credentials::users::UserSession>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_user_session(h, now).await
    }
}

#[tokio::test]
async fn a_cookie_request_costs_one_dynamodb_read() {
    use gatehouse::credentials::widget::SessionStore;
    let store = common::fresh_store().await;
    let (temp, session_id) = (
        gatehouse::primitives::crypto::random_id(),
        gatehouse::primitives::crypto::random_id(),
    );
    let user = gatehouse::credentials::widget::WidgetUser {
        userid: "u".into(),
        app_id: None,
        client_id: None,
        org_id: None,
    };
    let now = gatehouse::primitives::time::now_epoch();
    let sha = |s: &str| gatehouse::primitives::crypto::sha256_hex(s.as_bytes());
    store
        .put_temp_token(
            &sha(&temp),
            &gatehouse::credentials::widget::TempToken {
                user,
                session_ttl: 600,
                expires_at: now + 60,
            },
        )
        .await
        .unwrap();
    store
        .redeem_temp_token(&sha(&temp), &sha(&session_id), "http://localhost:3001", now)
        .await
        .unwrap()
        .unwrap();
    let cfg = common::config(store.table(), &[]);
    let counting = CountingStore {
        inner: common::as_function(&store, Function::Authorizer),
        reads: Default::default(),
    };
    let a = Authorizer::new(&cfg, counting, common::secrets().await);
    let mut e = common::fixture("http-v2-request.json", "");
    e["headers"].as_object_mut().unwrap().remove("x-api-key");
    e["headers"]["origin"] = json!("http://localhost:3001");
    e["cookies"] = json!([format!("__Host-gh_session={session_id}")]);
    for i in 1..=5 {
        let v = invoke(&a, e.clone()).await.unwrap();
        assert_eq!(v["context"]["principal_type"], "widget_session", "{v}");
        assert_eq!(
            a.api_keys().store().reads.load(Ordering::SeqCst),
            i,
            "exactly one read per request"
        );
    }
}

/// Access tokens without `client_id` (host codes, also those issued before `host_user`
/// existed) are `host_user` principals, never `client` ones; a custom rule that admits
/// `client` for scope `client` but not `host_user` is warned about at start.
#[tokio::test]
async fn code_flow_tokens_are_host_users_and_rules_that_forget_them_are_warned() {
    let ring_secret = common::fresh_ring("ES256").await;
    let store = common::fresh_store().await;
    let rules = r#"[{"method":"GET","path":"/display","principals":["client"],"scope":"client"},
                    {"method":"GET","path":"/whoami","principals":"any"}]"#;
    let cfg = common::config(
        store.table(),
        &[
            ("SIGNING_KEYS_SECRET_ARN", &ring_secret),
            ("ISSUER", ISSUER),
            ("ROUTE_RULES", rules),
        ],
    );
    let logs = common::logs::Captured::default();
    let subscriber = logs.subscriber();
    let secrets = common::secrets().await;
    let a = tracing::subscriber::with_default(subscriber, || {
        Authorizer::new(
            &cfg,
            common::as_function(&store, Function::Authorizer),
            secrets,
        )
    });
    let logged = logs.text();
    assert!(
        logged.contains("host_user") && logged.contains(r#""path":"/display""#),
        "{logged}"
    );
    assert!(
        !logged.contains("/whoami"),
        "only the rule that lists client"
    );

    let ring = common::loaded_ring(&ring_secret).await;
    let now = gatehouse::primitives::time::now_epoch();
    // A host user "1" and OAuth client 1 are told apart.
    let host = issue(
        &ring,
        &Claims::new(ISSUER, AUD_API, "1", "client", now, 900),
    )
    .unwrap();
    let v = invoke(&a, event(&host, "/whoami")).await.unwrap();
    assert_eq!(v["context"]["principal_type"], "host_user", "{v}");
    assert_eq!(v["context"]["subject"], "1");
    assert!(v["context"].get("client_id").is_none());
    let v = invoke(&a, event(&host, "/display")).await.unwrap();
    assert_eq!(
        v["isAuthorized"], false,
        "the custom rule lists client only"
    );
    let mut claims = Claims::new(ISSUER, AUD_API, "1", "client", now, 900);
    claims.client_id = Some("1".into());
    let client = issue(&ring, &claims).unwrap();
    let v = invoke(&a, event(&client, "/display")).await.unwrap();
    assert_eq!(v["isAuthorized"], true, "{v}");
    assert_eq!(v["context"]["principal_type"], "client");
}

/// A widget token is honoured only from an origin both in its `origins` claim and still
/// in `ALLOWED_ORIGINS`: removing an origin from the configuration stops the tokens
/// already bound to it.
#[tokio::test]
async fn widget_tokens_need_an_origin_still_allowed() {
    let ring_secret = common::fresh_ring("ES256").await;
    let store = common::fresh_store().await;
    let cfg = common::config(
        store.table(),
        &[
            ("SIGNING_KEYS_SECRET_ARN", &ring_secret),
            ("ISSUER", ISSUER),
            ("ALLOWED_ORIGINS", "http://localhost:3001"),
        ],
    );
    let a = Authorizer::new(
        &cfg,
        common::as_function(&store, Function::Authorizer),
        common::secrets().await,
    );
    let ring = common::loaded_ring(&ring_secret).await;
    let mut claims = Claims::new(
        ISSUER,
        AUD_WIDGET,
        "u",
        "client",
        gatehouse::primitives::time::now_epoch(),
        900,
    );
    claims.origins = Some(vec![
        "http://localhost:3001".into(),
        "https://removed.example".into(),
    ]);
    let token = issue(&ring, &claims).unwrap();
    let from = |origin: &str| {
        let mut e = event(&token, "/whoami");
        e["headers"]["origin"] = json!(origin);
        e
    };
    let v = invoke(&a, from("http://localhost:3001")).await.unwrap();
    assert_eq!(v["isAuthorized"], true, "{v}");
    let v = invoke(&a, from("https://removed.example")).await.unwrap();
    assert_eq!(
        v["isAuthorized"], false,
        "in the token's origins but no longer allowed"
    );
}
