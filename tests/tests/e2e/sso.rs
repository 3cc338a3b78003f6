//! Single sign-on through the local gateway against the fake provider (README "Single
//! sign-on"): a linked identity signs in and `/users/me` shows the user; the callback's
//! refusals, each a redirect with a code from the fixed list; a failure before the
//! transaction is spent spends nothing; the one-time code works once.

use std::sync::Arc;

use gatehouse_e2e::ORIGIN;
use gatehouse_e2e::sso::{Sso, Started, fragment, location, setup};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::idps::post;

#[tokio::test]
async fn a_linked_identity_signs_in_and_users_me_shows_the_user() {
    let sso = setup(&[]).await;
    let providers = sso.s.get("/sso/providers", &[]).await;
    assert_eq!(
        providers.body,
        json!({"providers": [{"id": "fake", "display_name": "Fake IdP"}]})
    );
    let started = sso.start("/apps/42?tab=1").await;
    let answer = sso.callback_answer(&started, Some(&started.cookie)).await;
    assert_eq!(
        answer.set_cookie().as_deref(),
        Some(CLEARED),
        "the spent sign-in's cookie is cleared"
    );
    let to = location(&answer);
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

/// The callback's `Set-Cookie` once it has spent the transaction.
const CLEARED: &str = "__Host-gh_sso=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0";

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
    let other = sso.start("/").await;
    let forged = Started {
        cookie: started.cookie.clone(),
        callback: started.callback.replace("state=", "state=x"),
    };
    for (tried, cookie) in [
        (&started, None),
        (&started, Some(&other.cookie)),
        (&forged, Some(&started.cookie)),
    ] {
        let a = sso.callback_answer(tried, cookie.map(String::as_str)).await;
        let to = location(&a);
        assert_eq!(
            fragment(&to, "sso_error").as_deref(),
            Some("state_mismatch")
        );
        assert!(a.set_cookie().is_none(), "the browser's cookie is kept");
    }
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
    let a = sso.callback_answer(&started, Some(&started.cookie)).await;
    assert_eq!(
        fragment(&location(&a), "sso_error").as_deref(),
        Some("provider_unavailable")
    );
    assert!(a.set_cookie().is_none(), "the cookie is kept");
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

/// Now on the provider's clock (the same machine's).
fn now() -> i64 {
    gatehouse::primitives::time::now_epoch()
}

/// Signs in with the provider shaped by `knob` (after a reset to the linked profile):
/// the code the callback redirects with, `sso_code` when it gave one.
async fn outcome_with(sso: &Sso, knob: &Value) -> String {
    sso.idp.control(json!({"reset": true})).await;
    sso.idp
        .control(json!({"profile": {"sub": "sub-ann"}}))
        .await;
    sso.idp.control(knob.clone()).await;
    let started = sso.start("/").await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    match fragment(&to, "sso_code") {
        Some(_) => "sso_code".into(),
        None => fragment(&to, "sso_error").unwrap_or_default(),
    }
}

/// The id_token rules through the provider (docs/SECURITY.md, single sign-on): every
/// bad token is `invalid_id_token` and the `iss` mix-up parameter `issuer_mismatch`;
/// the controls beside them (ES256, several audiences with `azp`, the leeway's edge)
/// sign in.
#[tokio::test]
async fn bad_id_tokens_and_the_iss_mix_up_parameter_are_refused() {
    let sso = setup(&[]).await;
    let claims = |c: Value| json!({"token": {"claims": c}});
    let refused: Vec<(Value, &str)> = vec![
        (json!({"token": {"alg": "none"}}), "invalid_id_token"),
        (json!({"token": {"alg": "HS256"}}), "invalid_id_token"),
        (json!({"token": {"alg": "PS256"}}), "invalid_id_token"),
        (claims(json!({"aud": "someone-else"})), "invalid_id_token"),
        (
            claims(json!({"aud": ["gatehouse", "other"], "azp": "other"})),
            "invalid_id_token",
        ),
        (
            claims(json!({"aud": ["gatehouse", "other"]})),
            "invalid_id_token",
        ),
        (
            claims(json!({"iss": "https://evil.example"})),
            "invalid_id_token",
        ),
        (claims(json!({"exp": now() - 120})), "invalid_id_token"),
        (claims(json!({"iat": now() + 600})), "invalid_id_token"),
        (claims(json!({"nbf": now() + 600})), "invalid_id_token"),
        (
            claims(json!({"nonce": "not-the-nonce"})),
            "invalid_id_token",
        ),
        (claims(json!({"nonce": null})), "invalid_id_token"),
        (claims(json!({"sub": null})), "invalid_id_token"),
        (
            json!({"token": {"id_token_missing": true}}),
            "invalid_id_token",
        ),
        // Discovery advertises the parameter, so it may not go missing.
        (json!({"iss_param": "omit"}), "issuer_mismatch"),
        (
            json!({"iss_param": "https://evil.example"}),
            "issuer_mismatch",
        ),
    ];
    for (knob, code) in &refused {
        assert_eq!(outcome_with(&sso, knob).await, *code, "{knob}");
    }
    // The last case, the mix-up, was refused before its code was exchanged.
    assert_eq!(sso.idp.stats().await["token_requests"], 0);
    for knob in [
        json!({"token": {"alg": "ES256"}}),
        claims(json!({"aud": ["gatehouse", "other"], "azp": "gatehouse"})),
        claims(json!({"exp": now() - 30, "iat": now() - 400})),
    ] {
        assert_eq!(outcome_with(&sso, &knob).await, "sso_code", "{knob}");
    }
}

/// A token whose `kid` the cached JWKS lacks refetches it at most once per
/// `SSO_JWKS_COOLDOWN`: a key the provider never lists is refused after one fetch, a
/// second try within the cooldown fetches nothing, and a rotated key is found by the
/// next fetch once the cooldown has passed.
#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_per_cooldown() {
    let sso = setup(&[("SSO_JWKS_COOLDOWN", "2")]).await;
    assert_eq!(outcome_with(&sso, &json!({})).await, "sso_code");
    let fetches = || async { sso.idp.stats().await["jwks_fetches"].as_i64().unwrap() };
    let unlisted = json!({"token": {"key": "unlisted"}});
    let past_the_cooldown = std::time::Duration::from_millis(2100);
    // The first sign-in fetched the keys: the cooldown runs from that fetch.
    tokio::time::sleep(past_the_cooldown).await;
    // `reset` clears the counters: each count below is of one sign-in.
    assert_eq!(outcome_with(&sso, &unlisted).await, "invalid_id_token");
    assert_eq!(fetches().await, 1, "one refetch for the unknown kid");
    assert_eq!(outcome_with(&sso, &unlisted).await, "invalid_id_token");
    assert_eq!(fetches().await, 0, "none within the cooldown");
    tokio::time::sleep(past_the_cooldown).await;
    assert_eq!(
        outcome_with(&sso, &json!({"rotate": true})).await,
        "sso_code"
    );
    assert_eq!(fetches().await, 1, "the rotated key, found by one refetch");
}

/// A discovery document whose `issuer` is not the configured one makes the provider
/// unavailable: no start writes a transaction, and a started sign-in is not spent.
#[tokio::test]
async fn a_discovery_whose_issuer_differs_is_refused_and_spends_nothing() {
    let sso = setup(&[("SSO_METADATA_TTL", "1")]).await;
    let started = sso.start("/").await;
    let before = sso.s.items_of("ssotx#").await.len();
    sso.idp
        .control(json!({"discovery": {"issuer": "http://127.0.0.1:1"}}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let a = sso.s.get("/sso/start?idp=fake", &[]).await;
    assert_eq!(
        fragment(&location(&a), "sso_error").as_deref(),
        Some("provider_unavailable")
    );
    assert!(a.set_cookie().is_none());
    assert_eq!(
        sso.s.items_of("ssotx#").await.len(),
        before,
        "no transaction"
    );
    assert_eq!(
        error_of(&sso, &started, Some(&started.cookie)).await,
        "provider_unavailable"
    );
    assert_eq!(sso.idp.stats().await["token_requests"], 0);
    let own = sso.idp.issuer();
    sso.idp.control(json!({"discovery": {"issuer": own}})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    assert!(fragment(&to, "sso_code").is_some(), "not spent: {to}");
}

/// Fifty callbacks racing with one state and cookie make exactly one one-time code
/// (the transaction's conditional delete) and one code exchange; fifty redemptions of
/// that code open exactly one session.
#[tokio::test]
async fn fifty_racing_callbacks_make_one_code_and_fifty_redemptions_one_session() {
    let sso = Arc::new(setup(&[]).await);
    let started = Arc::new(sso.start("/").await);
    let callbacks: Vec<_> = (0..50)
        .map(|_| {
            let (sso, started) = (sso.clone(), started.clone());
            tokio::spawn(async move { sso.callback(&started, Some(&started.cookie)).await })
        })
        .collect();
    let mut codes = Vec::new();
    for t in callbacks {
        let to = t.await.unwrap();
        match fragment(&to, "sso_code") {
            Some(code) => codes.push(code),
            None => assert_eq!(
                fragment(&to, "sso_error").as_deref(),
                Some("state_mismatch")
            ),
        }
    }
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(sso.idp.stats().await["token_requests"], 1);
    let code = Arc::new(codes.pop().unwrap());
    let redemptions: Vec<_> = (0..50)
        .map(|_| {
            let (sso, code) = (sso.clone(), code.clone());
            tokio::spawn(async move { sso.redeem(&code).await })
        })
        .collect();
    let mut sessions = 0;
    for t in redemptions {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::OK => sessions += 1,
            StatusCode::BAD_REQUEST => {}
            other => panic!("{other}: {}", a.text),
        }
    }
    assert_eq!(sessions, 1);
    let stored = sso.s.items_of("usess#").await;
    let theirs = stored
        .iter()
        .filter(|i| i["user_id"].as_s().unwrap() == &sso.user_id)
        .count();
    assert_eq!(theirs, 1, "one session in the table");
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
