//! The token function end to end through the local gateway: client credentials, host
//! authorization codes (with the Python example host), JWKS, metadata, and the issued
//! tokens at the authorizer.

use base64::Engine;
use gatehouse_e2e::{self as common, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RAW: &str = common::CLIENT_SECRET;
/// 31 hex characters: one short of the least a raw secret needs.
const WEAK: &str = "6a1f0c9e4b7d2a58c3e9f0b1d4a7c2e";
/// client_id 4's secret, stored as its sha256 entry.
const HASHED: &str = "correct horse battery staple";

/// client_id "1": raw hex (compatibility); "2": null; "3": "disabled"; "4": sha256 entry
/// of [`HASHED`]; "5": a weak raw secret ([`WEAK`], disabled).
fn clients() -> Value {
    let entry = gatehouse::credentials::clients::ClientList::hashed_entry(HASHED);
    json!([RAW, null, "disabled", entry, WEAK])
}

async fn stack(extra: &[(&str, &str)]) -> Stack {
    Stack::builder().clients(clients()).env(extra).start().await
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

#[tokio::test]
async fn client_credentials_by_basic_and_by_body() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let (status, headers, body) = s
        .token_with(
            &s.http,
            "grant_type=client_credentials&unknown=ignored",
            Some(&basic("1", RAW)),
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "data");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(headers["cache-control"], "no-store");
    let form = format!(
        "grant_type=client_credentials&client_id=4&client_secret={}",
        HASHED.replace(' ', "+")
    );
    let (status, _, body) = s.token(&form).await.parts();
    assert_eq!(status, StatusCode::OK, "sha256 entries work: {body}");

    // The access token at the authorizer: scope data.
    let token = body["access_token"].as_str().unwrap();
    let (status, _, who) = s.get_with_bearer("/whoami", token).await.parts();
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["principal_type"], "client");
    assert_eq!(who["client_id"], "4");
    assert_eq!(who["scopes"], "data");
    assert_eq!(
        s.get_with_bearer("/stats", token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        s.get_with_bearer("/display", token).await.status,
        StatusCode::FORBIDDEN,
        "display needs client"
    );
}

#[tokio::test]
async fn client_authentication_failures() {
    let s = stack(&[]).await;
    let raw = RAW.to_owned();
    for (id, secret) in [
        ("0", raw.as_str()),
        ("-1", &raw),
        ("abc", &raw),
        ("6", &raw),
        ("2", &raw),
        ("5", WEAK),
        ("3", "disabled"),
        ("1", ""),
        ("1", "00000000000000000000000000000000"),
    ] {
        let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
        let (status, headers, body) = s.token(&form).await.parts();
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "body {id}"
        );
        assert!(headers.get("www-authenticate").is_none());
        let (status, headers, body) = s
            .token_with(
                &s.http,
                "grant_type=client_credentials",
                Some(&basic(id, secret)),
            )
            .await
            .parts();
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "basic {id}"
        );
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
    // Basic credentials are each one form-encoded value: an unencoded `&` is part of
    // the id or the secret (it used to end them, so `<secret>&anything` signed in).
    for (id, secret) in [("1", format!("{raw}&x")), ("1&x", raw.clone())] {
        let (status, _, body) = s
            .token_with(
                &s.http,
                "grant_type=client_credentials",
                Some(&basic(id, &secret)),
            )
            .await
            .parts();
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "basic {id} with a trailing `&x`"
        );
    }
    // Basic and body disagreeing.
    let (status, _, body) = s
        .token_with(
            &s.http,
            "grant_type=client_credentials&client_id=4&client_secret=x",
            Some(&basic("1", &raw)),
        )
        .await
        .parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    // No client authentication at all.
    let (status, _, body) = s.token("grant_type=client_credentials").await.parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn malformed_token_requests() {
    let s = stack(&[]).await;
    let (status, _, body) = s.token("client_id=1").await.parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _, body) = s.token("grant_type=password").await.parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, _, body) = s
        .token("grant_type=client_credentials&grant_type=client_credentials")
        .await
        .parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let resp = s
        .http
        .post(format!("{}/token", s.url))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let big = format!("grant_type=client_credentials&pad={}", "a".repeat(16_384));
    assert_eq!(s.token(&big).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Code flow off (no AUTH_URL/JWK_URL).
    let (status, _, body) = s
        .token("grant_type=authorization_code&code=x")
        .await
        .parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let resp = s
        .http
        .post(format!("{}/authorize", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn empty_client_list_switches_the_grant_off() {
    let s = Stack::builder().clients(json!([])).start().await;
    let resp = common::http()
        .post(format!("{}/token", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id=1&client_secret={RAW}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn jwks_and_metadata_are_published() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let resp = s
        .http
        .get(format!("{}/.well-known/jwks.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cc = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert_eq!(cc, "public, max-age=300");
    let jwks: Value = resp.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.len() >= 2, "current and next");
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert_eq!(k["alg"], "RS256");
        assert!(k["kid"].is_string());
        assert!(k.get("d").is_none());
    }
    let meta = common::get_json(
        &s.http,
        &format!("{}/.well-known/oauth-authorization-server", s.url),
    )
    .await;
    assert_eq!(meta["issuer"], s.url);
    assert_eq!(meta["token_endpoint"], format!("{}/token", s.url));
    assert_eq!(meta["jwks_uri"], format!("{}/.well-known/jwks.json", s.url));
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
}

#[tokio::test]
async fn issuer_is_derived_from_the_domain_when_unset() {
    let s = stack(&[]).await;
    let token = s.client_token().await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let host = s.url.strip_prefix("http://").unwrap();
    assert_eq!(claims["iss"], format!("https://{host}"));
    assert_eq!(claims["aud"], "api");
    assert!(claims["jti"].is_string() && claims["iat"].is_number());
    assert_eq!(
        s.get_with_bearer("/stats", &token).await.status,
        StatusCode::OK,
        "the authorizer derives the same issuer"
    );
}

#[tokio::test]
async fn forged_bearer_tokens_are_denied() {
    let s = stack(&[]).await;
    let token = s.client_token().await;
    let parts: Vec<&str> = token.split('.').collect();
    let wider = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap()
        .replace("\"data\"", "\"data client\""),
    );
    let tampered = format!("{}.{wider}.{}", parts[0], parts[2]);
    assert_eq!(
        s.get_with_bearer("/display", &tampered).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.get_with_bearer("/stats", &format!("{}.{}.", parts[0], parts[1]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A token from another Gatehouse (another ring) is not ours.
    let other = stack(&[]).await;
    assert_eq!(
        s.get_with_bearer("/stats", &other.client_token().await)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.get_with_bearer("/stats", "not-a-jwt").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The code flow on, with the test host's codes.
async fn code_stack(extra: &[(&str, &str)]) -> Stack {
    Stack::builder()
        .clients(clients())
        .host()
        .env(extra)
        .start()
        .await
}

#[tokio::test]
async fn documented_host_flow_end_to_end() {
    let s = code_stack(&[]).await;
    let host = s.host();
    // Browser → POST /authorize → 307 to the host, query string kept.
    let resp = s
        .http
        .post(format!("{}/authorize?state=xyz", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/authorize?state=xyz", host.url));
    // The browser re-posts to the host, which answers with a code (exp only, no kid).
    let code: Value = s
        .http
        .post(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = code["code"].as_str().unwrap().to_owned();
    assert!(
        gatehouse::credentials::jwt::read_header(&code)
            .unwrap()
            .kid
            .is_none()
    );
    let form = format!("grant_type=authorization_code&code={code}");
    let (status, _, body) = s.token(&form).await.parts();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "client");
    let token = body["access_token"].as_str().unwrap();
    let (status, _, who) = s.get_with_bearer("/whoami", token).await.parts();
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(
        who["principal_type"], "host_user",
        "a code-flow token is never an OAuth client"
    );
    assert!(who.get("client_id").is_none(), "{who}");
    assert_eq!(
        s.get_with_bearer("/display", token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        s.get_with_bearer("/display/rules", token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        s.get_with_bearer("/stats", token).await.status,
        StatusCode::FORBIDDEN,
        "stats needs data"
    );
    // Replay.
    let (status, _, body) = s.token(&form).await.parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Signed by a key not in JWK_URL.
    let foreign = host
        .sign(
            json!({"exp": gatehouse::primitives::time::now_epoch() + 60}),
            json!({}),
            "other",
            false,
        )
        .await;
    let (status, _, body) = s
        .token(&format!("grant_type=authorization_code&code={foreign}"))
        .await
        .parts();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Metadata now lists the code flow.
    let meta = common::get_json(
        &s.http,
        &format!("{}/.well-known/oauth-authorization-server", s.url),
    )
    .await;
    assert_eq!(
        meta["grant_types_supported"],
        json!(["client_credentials", "authorization_code"])
    );
}

#[tokio::test]
async fn standard_libraries_accept_our_tokens_and_endpoint() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let token = s.client_token().await;
    let jwks_url = format!("{}/.well-known/jwks.json", s.url);
    let v = common::independent(&["verify", &jwks_url, &s.url, &token]).await;
    assert_eq!(v["sub"], "1");
    assert_eq!(v["scope"], "data");
    let o = common::independent(&["oauth", &format!("{}/token", s.url), "1", RAW]).await;
    for method in ["client_secret_basic", "client_secret_post"] {
        assert_eq!(o[method]["token_type"], "Bearer", "{o}");
        assert_eq!(o[method]["scope"], "data");
    }
}

fn client_form(id: &str, secret: &str) -> String {
    format!("grant_type=client_credentials&client_id={id}&client_secret={secret}")
}

/// A 429 of `/token`: RFC 6749 body with this error code, `Retry-After`, `no-store`.
fn assert_throttled(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    error: &str,
) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_description"], "too many failed attempts");
    assert_eq!(headers["cache-control"], "no-store");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_bad_client_secrets_from_one_ip_are_verified_at_most_the_limit_times() {
    let s = std::sync::Arc::new(
        stack(&[("TOKEN_IP_LIMIT", "5"), ("TOKEN_CLIENT_LIMIT", "1000")]).await,
    );
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.token(&client_form("1", &format!("{i:032x}"))).await })
        })
        .collect();
    let mut refused = 0;
    for t in tasks {
        let (status, headers, body) = t.await.unwrap().parts();
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(body["error"], "invalid_client");
            refused += 1;
        } else {
            assert_throttled(status, &headers, &body, "invalid_client");
        }
    }
    assert!(
        refused <= 5,
        "{refused} attempts were verified for a limit of 5"
    );
    // The source is refused for the window, the valid secret too; another source is not.
    let valid = client_form("1", RAW);
    let (status, headers, body) = s.token(&valid).await.parts();
    assert_throttled(status, &headers, &body, "invalid_client");
    let (status, _, body) = s.token_with(&s.other_ip, &valid, None).await.parts();
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_valid_client_under_a_per_client_attack_from_another_ip_still_gets_a_token() {
    let s = stack(&[("TOKEN_CLIENT_LIMIT", "3")]).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let (status, headers, body) = s
            .token_with(
                &s.other_ip,
                "grant_type=client_credentials",
                Some(&basic("1", &format!("{i:032x}"))),
            )
            .await
            .parts();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_throttled(status, &headers, &body, "invalid_client");
        }
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let valid = client_form("1", RAW);
    let (status, _, body) = s.token(&valid).await.parts();
    assert_eq!(status, StatusCode::OK, "from another IP: {body}");
    let (status, _, body) = s.token_with(&s.other_ip, &valid, None).await.parts();
    assert_eq!(status, StatusCode::OK, "and from the attacker's: {body}");
    // Another client is not affected; unknown client ids count per IP only.
    let (status, _, _) = s
        .token_with(&s.other_ip, &client_form("4", "wrong"), None)
        .await
        .parts();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = s
        .token_with(&s.other_ip, &client_form("99", "wrong"), None)
        .await
        .parts();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn successful_token_requests_give_their_slot_back_and_leave_no_counter() {
    let s = stack(&[("TOKEN_IP_LIMIT", "2")]).await;
    for _ in 0..6 {
        s.client_token().await;
    }
    // Bad input gives its slot back too.
    let (status, _, _) = s
        .token("grant_type=client_credentials&client_id=1&client_id=1")
        .await
        .parts();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let counters = s
        .store
        .client()
        .scan()
        .table_name(s.store.table())
        .send()
        .await
        .unwrap();
    assert_eq!(counters.items().len(), 0, "{:?}", counters.items());
    // Two failures fill the source's slots.
    for _ in 0..2 {
        let (status, _, _) = s.token(&client_form("1", "wrong")).await.parts();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = s.token(&client_form("1", RAW)).await.parts();
    assert_throttled(status, &headers, &body, "invalid_client");
}

#[tokio::test]
async fn code_failures_are_limited_per_ip_with_invalid_grant() {
    let s = code_stack(&[("TOKEN_IP_LIMIT", "2")]).await;
    let host = s.host();
    for _ in 0..2 {
        let (status, _, body) = s
            .token("grant_type=authorization_code&code=not-a-code")
            .await
            .parts();
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    let code = host.authorize().await;
    let form = format!("grant_type=authorization_code&code={code}");
    let (status, headers, body) = s.token(&form).await.parts();
    assert_throttled(status, &headers, &body, "invalid_grant");
    // The refused code was not spent: it works from another source.
    let (status, _, body) = s.token_with(&s.other_ip, &form, None).await.parts();
    assert_eq!(status, StatusCode::OK, "{body}");
}
