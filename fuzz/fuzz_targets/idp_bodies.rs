//! The identity-provider bodies of the admin API, read as the handlers read them
//! (`read_json`, then the strict body type) and checked as they check them: `POST
//! /admin/idps` (`IdpBody::new_provider`), `POST /admin/idps/update` (`IdpBody::apply`
//! over a stored provider) and `POST /admin/idps/test` (`TestIdp::target`), under the
//! outbound URL rule with and without the dev-only loopback flag. Input: selector byte,
//! then body.
#![no_main]

use gatehouse::credentials::idps::{Provisioning, valid_id};
use gatehouse::credentials::oidc::id_token::SUPPORTED_ALGS;
use gatehouse::credentials::oidc::url::OutboundRule;
use gatehouse::requests::body::read_json;
use gatehouse::requests::idps::{IdpBody, TestIdp};
use gatehouse::requests::widget::from_json;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let rule = OutboundRule {
        allow_insecure_loopback: selector & 0x80 != 0,
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let Ok(v) = read_json::<Value>(&headers, body) else {
        return;
    };
    if selector % 2 == 1 {
        if let Ok(t) = from_json::<TestIdp>(v) {
            if let Err(e) = t.target(&rule) {
                assert_eq!(e.status(), 400);
            }
        }
        return;
    }
    let Ok(b) = from_json::<IdpBody>(v) else {
        return;
    };
    match b.new_provider(&rule, "fuzz", 1) {
        Ok((p, secret)) => {
            assert!(valid_id(&p.id));
            assert!(p.scopes.iter().any(|s| s == "openid"));
            assert!(!p.allowed_algs.is_empty());
            assert!(
                p.allowed_algs
                    .iter()
                    .all(|a| SUPPORTED_ALGS.contains(&a.as_str()))
            );
            assert_eq!(p.provisioning, Provisioning::ExistingOnly);
            assert_eq!(
                rule.issuer(&p.issuer).ok().as_ref(),
                Some(&p.issuer),
                "the stored issuer passes the rule"
            );
            assert!(secret.expose_secret().ends_with(&p.client_secret_last4));
            // An update with the same body over it is accepted and changes nothing named.
            let again = b
                .apply(&p, &rule, "fuzz", 2)
                .expect("a body that adds also updates");
            assert_eq!((again.issuer, again.scopes), (p.issuer, p.scopes));
        }
        Err(e) => {
            assert_eq!(e.status(), 400);
            if let Some(s) = &b.client_secret {
                let s = s.expose_secret();
                assert!(
                    s.len() < 8 || !e.to_string().contains(s),
                    "the secret was echoed"
                );
            }
        }
    }
});
