//! Handler time of the authorizer: one payload-2.0 event in, the response out, warm
//! (ring and API key cached), per credential type. The stores are in memory so the
//! figure is the authorizer's own work; the widget and user session cookie cases
//! and the grant cases exclude DynamoDB by design (their reads are measured by the
//! Lambda harness, `make perf`).
//! Run with `make bench`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::config::Config;
use gatehouse::credentials::apikey::ApiKeyStore;
use gatehouse::credentials::apikey::{self, ApiKeyRecord};
use gatehouse::credentials::apps::{App, AppGrant, AppRecords, Visibility};
use gatehouse::credentials::jwt::{AUD_API, Claims};
use gatehouse::credentials::keys::{KeyRing, LoadedRing, SigningAlg};
use gatehouse::credentials::secrets::SecretSource;
use gatehouse::credentials::users::{UserKind, UserSession, UserSessionStore};
use gatehouse::credentials::widget::Session;
use gatehouse::credentials::widget::SessionStore;
use gatehouse::credentials::widget::TempToken;
use gatehouse::credentials::widget::WidgetUser;
use gatehouse::functions::authorizer::Authorizer;
use gatehouse_local::perf::{ISSUER, ORIGIN, authorizer_event};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// One API key, one widget session, one user session and one shared app granted to
/// that user, in memory.
#[derive(Clone)]
struct Memory {
    key: ApiKeyRecord,
    session_hash: String,
    session: Session,
    user_session_hash: String,
    user_session: UserSession,
}

impl ApiKeyStore for Memory {
    async fn get_api_key(&self, id: &str) -> gatehouse::Result<Option<ApiKeyRecord>> {
        Ok((id == self.key.id).then(|| self.key.clone()))
    }
    async fn put_api_key(&self, _: &ApiKeyRecord) -> gatehouse::Result<()> {
        Ok(())
    }
    async fn touch_api_key(&self, _: &str, _: i64) -> gatehouse::Result<()> {
        Ok(())
    }
}

impl SessionStore for Memory {
    async fn put_temp_token(&self, _: &str, _: &TempToken) -> gatehouse::Result<()> {
        Ok(())
    }
    async fn redeem_temp_token(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: i64,
    ) -> gatehouse::Result<Option<Session>> {
        Ok(None)
    }
    async fn get_session(&self, hash: &str, now: i64) -> gatehouse::Result<Option<Session>> {
        Ok((hash == self.session_hash && self.session.expires_at > now)
            .then(|| self.session.clone()))
    }
    async fn delete_session(&self, _: &str) -> gatehouse::Result<()> {
        Ok(())
    }
}

impl UserSessionStore for Memory {
    async fn get_user_session(
        &self,
        hash: &str,
        now: i64,
    ) -> gatehouse::Result<Option<UserSession>> {
        Ok(
            (hash == self.user_session_hash && self.user_session.expires_at > now)
                .then(|| self.user_session.clone()),
        )
    }
}

/// The shared app of the grant rows, owned by someone else.
const APP: &str = "bench-app";

impl AppRecords for Memory {
    async fn get_app(&self, id: &str) -> gatehouse::Result<Option<App>> {
        Ok((id == APP).then(|| App::new(APP, "bench-owner", "Bench", Visibility::Shared, 0)))
    }
    async fn get_grant(&self, app: &str, user: &str) -> gatehouse::Result<Option<AppGrant>> {
        let mine = app == APP && user == self.user_session.user_id;
        Ok(mine.then(|| AppGrant {
            app_id: APP.into(),
            user_id: user.into(),
            permissions: serde_json::from_value(serde_json::json!([{"dataset_id": "sales",
                "record_permissions": [{"security_name": "region", "values": ["emea"]}]}]))
            .ok(),
            asset_permissions: None,
            granted_by: "bench-owner".into(),
            created_at: 0,
        }))
    }
}

/// The ring's secret value, in memory.
struct Ring(String);

impl SecretSource for Ring {
    async fn fetch(&self, _: &str) -> gatehouse::Result<SecretString> {
        Ok(SecretString::from(self.0.clone()))
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = gatehouse::primitives::time::now_epoch();
    let config = Config::from_lookup(|k| {
        match k {
            "TABLE_NAME" => Some("bench"),
            "SIGNING_KEYS_SECRET_ARN" => Some("ring"),
            "ISSUER" => Some(ISSUER),
            "ALLOWED_ORIGINS" => Some(ORIGIN),
            _ => None,
        }
        .map(str::to_owned)
    })
    .unwrap();
    let key = apikey::generate("bench", None, None, now).unwrap();
    let session_id = gatehouse::primitives::crypto::random_id();
    let user_session_id = gatehouse::primitives::crypto::random_id();
    let memory = || Memory {
        key: key.record.clone(),
        session_hash: gatehouse::primitives::crypto::sha256_hex(session_id.as_bytes()),
        session: Session {
            user: WidgetUser {
                userid: "bench".into(),
                app_id: Some("app".into()),
                client_id: None,
                org_id: None,
            },
            origin: Some(ORIGIN.to_owned()),
            created_at: now,
            expires_at: now + 3600,
        },
        user_session_hash: gatehouse::primitives::crypto::sha256_hex(user_session_id.as_bytes()),
        user_session: UserSession {
            user_id: "bench-user".into(),
            kind: UserKind::Creator,
            roles: vec!["bench".into()],
            created_at: now,
            expires_at: now + 3600,
        },
    };
    let run =
        |c: &mut Criterion, name: &str, authorizer: &Authorizer<Memory, Ring>, event: Value| {
            // Warm: the first call fills the caches; every measured call must allow.
            let first = rt.block_on(authorizer.handle(event.clone())).unwrap();
            let expect = first["isAuthorized"].clone();
            c.bench_function(&format!("authorizer_handle/{name}"), |b| {
                b.iter(|| {
                    let out = rt
                        .block_on(authorizer.handle(black_box(event.clone())))
                        .unwrap();
                    assert_eq!(out["isAuthorized"], expect);
                })
            });
        };

    for alg in [SigningAlg::RS256, SigningAlg::ES256] {
        let ring = KeyRing::create(alg, now).unwrap();
        let claims = Claims::new(ISSUER, AUD_API, "1", "client", now, 3600);
        let token =
            gatehouse::credentials::jwt::issue(&LoadedRing::load(&ring).unwrap(), &claims).unwrap();
        let authorizer = Authorizer::new(&config, memory(), Ring(ring.to_json()));
        let event = authorizer_event(
            "GET",
            "/display",
            &[("authorization", format!("Bearer {token}"))],
        );
        run(c, &format!("bearer_{}", alg.as_str()), &authorizer, event);
        if alg == SigningAlg::RS256 {
            let key_event = authorizer_event(
                "GET",
                "/display",
                &[("x-api-key", key.key.expose_secret().to_owned())],
            );
            run(c, "api_key_cached", &authorizer, key_event);
            let cookie_event = authorizer_event(
                "GET",
                "/display",
                &[
                    ("cookie", format!("__Host-gh_session={session_id}")),
                    ("origin", ORIGIN.to_owned()),
                ],
            );
            run(c, "session_cookie_no_dynamodb", &authorizer, cookie_event);
            let user_event = authorizer_event(
                "GET",
                "/users/me",
                &[
                    ("cookie", format!("__Host-gh_user={user_session_id}")),
                    ("origin", ORIGIN.to_owned()),
                ],
            );
            run(c, "user_session_no_dynamodb", &authorizer, user_event);
            // An app-bearing rule: the app and the grant from the grant cache.
            let grant_event = authorizer_event(
                "GET",
                &format!("/apps/{APP}/data"),
                &[
                    ("cookie", format!("__Host-gh_user={user_session_id}")),
                    ("origin", ORIGIN.to_owned()),
                ],
            );
            run(c, "grant_cached_no_dynamodb", &authorizer, grant_event);
            // Parse, classify, deny, build the response: the floor under every request.
            run(
                c,
                "no_credential",
                &authorizer,
                authorizer_event("GET", "/display", &[]),
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
