//! Clock skew and expiry boundaries, through the local gateway (DynamoDB Local, moto)
//! and, where the code takes `now`, with the time injected instead of slept.
//!
//! Host codes: default leeway 30 s, `CODE_MAX_LIFETIME` 120 s, and the host's codes
//! live 60 s. Every other credential: valid up to its expiry second, refused from it.

use std::time::Duration;

use common::{ORIGIN, Stack, claims_of, full};
use gatehouse::adapters::HttpJwksFetch;
use gatehouse::credentials::admin::AdminSession;
use gatehouse::credentials::admin::AdminStore;
use gatehouse::credentials::codes::{CodeRules, HostJwks};
use gatehouse::credentials::jwt::{AUD_API, AUD_WIDGET, Expect, read_header, verify_issued};
use gatehouse::credentials::widget::SessionStore;
use gatehouse::credentials::widget::TempToken;
use gatehouse::credentials::widget::WidgetUser;
use gatehouse::primitives::crypto::random_id;
use gatehouse::primitives::crypto::sha256_hex;
use gatehouse_e2e as common;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Seconds between "just before expiry" and the expiry itself on the HTTP paths, so a
/// slow machine cannot reach the expiry while the request is on its way.
const MARGIN: i64 = 10;

fn now() -> i64 {
    gatehouse::primitives::time::now_epoch()
}

/// A host code as a host whose clock is `skew` seconds off would sign it (`iat` and/or
/// `nbf` at its "now", `exp` 60 s later), with a `jti` of its own.
fn skewed(skew: i64, iat: bool, nbf: bool) -> Value {
    let host_now = now() + skew;
    let mut c = json!({"exp": host_now + 60, "jti": random_id()});
    if iat {
        c["iat"] = host_now.into();
    }
    if nbf {
        c["nbf"] = host_now.into();
    }
    c
}

#[tokio::test]
async fn host_clock_skew_within_the_leeway_is_accepted_and_beyond_it_refused() {
    let s = full(&[]).await;
    let cases = [
        ("host 20 s behind", skewed(-20, true, false), true),
        ("host 20 s behind, nbf", skewed(-20, true, true), true),
        ("host 20 s ahead", skewed(20, true, false), true),
        ("host 20 s ahead, nbf", skewed(20, true, true), true),
        ("host 20 s ahead, exp only", skewed(20, false, false), true),
        (
            "host 120 s behind (exp passed)",
            skewed(-120, true, false),
            false,
        ),
        (
            "host 120 s behind, exp only",
            skewed(-120, false, false),
            false,
        ),
        ("host 120 s ahead with iat", skewed(120, true, false), false),
        (
            "host 120 s ahead, nbf, no iat",
            skewed(120, false, true),
            false,
        ),
        (
            "host 120 s ahead, exp only",
            skewed(120, false, false),
            false,
        ),
    ];
    for (what, claims, accepted) in cases {
        let a = s.redeem(&s.code(claims).await).await;
        let expected = if accepted {
            (StatusCode::OK, None)
        } else {
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        };
        assert_eq!((a.status, a.body["error"].as_str()), expected, "{what}");
    }
}

#[tokio::test]
async fn host_code_time_claims_are_judged_at_the_given_now() {
    let host = common::Host::start();
    let jwks = HostJwks::new(
        HttpJwksFetch::new().unwrap(),
        host.jwk_url(),
        Duration::from_secs(300),
        Duration::from_secs(30),
    );
    let rules = CodeRules {
        max_lifetime_secs: 120,
        leeway_secs: 30,
        issuer: None,
        audience: None,
        require_typ: false,
    };
    let t = now();
    let sign = async |claims: Value| host.sign(claims, json!({}), "current", false).await;
    // Valid from max(nbf, iat) - leeway, and from exp - CODE_MAX_LIFETIME, until exp + leeway.
    let timed = sign(json!({"exp": t + 60, "nbf": t, "iat": t})).await;
    let exp_only = sign(json!({"exp": t + 60})).await;
    let cases = [
        (&timed, t - 31, false, "before nbf/iat - leeway"),
        (&timed, t - 30, true, "at nbf/iat - leeway"),
        (&timed, t + 90, true, "at exp + leeway"),
        (&timed, t + 91, false, "after exp + leeway"),
        (
            &exp_only,
            t - 61,
            false,
            "exp more than CODE_MAX_LIFETIME ahead",
        ),
        (&exp_only, t - 60, true, "exp CODE_MAX_LIFETIME ahead"),
        (&exp_only, t + 91, false, "after exp + leeway, exp only"),
    ];
    for (code, at, ok, what) in cases {
        let verdict = jwks.verify(code, &rules, at).await.unwrap();
        assert_eq!(verdict.is_ok(), ok, "{what}: {verdict:?}");
    }
}

/// `verify` at the second before `exp` is true, at `exp` and after it false.
async fn injected(what: &str, exp: i64, verify: impl AsyncFn(i64) -> bool) {
    assert!(
        verify(exp - 1).await,
        "{what}: valid the second before expiry"
    );
    assert!(!verify(exp).await, "{what}: refused at expiry");
    assert!(!verify(exp + 1).await, "{what}: refused after expiry");
}

/// Over HTTP: the credential `use_with(exp)` makes and presents is accepted when it
/// expires `MARGIN` s from now, and refused with `refused` when it expires now.
async fn at_the_gateway(
    what: &str,
    refused: StatusCode,
    use_with: impl AsyncFn(i64) -> StatusCode,
) {
    let t = now();
    assert_eq!(
        use_with(t + MARGIN).await,
        StatusCode::OK,
        "{what}: just before expiry"
    );
    assert_eq!(use_with(t).await, refused, "{what}: at expiry");
}

/// An issued token: its lifetime, then its expiry with injected time (the real token)
/// and at the gateway (the same claims re-timed and re-signed).
async fn issued_token_expiry(
    s: &Stack,
    what: &str,
    token: &str,
    aud: &str,
    lifetime: i64,
    present: impl AsyncFn(&str) -> StatusCode,
) {
    let c = claims_of(token);
    assert_eq!(c.exp - c.iat, lifetime, "{what}: lifetime");
    let ring = s.loaded_ring().await;
    let header = read_header(token).unwrap();
    let key = &ring.verifiers[header.kid.as_deref().unwrap()];
    injected(what, c.exp, async |at| {
        let expect = Expect {
            issuer: &s.url,
            audiences: &[aud],
            now: at,
        };
        verify_issued(token, &header, key, &expect).is_ok()
    })
    .await;
    at_the_gateway(what, StatusCode::FORBIDDEN, async |exp| {
        present(&s.retimed(token, exp).await).await
    })
    .await;
}

#[tokio::test]
async fn access_tokens_expire_at_exp() {
    let s = full(&[]).await;
    let on = async |path: &str, t: &str| {
        let bearer = format!("Bearer {t}");
        s.get(path, &[("authorization", &bearer)]).await.status
    };
    let cc = s.client_token().await;
    let data = async |t: &str| on("/stats", t).await;
    issued_token_expiry(&s, "client_credentials", &cc, AUD_API, 900, data).await;
    let code = s.code_token().await;
    let client = async |t: &str| on("/display", t).await;
    issued_token_expiry(&s, "code flow", &code, AUD_API, 900, client).await;
}

#[tokio::test]
async fn widget_security_tokens_expire_at_exp() {
    let s = full(&[]).await;
    let token = s.security_token().await;
    let present = async |t: &str| {
        let bearer = format!("Bearer {t}");
        let h = [("authorization", bearer.as_str()), ("origin", ORIGIN)];
        s.get("/display", &h).await.status
    };
    issued_token_expiry(
        &s,
        "widget security token",
        &token,
        AUD_WIDGET,
        3600,
        present,
    )
    .await;
}

fn user() -> WidgetUser {
    WidgetUser {
        userid: "u".into(),
        app_id: None,
        client_id: None,
        org_id: None,
    }
}

/// Writes a temp token record expiring at `exp` (opening a session of `session_ttl`).
async fn temp_record(s: &Stack, exp: i64, session_ttl: i64) -> String {
    let token = random_id();
    let temp = TempToken {
        user: user(),
        session_ttl,
        expires_at: exp,
    };
    let hash = sha256_hex(token.as_bytes());
    s.store.put_temp_token(&hash, &temp).await.unwrap();
    token
}

#[tokio::test]
async fn widget_temp_tokens_live_60_s() {
    let s = full(&[]).await;
    // Issued for 60 s.
    let t = now();
    s.temp_token().await;
    let record = &s.items_of(gatehouse::records::prefix::TEMP).await[0];
    let exp: i64 = record["expires_at"].as_n().unwrap().parse().unwrap();
    assert!((t + 60..=t + 61).contains(&exp), "expires 60 s after issue");
    // Redemption with injected time: each attempt on a fresh record of that expiry.
    let exp = now() + 60;
    injected("temp token", exp, async |at| {
        let hash = sha256_hex(temp_record(&s, exp, 3600).await.as_bytes());
        let session = sha256_hex(random_id().as_bytes());
        let redeemed = s.store.redeem_temp_token(&hash, &session, ORIGIN, at).await;
        redeemed.unwrap().is_some()
    })
    .await;
    at_the_gateway("temp token", StatusCode::UNAUTHORIZED, async |exp| {
        s.login(&temp_record(&s, exp, 3600).await).await.status
    })
    .await;
}

/// A widget session expiring at `exp`: a temp token redeemed, with injected time, one
/// session lifetime before `exp`. Returns the session id.
async fn session_expiring(s: &Stack, exp: i64) -> String {
    let ttl = 3600;
    let token = temp_record(s, exp + 60, ttl).await;
    let id = random_id();
    let redeemed_at = exp - ttl;
    let (th, sh) = (sha256_hex(token.as_bytes()), sha256_hex(id.as_bytes()));
    let session = s
        .store
        .redeem_temp_token(&th, &sh, ORIGIN, redeemed_at)
        .await;
    assert_eq!(session.unwrap().unwrap().expires_at, exp);
    id
}

#[tokio::test]
async fn widget_sessions_expire_at_expires_at() {
    let s = full(&[]).await;
    // The cookie of a real login lasts the session lifetime (default 1 h).
    let a = s.login(&s.temp_token().await).await;
    let expires_at = a.body["expires_at"].as_i64().unwrap();
    assert!(a.cookie().unwrap().starts_with("__Host-gh_session="));
    let set = a.headers["set-cookie"].to_str().unwrap();
    let max_age: i64 = set.rsplit("Max-Age=").next().unwrap().parse().unwrap();
    assert_eq!(max_age, 3600, "{set}");
    let id = a.cookie().unwrap().split_once('=').unwrap().1.to_owned();
    let hash = sha256_hex(id.as_bytes());
    injected("widget session", expires_at, async |at| {
        s.store.get_session(&hash, at).await.unwrap().is_some()
    })
    .await;
    at_the_gateway("widget session", StatusCode::FORBIDDEN, async |exp| {
        let cookie = format!("__Host-gh_session={}", session_expiring(&s, exp).await);
        let h = [("cookie", cookie.as_str()), ("origin", ORIGIN)];
        s.get("/whoami", &h).await.status
    })
    .await;
}

#[tokio::test]
async fn admin_sessions_expire_at_expires_at() {
    let s = full(&[]).await;
    let member = common::iam_user(true).await;
    let t = now();
    let body = common::admin::keys_body(&member);
    let a = s.signin(body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let expires_at = a.body["expires_at"].as_i64().unwrap();
    assert!((t + 3600..=t + 3601).contains(&expires_at), "1 h sessions");
    let id = a.cookie().unwrap().split_once('=').unwrap().1.to_owned();
    let hash = sha256_hex(id.as_bytes());
    injected("admin session", expires_at, async |at| {
        s.store
            .get_admin_session(&hash, at)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    at_the_gateway("admin session", StatusCode::UNAUTHORIZED, async |exp| {
        let id = random_id();
        let session = AdminSession {
            user_name: member.name.clone(),
            csrf_hash: sha256_hex(random_id().as_bytes()),
            checked_at: now(),
            created_at: exp - 3600,
            expires_at: exp,
        };
        let hash = sha256_hex(id.as_bytes());
        s.store.put_admin_session(&hash, &session).await.unwrap();
        let cookie = format!("__Host-gh_admin={id}");
        s.get("/admin/keys", &[("cookie", &cookie)]).await.status
    })
    .await;
}

#[tokio::test]
async fn api_keys_expire_at_expires_at() {
    let s = full(&[]).await;
    let exp = now() + 3600;
    let new = gatehouse::credentials::apikey::generate("k", None, Some(exp), now()).unwrap();
    let key = gatehouse::credentials::apikey::reveal(&new.key);
    let presented = gatehouse::credentials::apikey::parse(key).unwrap();
    injected("API key", exp, async |at| {
        gatehouse::credentials::apikey::check(&presented, &new.record, at).is_ok()
    })
    .await;
    at_the_gateway("API key", StatusCode::FORBIDDEN, async |exp| {
        // Created a while ago (`generate` refuses an expiry that has passed).
        let new = gatehouse::credentials::apikey::generate("k", None, Some(exp), exp - 60).unwrap();
        gatehouse::credentials::apikey::ApiKeyStore::put_api_key(&s.store, &new.record)
            .await
            .unwrap();
        let key = gatehouse::credentials::apikey::reveal(&new.key);
        s.get("/whoami", &[("x-api-key", key)]).await.status
    })
    .await;
}
