//! Authorizer events (HTTP API 2.0, REST TOKEN, REST REQUEST) through the whole
//! authorizer: event parsing, credential classification, API-key, bearer-token and
//! session-cookie verification against in-memory fixtures, route rules and the
//! response shape. Invariant: an Allow only ever answers a valid credential.
#![no_main]

use std::sync::OnceLock;

use gatehouse::authz::{Credential, classify};
use gatehouse::credentials::jwt::{AUD_API, AUD_WIDGET, Expect, read_header, verify_issued};
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::requests::event::parse_event;
use gatehouse_fuzz::{
    API_KEY, FixedSecrets, ISSUER, MemStore, ORIGIN, SESSION_ID, config, loaded_ring, runtime,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn authorizer() -> &'static Authorizer<MemStore, FixedSecrets> {
    static A: OnceLock<Authorizer<MemStore, FixedSecrets>> = OnceLock::new();
    A.get_or_init(|| Authorizer::new(&config(), MemStore, FixedSecrets))
}

fn allowed(answer: &Value) -> bool {
    answer["isAuthorized"] == Value::Bool(true)
        || answer
            .pointer("/policyDocument/Statement")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|st| st["Effect"] == "Allow"))
}

fn valid_bearer(token: &str, now: i64) -> bool {
    let ring = loaded_ring();
    let Ok(h) = read_header(token) else {
        return false;
    };
    let Some(key) = h.kid.as_deref().and_then(|k| ring.verifiers.get(k)) else {
        return false;
    };
    let expect = Expect {
        issuer: ISSUER,
        audiences: &[AUD_API, AUD_WIDGET],
        now,
    };
    verify_issued(token, &h, key, &expect).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let parsed = parse_event(event.clone());
    let now = gatehouse::primitives::time::now_epoch();
    let answer = runtime().block_on(authorizer().handle(event));
    let Ok(answer) = answer else { return };
    if !allowed(&answer) {
        return;
    }
    let input = parsed.expect("an allowed event parses");
    assert!(!input.duplicated_credential);
    match classify(
        input.api_key.as_deref(),
        input.authorization.as_deref(),
        &input.cookies,
    ) {
        Ok(Credential::ApiKey(k)) => assert_eq!(k, API_KEY),
        Ok(Credential::Bearer(t)) => assert!(valid_bearer(t, now), "allowed with a bad token"),
        // The store holds a widget session and no user session: with both cookies, only
        // a rule that takes the widget cookie can allow.
        Ok(Credential::SessionCookie(s) | Credential::BothCookies { widget: s, .. }) => {
            assert_eq!(s, SESSION_ID);
            assert!(
                input
                    .origin
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(ORIGIN))
            );
        }
        Ok(Credential::UserCookie(_)) => panic!("allowed with a user session nobody opened"),
        Err(r) => panic!("allowed without a credential: {r:?}"),
    }
});
