//! The fake OpenID provider (tests/host/idp.py) proven on its own, before the relying
//! party trusts what it says: the code flow with PKCE S256, id_tokens checked here with
//! `jsonwebtoken` against its JWKS, and each test knob doing what it says. No emulators.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse::primitives::crypto::random_base62;
use gatehouse_e2e::idp::FakeIdp;
use gatehouse_e2e::{Answer, send};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Method, Url};
use serde_json::{Value, json};

const CLIENT: &str = "gatehouse-rp";
/// Characters RFC 6749 2.3.1's form-urlencoding changes, so Basic decoding is proven.
const SECRET: &str = "s3cr+t/with:odd=chars %";
const REDIRECT: &str = "https://api.example.test/sso/callback";

async fn provider() -> FakeIdp {
    let idp = FakeIdp::start();
    idp.register_client(CLIENT, SECRET, REDIRECT).await;
    idp
}

/// A PKCE verifier and its S256 challenge, BASE64URL(SHA256(verifier)).
fn pkce() -> (String, String) {
    let verifier = random_base62(64);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    (verifier, URL_SAFE_NO_PAD.encode(digest))
}

/// The authorization request a relying party sends (state and nonce when given).
fn authorization_url(
    idp: &FakeIdp,
    redirect: &str,
    challenge: &str,
    nonce: Option<&str>,
) -> String {
    let mut url = Url::parse(&idp.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid email profile")
        .append_pair("state", "state-123")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(n) = nonce {
        url.query_pairs_mut().append_pair("nonce", n);
    }
    url.into()
}

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Runs the authorization step; the code and its verifier.
async fn code(idp: &FakeIdp, nonce: Option<&str>) -> (String, String) {
    let (verifier, challenge) = pkce();
    let callback = idp
        .authorize(&authorization_url(idp, REDIRECT, &challenge, nonce))
        .await;
    assert!(callback.starts_with(&format!("{REDIRECT}?")), "{callback}");
    (query(&callback)["code"].clone(), verifier)
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.extend_pairs(pairs);
    f.finish().into_bytes()
}

/// client_secret_basic: each of id and secret form-urlencoded, then Base64 (RFC 6749 2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

async fn token_request(idp: &FakeIdp, headers: &[(&str, &str)], pairs: &[(&str, &str)]) -> Answer {
    let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    send(
        &gatehouse_e2e::http(),
        Method::POST,
        &idp.url("/token"),
        &h,
        Some(form(pairs)),
    )
    .await
}

/// Exchanges `code` with client_secret_basic.
async fn exchange(idp: &FakeIdp, code: &str, verifier: &str) -> Answer {
    let auth = basic(CLIENT, SECRET);
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token_request(idp, &[("authorization", &auth)], &pairs).await
}

/// A fresh code, exchanged: the id_token.
async fn id_token(idp: &FakeIdp) -> String {
    let (code, verifier) = code(idp, Some("nonce-abc")).await;
    let a = exchange(idp, &code, &verifier).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["id_token"].as_str().unwrap().to_owned()
}

/// Header, claims and signature of a compact JWS, unverified.
fn parts(jwt: &str) -> (Value, Value, String) {
    let p: Vec<&str> = jwt.split('.').collect();
    assert_eq!(p.len(), 3, "{jwt}");
    let json = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (json(p[0]), json(p[1]), p[2].to_owned())
}

fn validation(idp: &FakeIdp, alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&[CLIENT]);
    v.set_issuer(&[idp.issuer()]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

/// Verifies `jwt` with `alg` against the key its `kid` names in the provider's JWKS.
async fn verify(idp: &FakeIdp, jwt: &str, alg: Algorithm) -> jsonwebtoken::errors::Result<Value> {
    let set: JwkSet = serde_json::from_value(idp.jwks().await.body).unwrap();
    let kid = jsonwebtoken::decode_header(jwt)?.kid.expect("a kid");
    let jwk = set
        .find(&kid)
        .unwrap_or_else(|| panic!("{kid} in the JWKS"));
    let key = DecodingKey::from_jwk(jwk)?;
    Ok(jsonwebtoken::decode::<Value>(jwt, &key, &validation(idp, alg))?.claims)
}

#[tokio::test]
async fn discovery_names_the_endpoints_and_capabilities_a_relying_party_needs() {
    let idp = provider().await;
    let iss = idp.issuer();
    assert!(
        iss.starts_with("http://127.0.0.1:") && !iss.ends_with('/'),
        "{iss}"
    );
    let d = idp.discovery().await.body;
    assert_eq!(d["issuer"], iss.as_str());
    assert_eq!(d["authorization_endpoint"], format!("{iss}/authorize"));
    assert_eq!(d["token_endpoint"], format!("{iss}/token"));
    assert_eq!(d["jwks_uri"], format!("{iss}/jwks"));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    let methods = json!(["client_secret_basic", "client_secret_post"]);
    assert_eq!(d["token_endpoint_auth_methods_supported"], methods);
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let keys = idp.jwks().await.body["keys"].clone();
    let summary: Vec<_> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].clone(),
                k["kty"].clone(),
                k["use"].clone(),
                k["alg"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("rsa-1"), json!("RSA"), json!("sig"), json!("RS256")),
            (json!("ec-1"), json!("EC"), json!("sig"), json!("ES256")),
        ]
    );
    assert_eq!(keys[1]["crv"], "P-256");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(keys[0]["n"].as_str().unwrap())
            .unwrap()
            .len(),
        256
    );
    let s = idp.stats().await;
    assert_eq!(
        (s["discovery_fetches"].as_u64(), s["jwks_fetches"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_code_flow_with_pkce_and_basic_auth_yields_an_rs256_id_token_for_the_profile() {
    let idp = provider().await;
    let (verifier, challenge) = pkce();
    let callback = idp
        .authorize(&authorization_url(
            &idp,
            REDIRECT,
            &challenge,
            Some("nonce-abc"),
        ))
        .await;
    let q = query(&callback);
    assert_eq!(q["state"], "state-123");
    assert_eq!(q["iss"], idp.issuer());
    let a = exchange(&idp, &q["code"], &verifier).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(
        (a.body["token_type"].as_str(), a.body["expires_in"].as_u64()),
        (Some("Bearer"), Some(300))
    );
    assert!(a.body["access_token"].as_str().unwrap().len() >= 32);
    let jwt = a.body["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(jwt).unwrap().kid.as_deref(),
        Some("rsa-1")
    );
    let c = verify(&idp, jwt, Algorithm::RS256).await.unwrap();
    assert_eq!(c["aud"], CLIENT);
    assert_eq!(c["nonce"], "nonce-abc");
    assert_eq!(c["sub"], "fake-sub-0001");
    assert_eq!(
        (c["email"].as_str(), c["email_verified"].as_bool()),
        (Some("ada@example.com"), Some(true))
    );
    assert_eq!(
        (c["preferred_username"].as_str(), c["name"].as_str()),
        (Some("ada"), Some("Ada Lovelace"))
    );
    let now = gatehouse::primitives::time::now_epoch();
    assert!((c["iat"].as_i64().unwrap() - now).abs() <= 5);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    // The same verification refuses the token as ES256 or for another audience.
    assert!(verify(&idp, jwt, Algorithm::ES256).await.is_err());
    let s = idp.stats().await;
    assert_eq!(
        (s["token_requests"].as_u64(), s["last_token_auth"].as_str()),
        (Some(1), Some("basic"))
    );
}

#[tokio::test]
async fn control_switches_to_es256_a_new_profile_and_client_secret_post() {
    let idp = provider().await;
    let profile = json!({"sub": "other-sub", "name": "Grace", "email_verified": false, "extra": {"groups": ["a"]}});
    idp.control(json!({"token": {"alg": "ES256"}, "profile": profile}))
        .await;
    let (code, verifier) = code(&idp, None).await;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
        ("client_id", CLIENT),
        ("client_secret", SECRET),
    ];
    let a = token_request(&idp, &[], &pairs).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let jwt = a.body["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(jwt).unwrap().kid.as_deref(),
        Some("ec-1")
    );
    let c = verify(&idp, jwt, Algorithm::ES256).await.unwrap();
    assert_eq!(
        (c["sub"].as_str(), c["name"].as_str()),
        (Some("other-sub"), Some("Grace"))
    );
    assert_eq!(
        (c["email"].as_str(), c["email_verified"].as_bool()),
        (Some("ada@example.com"), Some(false))
    );
    assert_eq!(c["groups"], json!(["a"]));
    assert!(c.get("nonce").is_none(), "no nonce asked, none given");
    assert_eq!(idp.stats().await["last_token_auth"], "post");
}

#[tokio::test]
async fn a_code_is_single_use_and_bound_to_its_verifier_redirect_and_client() {
    let idp = provider().await;
    let (code1, verifier) = code(&idp, None).await;
    assert_eq!(exchange(&idp, &code1, &verifier).await.status, 200);
    let again = exchange(&idp, &code1, &verifier).await;
    assert_eq!(
        (again.status.as_u16(), again.body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (code2, _) = code(&idp, None).await;
    let (other_verifier, _) = pkce();
    let wrong = exchange(&idp, &code2, &other_verifier).await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (code3, verifier3) = code(&idp, None).await;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", &code3),
        ("redirect_uri", "https://api.example.test/other"),
        ("code_verifier", &verifier3),
    ];
    let auth = basic(CLIENT, SECRET);
    let a = token_request(&idp, &[("authorization", &auth)], &pairs).await;
    assert_eq!(
        (a.status.as_u16(), a.body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (code4, verifier4) = code(&idp, None).await;
    let bad = basic(CLIENT, "not-the-secret");
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", &code4),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier4),
    ];
    let a = token_request(&idp, &[("authorization", &bad)], &pairs).await;
    assert_eq!(
        (a.status.as_u16(), a.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn client_credentials_is_refused_as_unauthorized_client_and_counted() {
    let idp = provider().await;
    let auth = basic(CLIENT, SECRET);
    let a = token_request(
        &idp,
        &[("authorization", &auth)],
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let s = idp.stats().await;
    assert_eq!(
        (
            s["client_credentials_requests"].as_u64(),
            s["token_requests"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_unregistered_redirect_or_client_gets_a_page_and_no_redirect() {
    let idp = provider().await;
    let (_, challenge) = pkce();
    let other = idp
        .visit(&authorization_url(
            &idp,
            "https://evil.example/cb",
            &challenge,
            None,
        ))
        .await;
    assert_eq!(other.status, 400);
    assert!(other.headers.get("location").is_none());
    let url = authorization_url(&idp, REDIRECT, &challenge, None).replace(CLIENT, "unknown");
    assert_eq!(idp.visit(&url).await.status, 400);
}

#[tokio::test]
async fn pkce_s256_is_required_and_a_missing_state_stays_absent() {
    let idp = provider().await;
    let (_, challenge) = pkce();
    let url = authorization_url(&idp, REDIRECT, &challenge, None);
    let bare = url.replace("&state=state-123", "");
    let q = query(&idp.authorize(&bare).await);
    assert!(q.contains_key("code") && !q.contains_key("state"), "{q:?}");
    for refused in [
        url.replace("code_challenge_method=S256", "code_challenge_method=plain"),
        url.replace(&format!("&code_challenge={challenge}"), ""),
    ] {
        let q = query(&idp.authorize(&refused).await);
        assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
        assert!(!q.contains_key("code"), "{q:?}");
        assert_eq!(q["state"], "state-123");
    }
}

#[tokio::test]
async fn the_signing_knobs_make_what_they_say() {
    let idp = provider().await;
    idp.control(json!({"token": {"alg": "none"}})).await;
    let (h, c, sig) = parts(&id_token(&idp).await);
    assert_eq!(
        (h["alg"].as_str(), sig.as_str(), c["sub"].as_str()),
        (Some("none"), "", Some("fake-sub-0001"))
    );

    idp.control(json!({"token": {"alg": "HS256"}})).await;
    let jwt = id_token(&idp).await;
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::decode::<Value>(&jwt, &key, &validation(&idp, Algorithm::HS256)).unwrap();
    assert!(parts(&jwt).0.get("kid").is_none());

    idp.control(json!({"token": {"alg": "PS256"}})).await;
    verify(&idp, &id_token(&idp).await, Algorithm::PS256)
        .await
        .unwrap();

    // An unlisted key under a listed kid fails its signature; its own kid is unknown.
    idp.control(json!({"token": {"alg": "RS256", "key": "unlisted", "kid": "rsa-1"}}))
        .await;
    let err = verify(&idp, &id_token(&idp).await, Algorithm::RS256)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidSignature
    );
    idp.control(json!({"reset": true, "token": {"key": "unlisted"}}))
        .await;
    idp.register_client(CLIENT, SECRET, REDIRECT).await;
    assert_eq!(parts(&id_token(&idp).await).0["kid"], "unlisted-rsa");

    idp.control(json!({"reset": true, "token": {"kid": null, "header": {"typ": "at+jwt"}}}))
        .await;
    idp.register_client(CLIENT, SECRET, REDIRECT).await;
    let (h, _, _) = parts(&id_token(&idp).await);
    assert_eq!((h.get("kid"), h["typ"].as_str()), (None, Some("at+jwt")));

    let claims = json!({"nonce": null, "sub": null, "aud": ["other", CLIENT], "azp": "other"});
    idp.control(json!({"token": {"kid": "rsa-1", "claims": claims}}))
        .await;
    let jwt = id_token(&idp).await;
    let c = parts(&jwt).1;
    assert_eq!((c.get("nonce"), c.get("sub")), (None, None));
    assert_eq!(
        (c["aud"].clone(), c["azp"].as_str()),
        (json!(["other", CLIENT]), Some("other"))
    );
    let err = verify(&idp, &jwt, Algorithm::RS256).await.unwrap_err();
    assert!(
        matches!(err.kind(), jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(c) if c == "sub")
    );

    idp.control(json!({"token": {"id_token_missing": true}}))
        .await;
    let (code, verifier) = code(&idp, None).await;
    let a = exchange(&idp, &code, &verifier).await;
    assert_eq!((a.status.as_u16(), a.body.get("id_token")), (200, None));
}

#[tokio::test]
async fn the_jwks_knobs_serve_what_they_say() {
    let idp = provider().await;
    idp.control(json!({"jwks": "down"})).await;
    assert_eq!(idp.jwks().await.status, 503);
    idp.control(json!({"jwks": "garbage"})).await;
    let g = idp.jwks().await;
    assert!(g.status.is_success() && g.body.is_null(), "{}", g.text);
    idp.control(json!({"jwks": "enc_only"})).await;
    let keys = idp.jwks().await.body["keys"].clone();
    assert!(
        keys.as_array().unwrap().iter().all(|k| k["use"] == "enc"),
        "{keys}"
    );
    idp.control(json!({"jwks": "small_rsa"})).await;
    let keys = idp.jwks().await.body["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(keys[0]["n"].as_str().unwrap())
            .unwrap()
            .len(),
        128
    );
    let jwt = id_token(&idp).await;
    assert_eq!(parts(&jwt).0["kid"], "rsa-small");
    // aws-lc-rs (so jsonwebtoken) refuses a 1024-bit key; its legacy check proves the
    // token is the small key's.
    let err = verify(&idp, &jwt, Algorithm::RS256).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidSignature
    );
    let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let (n, e) = (b64(&keys[0]["n"]), b64(&keys[0]["e"]));
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let legacy = &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY;
    aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(legacy, signed.as_bytes(), &b64(&json!(sig)))
        .unwrap();
    assert_eq!(idp.stats().await["jwks_fetches"].as_u64(), Some(5));
}

#[tokio::test]
async fn rotate_replaces_the_rsa_key_and_new_tokens_use_it() {
    let idp = provider().await;
    let old = id_token(&idp).await;
    assert_eq!(
        idp.control(json!({"rotate": true})).await["rsa_kid"],
        "rsa-2"
    );
    let kids: Vec<Value> = idp.jwks().await.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, vec![json!("rsa-2"), json!("ec-1")]);
    let jwt = id_token(&idp).await;
    assert_eq!(parts(&jwt).0["kid"], "rsa-2");
    verify(&idp, &jwt, Algorithm::RS256).await.unwrap();
    assert_eq!(parts(&old).0["kid"], "rsa-1");
}

#[tokio::test]
async fn provider_faults_are_what_the_knobs_say_and_reset_restores_the_defaults() {
    let idp = provider().await;
    let over = json!({"issuer": "https://other.example", "jwks_uri": null});
    idp.control(
        json!({"discovery": over, "auth_methods": ["client_secret_post"], "iss_param": "omit"}),
    )
    .await;
    let d = idp.discovery().await.body;
    assert_eq!(
        (d["issuer"].as_str(), d.get("jwks_uri")),
        (Some("https://other.example"), None)
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post"])
    );
    let (_, challenge) = pkce();
    let url = authorization_url(&idp, REDIRECT, &challenge, None);
    let q = query(&idp.authorize(&url).await);
    assert!(q.contains_key("code") && !q.contains_key("iss"), "{q:?}");
    let (code, verifier) = code(&idp, None).await;
    let a = exchange(&idp, &code, &verifier).await;
    assert_eq!(
        (a.status.as_u16(), a.body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    idp.control(json!({"iss_param": "https://mix-up.example", "discovery_down": true, "token_endpoint": "down"})).await;
    assert_eq!(
        query(&idp.authorize(&url).await)["iss"],
        "https://mix-up.example"
    );
    assert_eq!(idp.discovery().await.status, 503);
    assert_eq!(exchange(&idp, "any", "any").await.status, 503);
    idp.control(json!({"token_endpoint": "error"})).await;
    let e = exchange(&idp, "any", "any").await;
    assert_eq!(
        (e.status.as_u16(), e.body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        e.body["error_description"]
            .as_str()
            .unwrap()
            .contains("<script>")
    );

    idp.control(json!({"reset": true})).await;
    let d = idp.discovery().await.body;
    assert_eq!(d["issuer"], idp.issuer().as_str());
    assert_eq!(
        idp.visit(&url).await.status,
        400,
        "reset forgets the clients"
    );
    let s = idp.stats().await;
    assert_eq!(
        (
            s["discovery_fetches"].as_u64(),
            s["token_requests"].as_u64()
        ),
        (Some(1), Some(0))
    );
}
