//! Host authorization codes: the verifier against a real host (tests/host/host.py,
//! PyJWT) serving its JWK over HTTP.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::adapters::HttpJwksFetch;
use gatehouse::authz::DenyReason;
use gatehouse::credentials::codes::{CodeRules, HostJwks};
use gatehouse_e2e as common;
use serde_json::{Value, json};

fn rules() -> CodeRules {
    CodeRules {
        max_lifetime_secs: 120,
        leeway_secs: 30,
        issuer: None,
        audience: None,
        require_typ: false,
    }
}

fn jwks(host: &common::Host, cooldown: Duration) -> HostJwks<HttpJwksFetch> {
    HostJwks::new(
        HttpJwksFetch::new().unwrap(),
        host.jwk_url(),
        Duration::from_secs(300),
        cooldown,
    )
}

async fn check(
    j: &HostJwks<HttpJwksFetch>,
    code: &str,
    rules: &CodeRules,
) -> Result<(), DenyReason> {
    j.verify(code, rules, gatehouse::primitives::time::now_epoch())
        .await
        .expect("host reachable")
        .map(|_| ())
}

fn now() -> i64 {
    gatehouse::primitives::time::now_epoch()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn documented_example_code_verifies_without_kid() {
    let host = common::Host::start();
    let j = jwks(&host, Duration::from_secs(30));
    assert_eq!(check(&j, &host.authorize().await, &rules()).await, Ok(()));
    let with_kid = host
        .sign(json!({"exp": now() + 60}), json!({}), "current", true)
        .await;
    assert_eq!(check(&j, &with_kid, &rules()).await, Ok(()));
}

#[tokio::test]
async fn forged_and_malformed_codes_are_refused() {
    let host = common::Host::start();
    let j = jwks(&host, Duration::from_secs(30));
    let good = host
        .sign(json!({"exp": now() + 60}), json!({}), "current", false)
        .await;
    let parts: Vec<&str> = good.split('.').collect();
    let claims = json!({"exp": now() + 60});
    // alg none.
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims));
    assert!(check(&j, &none, &rules()).await.is_err());
    // HS256 signed with the RSA public key (its JWK text and its modulus) as the secret.
    let jwk = host.jwk().await;
    for secret in [jwk.to_string(), jwk["n"].as_str().unwrap().to_owned()] {
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        assert!(check(&j, &hs, &rules()).await.is_err());
    }
    // Signature stripped; payload tampered.
    assert!(
        check(&j, &format!("{}.{}.", parts[0], parts[1]), &rules())
            .await
            .is_err()
    );
    let later = b64(&json!({"exp": now() + 100}));
    assert!(
        check(
            &j,
            &format!("{}.{}.{}", parts[0], later, parts[2]),
            &rules()
        )
        .await
        .is_err()
    );
    // RS256 header swapped for RS512, same signature (alg is pinned).
    let rs512 = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS512", "typ": "JWT"})),
        parts[1],
        parts[2]
    );
    assert!(check(&j, &rs512, &rules()).await.is_err());
    // crit header.
    let crit = host
        .sign(
            json!({"exp": now() + 60}),
            json!({"crit": ["exp"]}),
            "current",
            false,
        )
        .await;
    assert_eq!(
        check(&j, &crit, &rules()).await,
        Err(DenyReason::InvalidToken)
    );
    // Signed by a key the host does not publish (with and without kid).
    let other = host
        .sign(json!({"exp": now() + 60}), json!({}), "other", false)
        .await;
    assert!(check(&j, &other, &rules()).await.is_err());
    let other_kid = host
        .sign(json!({"exp": now() + 60}), json!({}), "other", true)
        .await;
    assert_eq!(
        check(&j, &other_kid, &rules()).await,
        Err(DenyReason::UnknownKey)
    );
}

#[tokio::test]
async fn time_claims_are_enforced() {
    let host = common::Host::start();
    let j = jwks(&host, Duration::from_secs(30));
    // Margins of at least 5 s on the side time moves towards, so a slow machine cannot
    // flip a case while the codes are being signed.
    let t = now();
    let cases: Vec<(Value, bool, &str)> = vec![
        (json!({"exp": t - 31}), false, "expired beyond leeway"),
        (json!({"exp": t - 10}), true, "expired within leeway"),
        (json!({"sub": "x"}), false, "missing exp"),
        (
            json!({"exp": t + 125}),
            false,
            "exp beyond CODE_MAX_LIFETIME",
        ),
        (
            json!({"exp": t + 119}),
            true,
            "exp within CODE_MAX_LIFETIME",
        ),
        (
            json!({"exp": t + 60, "nbf": t + 60}),
            false,
            "nbf in the future beyond leeway",
        ),
        (
            json!({"exp": t + 60, "nbf": t + 20}),
            true,
            "nbf within leeway",
        ),
        (
            json!({"exp": t + 60, "iat": t + 60}),
            false,
            "iat in the future beyond leeway",
        ),
        (
            json!({"exp": t + 60, "iat": t + 20}),
            true,
            "iat within leeway",
        ),
        (json!({"exp": "soon"}), false, "exp not a number"),
    ];
    for (claims, ok, what) in cases {
        let code = host.sign(claims, json!({}), "current", false).await;
        assert_eq!(check(&j, &code, &rules()).await.is_ok(), ok, "{what}");
    }
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let host = common::Host::start();
    let j = jwks(&host, Duration::from_secs(30));
    let strict = CodeRules {
        issuer: Some("https://host.example".into()),
        audience: Some("gatehouse".into()),
        ..rules()
    };
    let t = now();
    let good = host
        .sign(
            json!({"exp": t + 60, "iss": "https://host.example", "aud": "gatehouse"}),
            json!({}),
            "current",
            false,
        )
        .await;
    assert_eq!(check(&j, &good, &strict).await, Ok(()));
    for claims in [
        json!({"exp": t + 60, "iss": "https://evil.example", "aud": "gatehouse"}),
        json!({"exp": t + 60, "iss": "https://host.example", "aud": "other"}),
        json!({"exp": t + 60, "aud": "gatehouse"}),
        json!({"exp": t + 60, "iss": "https://host.example"}),
    ] {
        let code = host.sign(claims.clone(), json!({}), "current", false).await;
        assert!(check(&j, &code, &strict).await.is_err(), "{claims}");
    }
}

#[tokio::test]
async fn required_audience_needs_the_code_typ_and_seed_codes_pass_when_not_required() {
    let host = common::Host::start();
    let j = jwks(&host, Duration::from_secs(30));
    let t = now();
    let typed = json!({"typ": gatehouse::credentials::codes::CODE_TYP});
    let aud = json!({"exp": t + 60, "aud": "gatehouse"});
    // Not required (the default): the documented example (only `exp`) still verifies,
    // and so does a typed code.
    assert_eq!(check(&j, &host.authorize().await, &rules()).await, Ok(()));
    let code = host
        .sign(aud.clone(), typed.clone(), "current", false)
        .await;
    assert_eq!(check(&j, &code, &rules()).await, Ok(()));
    // Required: the audience and the typ, both.
    let strict = CodeRules {
        audience: Some("gatehouse".into()),
        require_typ: true,
        ..rules()
    };
    assert_eq!(check(&j, &code, &strict).await, Ok(()));
    for (claims, header, what) in [
        (aud.clone(), json!({}), "no typ"),
        (aud.clone(), json!({"typ": "JWT"}), "plain JWT typ"),
        (json!({"exp": t + 60}), typed.clone(), "no aud"),
        (
            json!({"exp": t + 60, "aud": "other"}),
            typed.clone(),
            "other aud",
        ),
    ] {
        let code = host.sign(claims, header, "current", false).await;
        assert!(check(&j, &code, &strict).await.is_err(), "{what}");
    }
}

#[tokio::test]
async fn one_bad_key_does_not_poison_the_set() {
    let host = common::Host::start();
    host.jwks_mode("set-with-bad-key").await;
    let j = jwks(&host, Duration::from_secs(30));
    assert_eq!(check(&j, &host.authorize().await, &rules()).await, Ok(()));
}

#[tokio::test]
async fn keys_without_use_sig_or_with_another_alg_are_never_used() {
    for mode in ["no-use", "other-alg"] {
        let host = common::Host::start();
        host.jwks_mode(mode).await;
        let j = jwks(&host, Duration::from_secs(30));
        assert!(
            check(&j, &host.authorize().await, &rules()).await.is_err(),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn unknown_kid_flood_fetches_at_most_once_per_cooldown() {
    let host = common::Host::start();
    let cooldown = Duration::from_secs(2);
    let j = std::sync::Arc::new(jwks(&host, cooldown));
    assert_eq!(check(&j, &host.authorize().await, &rules()).await, Ok(()));
    assert_eq!(host.jwk_fetches().await, 1);
    let flood = |j: std::sync::Arc<HostJwks<HttpJwksFetch>>| async move {
        let mut tasks = Vec::new();
        for i in 0..200 {
            let j = j.clone();
            let header = json!({"alg": "RS256", "kid": format!("unknown-{i}")});
            let forged = format!("{}.{}.sig", b64(&header), b64(&json!({"exp": now() + 60})));
            tasks.push(tokio::spawn(
                async move { check(&j, &forged, &rules()).await },
            ));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
    };
    // Within the cooldown of the first fetch: no refetch at all.
    flood(j.clone()).await;
    assert_eq!(host.jwk_fetches().await, 1);
    // After it: one refetch for the whole flood, then none again.
    tokio::time::sleep(cooldown + Duration::from_millis(50)).await;
    flood(j.clone()).await;
    assert_eq!(
        host.jwk_fetches().await,
        2,
        "one refetch for the whole flood"
    );
    flood(j.clone()).await;
    assert_eq!(host.jwk_fetches().await, 2);
}

#[tokio::test]
async fn host_key_rotation_is_picked_up_without_restart() {
    // Long TTL: only the unknown kid (or, without kid, the failed check) triggers the
    // refetch, once the short cooldown has passed.
    for with_kid in [true, false] {
        let host = common::Host::start();
        let j = jwks(&host, Duration::from_millis(50));
        let before = host
            .sign(json!({"exp": now() + 60}), json!({}), "current", with_kid)
            .await;
        assert_eq!(check(&j, &before, &rules()).await, Ok(()));
        host.rotate().await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        let after = host
            .sign(json!({"exp": now() + 60}), json!({}), "current", with_kid)
            .await;
        assert_eq!(
            check(&j, &after, &rules()).await,
            Ok(()),
            "with kid: {with_kid}"
        );
        assert!(
            check(&j, &before, &rules()).await.is_err(),
            "old key dropped by the host"
        );
    }
}

#[tokio::test]
async fn host_down_fails_closed() {
    let host = common::Host::start();
    let url = host.jwk_url();
    drop(host);
    let j = HostJwks::new(
        HttpJwksFetch::new().unwrap(),
        url,
        Duration::from_secs(300),
        Duration::from_secs(30),
    );
    assert!(j.keys_for(None).await.is_err());
}
