//! Writes the fixture key ring and the seed corpora (run by hand, results committed):
//!   cargo test --manifest-path fuzz/Cargo.toml --lib -- --ignored write_keyring
//!   cargo test --manifest-path fuzz/Cargo.toml --lib -- --ignored write_seeds

use std::path::PathBuf;

use gatehouse::credentials::jwt::{AUD_API, AUD_WIDGET, Claims, issue};
use gatehouse::credentials::keys::{KeyRing, SigningAlg, generate_key};
use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;

fn dir(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn seed(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let d = dir(&format!("corpus/{target}"));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), data).unwrap();
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&[SEP][..])
}

#[test]
#[ignore]
fn write_keyring() {
    let ring = KeyRing {
        current: generate_key(SigningAlg::ES256, 0).unwrap(),
        next: generate_key(SigningAlg::RS256, 0).unwrap(),
        previous: Some(generate_key(SigningAlg::RS256, 0).unwrap()),
        rotated_at: 0,
        derived_from: None,
    };
    std::fs::write(dir("fixtures/keyring.json"), ring.to_json()).unwrap();
}

fn token(aud: &str, origins: Option<Vec<String>>) -> String {
    let mut c = Claims::new(ISSUER, aud, "fuzz-sub", "data client", 0, FAR);
    c.iat = 1_700_000_000;
    c.exp = FAR;
    c.origins = origins;
    c.client_id = Some("1".into());
    issue(loaded_ring(), &c).unwrap()
}

#[test]
#[ignore]
fn write_seeds() {
    let ring = loaded_ring();
    let kid = ring.signer_kid.clone();
    let rs_kid = key_ring().next.kid.clone();
    let access = token(AUD_API, None);
    let widget = token(AUD_WIDGET, Some(vec![ORIGIN.into()]));

    // jwt_verify: mode 0 = raw token; mode 1 = header \0 payload, signed by the target
    // (time claims are offsets from now).
    let raw = |t: &str| [&[0u8][..], t.as_bytes()].concat();
    seed("jwt_verify", "access", raw(&access));
    seed("jwt_verify", "widget", raw(&widget));
    seed("jwt_verify", "garbage", raw("eyJhbGciOiJub25lIn0.e30."));
    let signed = |h: serde_json::Value, p: serde_json::Value| {
        [
            &[1u8][..],
            &join(&[h.to_string().as_bytes(), p.to_string().as_bytes()]),
        ]
        .concat()
    };
    let claims = json!({"iss": ISSUER, "aud": "api", "sub": "s", "iat": 0, "exp": 600, "jti": "j", "scope": "data"});
    seed(
        "jwt_verify",
        "signed",
        signed(
            json!({"alg": "ES256", "kid": kid, "typ": "JWT"}),
            claims.clone(),
        ),
    );
    seed(
        "jwt_verify",
        "signed-rs-kid",
        signed(json!({"alg": "RS256", "kid": rs_kid}), claims.clone()),
    );
    seed(
        "jwt_verify",
        "signed-crit",
        signed(
            json!({"alg": "ES256", "kid": kid, "crit": ["x"]}),
            claims.clone(),
        ),
    );
    seed(
        "jwt_verify",
        "signed-widget",
        signed(
            json!({"alg": "ES256", "kid": kid}),
            json!({"iss": ISSUER, "aud": ["widget"], "sub": "s", "iat": 0, "nbf": 10, "exp": 600, "jti": "j", "scope": "client", "origins": [ORIGIN], "permissions": [{"dataset_id": "d"}]}),
        ),
    );

    // host_code: mode 0 = jwks \0 code; mode 1 = jwks \0 header \0 payload (signed by
    // the host key in the target; time claims are offsets). An empty jwks = the host's.
    let jwks = host_jwks().to_string();
    let host_kid = key_ring().previous.as_ref().unwrap().kid.clone();
    let code = sign_jws(
        json!({"alg": "RS256", "kid": host_kid})
            .to_string()
            .as_bytes(),
        json!({"exp": FAR, "sub": "user"}).to_string().as_bytes(),
        &host_ring().signer,
        Algorithm::RS256,
    );
    seed(
        "host_code",
        "raw",
        [&[0u8][..], &join(&[jwks.as_bytes(), code.as_bytes()])].concat(),
    );
    seed(
        "host_code",
        "raw-default-jwks",
        [&[0u8][..], &join(&[b"", code.as_bytes()])].concat(),
    );
    let single = host_jwks()["keys"][0].to_string();
    seed(
        "host_code",
        "single-jwk",
        [&[2u8][..], &join(&[single.as_bytes(), b"x.y.z"])].concat(),
    );
    let hc = |mode: u8, h: serde_json::Value, p: serde_json::Value| {
        [
            &[mode][..],
            &join(&[b"", h.to_string().as_bytes(), p.to_string().as_bytes()]),
        ]
        .concat()
    };
    seed(
        "host_code",
        "signed-kid",
        hc(
            1,
            json!({"alg": "RS256", "kid": host_kid}),
            json!({"exp": 60, "iat": 0, "jti": "a"}),
        ),
    );
    seed(
        "host_code",
        "signed-nokid",
        hc(1, json!({"alg": "RS256"}), json!({"exp": 60})),
    );
    seed(
        "host_code",
        "signed-iss-aud",
        hc(
            3,
            json!({"alg": "RS256", "typ": "JWT"}),
            json!({"exp": 60, "nbf": -5, "iss": "https://host.example", "aud": "gatehouse"}),
        ),
    );

    // apikey: the key string.
    seed("apikey", "valid", API_KEY);
    seed("apikey", "wrong-secret", API_KEY.replace('G', "H"));
    seed("apikey", "short", "gk_abc_def");

    // cookies: authorization \0 cookie header \0 cookie header ...
    let sc = format!("theme=dark; __Host-gh_session={SESSION_ID}");
    seed("cookies", "session", join(&[b"", sc.as_bytes()]));
    seed(
        "cookies",
        "two-headers",
        join(&[b"", b"a=1", sc.as_bytes(), b"__Host-gh_admin=xyz"]),
    );
    seed(
        "cookies",
        "bearer",
        join(&[format!("Bearer {access}").as_bytes(), b"x=y"]),
    );

    // token_form: body \0 authorization \0 content-type
    seed(
        "token_form",
        "client-body",
        "grant_type=client_credentials&client_id=1&client_secret=0123456789abcdef0123456789abcdef",
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("2:letmein%2Dfuzz");
    seed(
        "token_form",
        "client-basic",
        join(&[
            b"grant_type=client_credentials",
            format!("Basic {basic}").as_bytes(),
        ]),
    );
    seed(
        "token_form",
        "code",
        join(&[
            format!("grant_type=authorization_code&code={code}").as_bytes(),
            b"",
            b"application/x-www-form-urlencoded; charset=utf-8",
        ]),
    );

    // json_bodies: route selector byte, then the body.
    let bodies: [(u8, &str, serde_json::Value); 10] = [
        (
            0,
            "generate-token",
            json!({"userid": "u1", "expirationTime": "10m", "appid": "a", "clientid": "c", "orgId": "o"}),
        ),
        (1, "login-token", json!({"token": SESSION_ID})),
        (
            2,
            "security-token",
            json!({"userid": "u1", "appid": "a1", "expiresIn": "1h", "origins": [ORIGIN],
            "permissions": [{"dataset_id": "d1", "operator": "AND", "record_permissions": [
                {"security_name": "region", "validation_type": "EQUAL", "values": ["EU", 3, true]}]}],
            "asset_permissions": {"dashboards": {"ids": ["x"]}}}),
        ),
        (
            3,
            "signin-presigned",
            json!({"presigned": {"method": "POST", "url": "https://sts.amazonaws.com/",
            "headers": {"host": "sts.amazonaws.com", "x-gatehouse-server-id": "fuzz-server", "x-gatehouse-nonce": "0123456789abcdef",
                "x-amz-date": "20270115T080000Z",
                "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20270115/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-gatehouse-nonce;x-gatehouse-server-id, Signature=5e11ab1e5e11ab1e5e11ab1e5e11ab1e5e11ab1e5e11ab1e5e11ab1e5e11ab1e"},
            "body": "Action=GetCallerIdentity&Version=2011-06-15"}}),
        ),
        (
            4,
            "new-key",
            json!({"name": "k", "scopes": ["data"], "expires_at": 1_900_000_000}),
        ),
        (5, "key-id", json!({"id": "Fuzz0Fixture0Key"})),
        (6, "client-id", json!({"client_id": 2})),
        (
            7,
            "revoke-session",
            json!({"kind": "widget", "id_hash": "00ff"}),
        ),
        (8, "revoke-user", json!({"userid": "u1"})),
        (9, "rotate", json!({"force": true})),
    ];
    for (sel, name, body) in bodies {
        seed(
            "json_bodies",
            name,
            [&[sel][..], body.to_string().as_bytes()].concat(),
        );
    }
    seed("json_bodies", "signin-keys", [&[3u8][..], br#"{"userName":"alice","accessKeyId":"AKIA","secretAccessKey":"s","sessionToken":"t"}"#].concat());

    // expires_in: a JSON value or a bare string.
    for (name, v) in [
        ("secs", "90s"),
        ("mins", "10m"),
        ("hours", "12h"),
        ("day", "1d"),
        ("number", "3600"),
        ("string", "\"3600\""),
        ("neg", "-5"),
    ] {
        seed("expires_in", name, v);
    }

    // authorizer_event: the API Gateway fixtures with each credential type.
    let fixture =
        |name: &str| std::fs::read_to_string(dir(&format!("../tests/fixtures/{name}"))).unwrap();
    seed(
        "authorizer_event",
        "v2-apikey",
        fixture("http-v2-request.json").replace("__KEY__", API_KEY),
    );
    seed(
        "authorizer_event",
        "rest-request-apikey",
        fixture("rest-request.json").replace("__KEY__", API_KEY),
    );
    seed(
        "authorizer_event",
        "rest-token-apikey",
        fixture("rest-token.json").replace("__KEY__", API_KEY),
    );
    seed(
        "authorizer_event",
        "rest-token-bearer",
        fixture("rest-token.json").replace("__KEY__", &format!("Bearer {access}")),
    );
    let mut v2: serde_json::Value = serde_json::from_str(&fixture("http-v2-request.json")).unwrap();
    let h = v2["headers"].as_object_mut().unwrap();
    h.remove("x-api-key");
    h.insert("authorization".into(), json!(format!("Bearer {widget}")));
    h.insert("origin".into(), json!(ORIGIN));
    seed("authorizer_event", "v2-widget-token", v2.to_string());
    v2["headers"]
        .as_object_mut()
        .unwrap()
        .remove("authorization");
    v2["cookies"] = json!([format!("__Host-gh_session={SESSION_ID}")]);
    seed("authorizer_event", "v2-session-cookie", v2.to_string());
}
