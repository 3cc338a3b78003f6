//! The sign-up's bodies, read as the handlers read them (`read_json`, then the strict
//! body type) and validated as they validate: `POST /users/signup` (its fields and the
//! password's context words), `POST /users/verify-email`, the password reset's `POST
//! /users/password/forgot` and `POST /users/password/reset`, and the domains an
//! administrator's sign-up settings admit (`parse_domain`, and `SignupSettings::admits`
//! on the parsed address). Input: route selector byte, then body (or raw domain text).
#![no_main]

use gatehouse::credentials::users::settings::{
    MAX_DOMAINS, SignupMode, SignupSettings, parse_domain,
};
use gatehouse::requests::body::read_json;
use gatehouse::requests::settings::SetSignup;
use gatehouse::requests::signup::{ForgotPassword, ResetPassword, Signup, VerifyEmail};
use gatehouse::requests::widget::from_json;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    if route % 6 == 2 {
        domain(body);
        return;
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let Ok(v) = read_json::<Value>(&headers, body) else {
        return;
    };
    if route % 6 == 4 {
        forgot(v);
        return;
    }
    if route % 6 == 5 {
        if let Ok(b) = from_json::<ResetPassword>(v) {
            let _ = (
                b.token.expose_secret().len(),
                b.new_password.expose_secret().len(),
            );
        }
        return;
    }
    if route % 6 == 3 {
        let Ok(b) = from_json::<SetSignup>(v) else {
            return;
        };
        match b.checked() {
            Ok(s) => {
                assert!(s.allowed_domains.len() <= MAX_DOMAINS);
                for d in &s.allowed_domains {
                    assert_eq!(
                        parse_domain(d).ok().as_ref(),
                        Some(d),
                        "stored domains parse"
                    );
                }
                let mut sorted = s.allowed_domains.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted.len(), s.allowed_domains.len(), "no repeats");
                assert!(s.mode != SignupMode::Domain || !s.allowed_domains.is_empty());
            }
            Err(e) => assert_eq!(e.status(), 400),
        }
    } else if route % 6 == 0 {
        let Ok(b) = from_json::<Signup>(v) else {
            return;
        };
        match b.fields() {
            Ok(f) => {
                assert_eq!(f.email.key(), f.email.key().to_lowercase());
                assert_eq!(f.email.key().matches('@').count(), 1);
                if let Some(u) = &f.username {
                    assert!((3..=64).contains(&u.as_str().len()));
                }
                if let Some(d) = &f.display_name {
                    assert!(!d.chars().any(char::is_control));
                }
                let _ = f.context_words();
            }
            Err(e) => {
                assert_eq!(e.status(), 400);
                let pw = b.password.expose_secret();
                assert!(
                    pw.len() < 4 || !e.to_string().contains(pw),
                    "password echoed"
                );
            }
        }
    } else if let Ok(b) = from_json::<VerifyEmail>(v) {
        let _ = b.token.expose_secret().len();
    }
});

/// A reset request's address: accepted ⇒ the lower-cased key with one `@`; refused ⇒
/// a 400.
fn forgot(v: Value) {
    let Ok(b) = from_json::<ForgotPassword>(v) else {
        return;
    };
    match b.email() {
        Ok(e) => {
            assert_eq!(e.key(), e.key().to_lowercase());
            assert_eq!(e.key().matches('@').count(), 1);
        }
        Err(e) => assert_eq!(e.status(), 400),
    }
}

/// A domain as an administrator enters it: accepted ⇒ lower case, dotted, at most 253
/// bytes; an address in it is admitted and one in a subdomain is not.
fn domain(raw: &[u8]) {
    let Ok(text) = std::str::from_utf8(raw) else {
        return;
    };
    let Ok(d) = parse_domain(text) else {
        return;
    };
    assert_eq!(d, d.to_ascii_lowercase());
    assert!(d.len() <= 253 && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
    let mut s = SignupSettings::defaults(SignupMode::Domain);
    s.allowed_domains = vec![d.clone()];
    let inside = gatehouse::requests::users::Email::parse(&format!("a@{d}"));
    if let Ok(e) = inside {
        assert!(s.admits(&e).is_ok());
    }
    if let Ok(e) = gatehouse::requests::users::Email::parse(&format!("a@x.{d}")) {
        assert!(s.admits(&e).is_err(), "a subdomain is not the domain");
    }
}
