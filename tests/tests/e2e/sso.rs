//! Single sign-on through the local gateway against the fake provider (README "Single
//! sign-on"): a linked identity signs in and `/users/me` shows the user; the callback's
//! refusals, each a redirect with a code from the fixed list; a failure before the
//! transaction is spent spends nothing; the one-time code works once.

use gatehouse::credentials::users::UserKind;
use gatehouse_e2e::admin::Admin;
use gatehouse_e2e::idp::FakeIdp;
use gatehouse_e2e::{self as common, Answer, ORIGIN, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::idps::{link, post};

const CLIENT_SECRET: &str = "sso-client-secret-Never-Logged-5e6f";

/// A stack, the fake provider registered as `fake`, and a user linked to its subject.
pub(crate) struct Sso {
    pub s: Stack,
    pub idp: FakeIdp,
    pub admin: Admin,
    pub user_id: String,
}

pub(crate) async fn setup(env: &[(&str, &str)]) -> Sso {
    let idp = FakeIdp::start();
    let s = Stack::builder().admin_signin().env(env).start().await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let body = json!({"id": "fake", "display_name": "Fake IdP", "issuer": idp.issuer(),
        "client_id": "gatehouse", "client_secret": CLIENT_SECRET});
    let a = post(&s, &admin, "/admin/idps", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    idp.control(
        json!({"profile": {"sub": "sub-ann", "email": "ann@corp.example",
        "email_verified": true, "preferred_username": "ann", "name": "Ann"}}),
    )
    .await;
    let user = s.person(UserKind::Creator).await;
    let a = link(&s, &admin, &user.id, "fake", "sub-ann").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    Sso {
        s,
        idp,
        admin,
        user_id: user.id,
    }
}

fn location(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::FOUND, "{}", a.text);
    a.headers["location"].to_str().unwrap().to_owned()
}

fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The user's page's fragment parameter `name`.
pub(crate) fn fragment(url: &str, name: &str) -> Option<String> {
    let (page, frag) = url.split_once('#')?;
    assert_eq!(page, ORIGIN, "the user's page");
    form_urlencoded::parse(frag.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A started sign-in: the browser's cookie and the provider's redirect to the callback.
pub(crate) struct Started {
    pub cookie: String,
    pub callback: String,
}

impl Sso {
    /// `/sso/start`, the provider's consent (its client registered with the callback
    /// URL Gatehouse sent), and the callback URL on this stack.
    pub async fn start(&self, return_to: &str) -> Started {
        let path = format!("/sso/start?idp=fake&return_to={return_to}");
        let a = self.s.get(&path, &[]).await;
        let set = a.set_cookie().unwrap();
        assert!(
            set.ends_with("; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=600"),
            "{set}"
        );
        let auth = location(&a);
        let redirect = param(&auth, "redirect_uri").unwrap();
        self.idp
            .register_client("gatehouse", CLIENT_SECRET, &redirect)
            .await;
        let back = self.idp.authorize(&auth).await;
        let (_, query) = back.split_once('?').unwrap();
        Started {
            cookie: a.cookie().unwrap(),
            callback: format!("/sso/callback?{query}"),
        }
    }

    pub async fn callback(&self, started: &Started, cookie: Option<&str>) -> String {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        location(&self.s.get(&started.callback, &headers).await)
    }

    pub async fn redeem(&self, code: &str) -> Answer {
        let body = json!({ "code": code });
        self.s
            .send_json(
                Method::POST,
                "/users/sso/redeem",
                &[("origin", ORIGIN)],
                Some(body),
            )
            .await
    }
}

#[tokio::test]
async fn a_linked_identity_signs_in_and_users_me_shows_the_user() {
    let sso = setup(&[]).await;
    let providers = sso.s.get("/sso/providers", &[]).await;
    assert_eq!(
        providers.body,
        json!({"providers": [{"id": "fake", "display_name": "Fake IdP"}]})
    );
    let started = sso.start("/apps/42?tab=1").await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    assert_eq!(
        fragment(&to, "return_to").as_deref(),
        Some("/apps/42?tab=1")
    );
    let code = fragment(&to, "sso_code").expect(&to);
    let a = sso.redeem(&code).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["user"]["id"], json!(sso.user_id), "{}", a.text);
    let cookie = a.cookie().unwrap();
    assert!(cookie.starts_with("__Host-gh_user="));
    let me = sso
        .s
        .get("/users/me", &[("cookie", &cookie), ("origin", ORIGIN)])
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["user"]["id"], json!(sso.user_id));
    // The code works once; the callback's transaction too.
    let again = sso.redeem(&code).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);
    let replay = sso.callback(&started, Some(&started.cookie)).await;
    assert_eq!(
        fragment(&replay, "sso_error").as_deref(),
        Some("state_mismatch")
    );
    let stats = sso.idp.stats().await;
    assert_eq!(
        stats["token_requests"], 1,
        "the replay never reached the provider"
    );
    assert_eq!(stats["last_token_auth"], "basic");
}

/// The code the callback redirects with.
async fn error_of(sso: &Sso, started: &Started, cookie: Option<&str>) -> String {
    let to = sso.callback(started, cookie).await;
    assert!(fragment(&to, "sso_code").is_none(), "{to}");
    fragment(&to, "sso_error").unwrap_or_default()
}

#[tokio::test]
async fn a_missing_or_foreign_cookie_or_a_wrong_state_is_state_mismatch() {
    let sso = setup(&[]).await;
    let started = sso.start("/").await;
    assert_eq!(error_of(&sso, &started, None).await, "state_mismatch");
    let other = sso.start("/").await;
    assert_eq!(
        error_of(&sso, &started, Some(&other.cookie)).await,
        "state_mismatch"
    );
    let forged = Started {
        cookie: started.cookie.clone(),
        callback: started.callback.replace("state=", "state=x"),
    };
    assert_eq!(
        error_of(&sso, &forged, Some(&started.cookie)).await,
        "state_mismatch"
    );
    // None of these spent the transaction: the right browser still signs in.
    let to = sso.callback(&started, Some(&started.cookie)).await;
    assert!(fragment(&to, "sso_code").is_some(), "{to}");
}

#[tokio::test]
async fn jwks_down_fails_closed_and_spends_nothing() {
    let sso = setup(&[("SSO_JWKS_TTL", "1"), ("SSO_METADATA_TTL", "1")]).await;
    let started = sso.start("/").await;
    sso.idp.control(json!({"jwks": "down"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        error_of(&sso, &started, Some(&started.cookie)).await,
        "provider_unavailable"
    );
    assert_eq!(
        sso.idp.stats().await["token_requests"],
        0,
        "no code was exchanged"
    );
    sso.idp.control(json!({"jwks": "ok"})).await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    assert!(
        fragment(&to, "sso_code").is_some(),
        "the transaction was not spent: {to}"
    );
}

#[tokio::test]
async fn bad_id_tokens_and_the_iss_mix_up_parameter_are_refused() {
    let sso = setup(&[]).await;
    let cases: [(Value, &str); 4] = [
        (json!({"token": {"alg": "none"}}), "invalid_id_token"),
        (json!({"token": {"alg": "HS256"}}), "invalid_id_token"),
        (
            json!({"token": {"claims": {"aud": "someone-else"}}}),
            "invalid_id_token",
        ),
        (
            json!({"iss_param": "https://evil.example"}),
            "issuer_mismatch",
        ),
    ];
    for (knob, code) in cases {
        sso.idp.control(json!({"reset": true})).await;
        sso.idp
            .control(json!({"profile": {"sub": "sub-ann"}}))
            .await;
        sso.idp.control(knob.clone()).await;
        let started = sso.start("/").await;
        assert_eq!(
            error_of(&sso, &started, Some(&started.cookie)).await,
            code,
            "{knob}"
        );
    }
}

#[tokio::test]
async fn an_unlinked_identity_or_a_disabled_user_gets_no_code() {
    let sso = setup(&[]).await;
    sso.idp
        .control(json!({"profile": {"sub": "sub-nobody"}}))
        .await;
    let started = sso.start("/").await;
    assert_eq!(
        error_of(&sso, &started, Some(&started.cookie)).await,
        "no_linked_account"
    );
    sso.idp
        .control(json!({"profile": {"sub": "sub-ann"}}))
        .await;
    let a = post(
        &sso.s,
        &sso.admin,
        "/admin/users/disable",
        json!({"user_id": sso.user_id}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let started = sso.start("/").await;
    assert_eq!(
        error_of(&sso, &started, Some(&started.cookie)).await,
        "account_disabled"
    );
}

#[tokio::test]
async fn open_redirects_in_return_to_are_refused_at_the_start() {
    let sso = setup(&[]).await;
    for bad in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "evil",
        "/%2F%2Fevil.example",
    ] {
        let path = format!(
            "/sso/start?idp=fake&return_to={}",
            form_urlencoded::byte_serialize(bad.as_bytes()).collect::<String>()
        );
        let a = sso.s.get(&path, &[]).await;
        let to = location(&a);
        assert_eq!(
            fragment(&to, "sso_error").as_deref(),
            Some("invalid_request"),
            "{bad}"
        );
        assert!(a.set_cookie().is_none(), "{bad}: no transaction");
    }
    assert!(sso.s.items_of("ssotx#").await.is_empty());
    let a = sso.s.get("/sso/start?idp=nobody", &[]).await;
    assert_eq!(
        fragment(&location(&a), "sso_error").as_deref(),
        Some("unknown_provider")
    );
}
