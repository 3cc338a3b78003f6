//! End to end: real HTTP to the local gateway, which runs the authorizer and the token
//! function in front of DynamoDB Local, as API Gateway would.

use gatehouse_e2e::{self as common, Stack};
use reqwest::StatusCode;
use serde_json::Value;

async fn stack(extra: &[(&str, &str)]) -> Stack {
    Stack::builder().api_key().env(extra).start().await
}

/// GET /whoami with this `x-api-key` (raw bytes); the answer is JSON.
async fn whoami(s: &Stack, key: Option<&[u8]>) -> (StatusCode, Value) {
    let mut req = s.http.get(format!("{}/whoami", s.url));
    if let Some(k) = key {
        req = req.header(
            "x-api-key",
            reqwest::header::HeaderValue::from_bytes(k).unwrap(),
        );
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    assert_eq!(resp.headers()["content-type"], "application/json");
    (status, resp.json().await.unwrap())
}

fn assert_denied((status, body): (StatusCode, Value)) {
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN,
        "expected 401/403, got {status} {body}"
    );
    assert!(body["message"].is_string(), "JSON error expected: {body}");
}

#[tokio::test]
async fn valid_key_gets_its_principal() {
    let s = stack(&[]).await;
    let (status, body) = whoami(&s, Some(s.key.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["principal_type"], "api_key");
    assert_eq!(body["subject"], s.key[3..19]);
    assert_eq!(body["key_id"], s.key[3..19]);
    assert_eq!(body["scopes"], "data client widget:issue");
}

#[tokio::test]
async fn missing_and_malformed_keys_are_denied() {
    let s = stack(&[]).await;
    let k = s.key.clone();
    assert_denied(whoami(&s, None).await);
    let wrong_prefix = k.replacen("gk_", "pk_", 1);
    let too_short = k[..k.len() - 1].to_owned();
    let too_long = format!("{k}A");
    let mut non_ascii = k.as_bytes()[..k.len() - 2].to_vec();
    non_ascii.extend_from_slice("é".as_bytes());
    for bad in [
        wrong_prefix.as_bytes(),
        too_short.as_bytes(),
        too_long.as_bytes(),
        &non_ascii,
        b"" as &[u8],
    ] {
        assert_denied(whoami(&s, Some(bad)).await);
    }
}

#[tokio::test]
async fn unknown_wrong_disabled_and_expired_keys_are_denied() {
    let s = stack(&[]).await;
    let unknown = format!("gk_{}_{}", "A".repeat(16), "b".repeat(43));
    assert_denied(whoami(&s, Some(unknown.as_bytes())).await);
    let wrong_secret = format!("{}{}", &s.key[..20], "Z".repeat(43));
    assert_denied(whoami(&s, Some(wrong_secret.as_bytes())).await);

    let now = gatehouse::primitives::time::now_epoch();
    let expired_soon = common::api_key(&s.store, None, Some(now + 1)).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_denied(whoami(&s, Some(expired_soon.as_bytes())).await);

    let new = gatehouse::credentials::apikey::generate("off", None, None, now).unwrap();
    let mut rec = new.record.clone();
    rec.disabled = true;
    gatehouse::credentials::apikey::ApiKeyStore::put_api_key(&s.store, &rec)
        .await
        .unwrap();
    assert_denied(
        whoami(
            &s,
            Some(gatehouse::credentials::apikey::reveal(&new.key).as_bytes()),
        )
        .await,
    );
}

#[tokio::test]
async fn oversized_header_is_rejected() {
    let s = stack(&[]).await;
    let big = format!("{}{}", s.key, "A".repeat(8 * 1024));
    assert_denied(whoami(&s, Some(big.as_bytes())).await);
    let huge = "A".repeat(12 * 1024);
    let (status, body) = whoami(&s, Some(huge.as_bytes())).await;
    assert_eq!(
        status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{body}"
    );
}

#[tokio::test]
async fn route_missing_from_the_rules_is_denied() {
    let rules = r#"[{"method":"GET","path":"/stats","principals":"any","scope":"data"}]"#;
    let s = stack(&[("ROUTE_RULES", rules)]).await;
    let (status, _) = whoami(&s, Some(s.key.as_bytes())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_route_is_404_without_the_authorizer() {
    let s = stack(&[]).await;
    let resp = s
        .http
        .get(format!("{}/nope", s.url))
        .header("x-api-key", &s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s
        .http
        .post(format!("{}/whoami", s.url))
        .header("x-api-key", &s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// The local gateway, as API Gateway with no `$default` or `{proxy+}` route, matches
/// routes exactly: alias spellings of `/display` get its own 404 before any authorizer
/// runs (without a credential too, where an authorizer would answer 401). The
/// authorizer's own handling of these spellings is in `authorizer_events`
/// (`data_credential_cannot_reach_client_routes_through_aliases`).
#[tokio::test]
async fn route_aliases_are_404_at_the_gateway_before_the_authorizer() {
    let s = stack(&[]).await;
    let data_key = common::api_key(&s.store, Some(&["data"]), None).await;
    for alias in [
        "/Display",
        "/display/",
        "/%64isplay",
        "/v1/display",
        "/DISPLAY/rules",
    ] {
        for key in [Some(data_key.as_str()), None] {
            let mut req = s.http.get(format!("{}{alias}", s.url));
            if let Some(k) = key {
                req = req.header("x-api-key", k);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{alias}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["message"], "Not Found", "{alias}");
        }
    }
    // The exact route reaches the authorizer, which refuses the `data` key.
    let resp = s
        .http
        .get(format!("{}/display", s.url))
        .header("x-api-key", &data_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn iam_response_mode_works_through_the_gateway() {
    let s = stack(&[("AUTHORIZER_RESPONSE", "iam")]).await;
    let (status, body) = whoami(&s, Some(s.key.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["principal_type"], "api_key");
    let wrong = format!("{}{}", &s.key[..20], "Z".repeat(43));
    assert_denied(whoami(&s, Some(wrong.as_bytes())).await);
}

#[tokio::test]
async fn dynamodb_unavailable_fails_closed() {
    let mut w = common::faults::Wiring::emulators().await;
    w.dynamodb = common::unreachable_dynamodb().await;
    let s = Stack::builder().api_key().via(w).start().await;
    let resp = common::http()
        .get(format!("{}/whoami", s.url))
        .header("x-api-key", s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"], "Internal Server Error");
}

#[tokio::test]
async fn cors_follows_the_allowed_origins() {
    let s = stack(&[]).await;
    let preflight = |origin: &str| {
        s.http
            .request(reqwest::Method::OPTIONS, format!("{}/whoami", s.url))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-api-key")
            .send()
    };
    // Preflights never reach the authorizer (no credential, yet 204).
    let ok = preflight("http://localhost:3001").await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3001"
    );
    assert_eq!(ok.headers()["access-control-allow-credentials"], "true");
    assert_eq!(ok.headers()["access-control-max-age"], "600");
    // The app id header of app-bearing rules may be sent cross-origin.
    let allowed = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(
        allowed.split(',').any(|h| h == "x-gatehouse-app-id"),
        "{allowed}"
    );
    let bad = preflight("https://evil.example").await.unwrap();
    assert!(bad.headers().get("access-control-allow-origin").is_none());

    let resp = s
        .http
        .get(format!("{}/whoami", s.url))
        .header("origin", "http://localhost:3001")
        .header("x-api-key", &s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://localhost:3001"
    );
    assert_ne!(resp.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let s = stack(&[]).await;
    let resp = s
        .http
        .get(format!("{}/whoami", s.url))
        .header("x-api-key", &s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}
