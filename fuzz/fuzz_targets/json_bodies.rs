//! JSON bodies of every JSON route, read as the handlers read them (`read_json`: type,
//! size, UTF-8, then the route's strict body type) and validated as they validate:
//! widget `generateToken`, `loginToken`, `login/token` (ids, permissions, origins,
//! `expiresIn`), admin sign-in (submitted keys, or a presigned STS request checked by
//! `check_presigned`, strictly: canonical signature and credential, allow-listed headers) and the admin API bodies, and the users' sign-in body (the identifier's normal form). Input:
//! route selector byte, then body.
#![no_main]

use gatehouse::authz::AllowedOrigins;
use gatehouse::authz::Scope;
use gatehouse::credentials::admin::valid_user_name;
use gatehouse::credentials::apikey;
use gatehouse::requests::admin::{
    ClientId, KeyId, NewKey, RevokeSession, RevokeUser, Rotate, SigninRequest,
};
use gatehouse::requests::body::MAX_BODY_BYTES;
use gatehouse::requests::body::read_json;
use gatehouse::requests::presign::{check_presigned, forwarded_headers};
use gatehouse::requests::users::{Identifier, MAX_EMAIL_LEN, UserSigninRequest};
use gatehouse::requests::widget::{
    LoginTokenRequest, SecurityTokenRequest, TempTokenRequest, from_json, parse_duration,
};
use gatehouse_fuzz::{NOW, ORIGIN};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const STS: &str = "https://sts.amazonaws.com";

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    let Ok(v) = read_json::<Value>(&headers, body) else {
        return;
    };
    assert!(body.len() <= MAX_BODY_BYTES);
    match route % 11 {
        0 => {
            if let Ok(r) = from_json::<TempTokenRequest>(v) {
                if r.validate().is_ok() {
                    assert!(!r.userid.is_empty() && r.userid.len() <= 256);
                }
                if let Some(t) = &r.expiration_time {
                    let _ = parse_duration(t, "expirationTime", 600);
                }
            }
        }
        1 => {
            let _ = from_json::<LoginTokenRequest>(v)
                .map(|r| gatehouse::requests::widget::is_opaque_token(&r.token));
        }
        2 => {
            if let Ok(r) = from_json::<SecurityTokenRequest>(v) {
                let _ = r.validate();
                if let Some(t) = &r.expires_in
                    && let Ok(s) = parse_duration(t, "expiresIn", 86_400)
                {
                    assert!(s > 0 && s <= 86_400);
                }
                let allowed = AllowedOrigins::parse([ORIGIN]).expect("a valid origin");
                if let Ok(origins) = allowed.bind(r.origins.as_deref()) {
                    assert!(!origins.is_empty() && origins.iter().all(|o| o == ORIGIN));
                }
            }
        }
        3 => match SigninRequest::parse(v) {
            Ok(SigninRequest::Presigned { presigned }) => {
                if let Ok(checked) = check_presigned(&presigned, STS, "fuzz-server", NOW) {
                    assert!(presigned.url.starts_with(STS), "{}", presigned.url);
                    let m = presigned.method.to_ascii_uppercase();
                    assert!(m == "GET" || m == "POST");
                    // Canonical values only: a lower-case hex signature, an STS credential.
                    assert_eq!(checked.signature.len(), 64);
                    assert!(
                        checked
                            .signature
                            .bytes()
                            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                    );
                    assert!(checked.credential.ends_with("/sts/aws4_request"));
                    assert_eq!(checked.redemption_key().len(), 64);
                    // Only the allow-list is forwarded.
                    for (name, _) in forwarded_headers(&presigned) {
                        let n = name.to_ascii_lowercase();
                        assert!(
                            n.starts_with("x-gatehouse-")
                                || [
                                    "authorization",
                                    "x-amz-date",
                                    "x-amz-security-token",
                                    "x-amz-content-sha256",
                                    "content-type"
                                ]
                                .contains(&n.as_str()),
                            "{n}"
                        );
                    }
                }
            }
            Ok(SigninRequest::Keys {
                user_name,
                access_key_id,
                ..
            }) => {
                let _ = valid_user_name(&user_name);
                // Accepted keys can go into a signed header unchanged.
                assert!((16..=128).contains(&access_key_id.len()));
                assert!(
                    access_key_id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                );
            }
            Err(e) => assert_eq!(e.status(), 400),
        },
        4 => {
            if let Ok(b) = from_json::<NewKey>(v)
                && let Ok(k) = apikey::generate(&b.name, b.scopes, b.expires_at, NOW)
            {
                assert!(k.record.scopes.iter().all(|s| Scope::parse(s).is_some()));
                assert!(!k.record.scopes.is_empty());
                assert!(k.record.expires_at.is_none_or(|e| e > NOW));
                assert!(apikey::parse(apikey::reveal(&k.key)).is_ok());
            }
        }
        5 => drop(from_json::<KeyId>(v)),
        6 => drop(from_json::<ClientId>(v)),
        7 => drop(from_json::<RevokeSession>(v)),
        8 => drop(from_json::<RevokeUser>(v)),
        9 => drop(from_json::<Rotate>(v)),
        _ => {
            if let Ok(b) = from_json::<UserSigninRequest>(v)
                && let Ok(id) = b.identifier()
            {
                let key = id.counter_key();
                match id {
                    Identifier::Username(u) => {
                        assert!((3..=64).contains(&u.as_str().len()));
                        assert_eq!(key, format!("u:{}", u.as_str()));
                    }
                    Identifier::Email(e) => {
                        assert!(e.key().len() <= 2 * MAX_EMAIL_LEN && e.key().contains('@'));
                        assert_eq!(e.key(), e.key().to_lowercase());
                    }
                }
            }
        }
    }
});
