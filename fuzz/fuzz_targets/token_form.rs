//! `POST /token` inputs: the form body (content type, size, UTF-8, repeated
//! parameters, percent-decoding), HTTP Basic client credentials, and client
//! authentication against a fixed `CLIENT_SECRETS` list. Input:
//! `body \0 authorization \0 content-type` (empty authorization = absent, empty content
//! type = the form type). The body's text also feeds two decoding oracles: credentials
//! encoded by an independent encoder (`form_urlencoded`) decode to themselves, in Basic
//! and in a form; and Basic credentials sent unencoded, without `%` or `+`, come back
//! exactly as sent (an `&` or `=` is data, never a separator).
#![no_main]

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse::credentials::clients::ClientList;
use gatehouse::requests::body::MAX_BODY_BYTES;
use gatehouse::requests::form::{basic_credentials, read_form};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

const RAW_SECRET: &str = "0123456789abcdef0123456789abcdef";
const HASHED_SECRET: &str = "letmein-fuzz";

fn clients() -> &'static ClientList {
    static L: OnceLock<ClientList> = OnceLock::new();
    L.get_or_init(|| {
        let list = serde_json::json!([
            RAW_SECRET,
            ClientList::hashed_entry(HASHED_SECRET),
            null,
            "disabled"
        ]);
        ClientList::parse(&list.to_string()).unwrap()
    })
}

fn authenticate(id: &str, secret: &str) {
    if let Some(n) = clients().authenticate(id, secret) {
        assert_eq!(id, n.to_string(), "client id is canonical");
        match n {
            1 => assert_eq!(secret, RAW_SECRET),
            2 => assert_eq!(secret, HASHED_SECRET),
            _ => panic!("disabled client {n} authenticated"),
        }
    }
}

fn form_type() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    h
}

fn basic_of(user_pass: &str) -> Option<(String, String)> {
    let mut h = HeaderMap::new();
    let v = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(user_pass))).ok()?;
    h.insert(AUTHORIZATION, v);
    basic_credentials(&h).expect("well-formed Basic credentials decode")
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The decoding oracles over arbitrary text (see the module comment).
fn decoding_round_trips(text: &str) {
    let (id, secret) = text.split_once(':').unwrap_or((text, ""));
    let (eid, esecret) = (encode(id), encode(secret));
    assert_eq!(
        basic_of(&format!("{eid}:{esecret}")),
        Some((id.to_owned(), secret.to_owned())),
        "encoded Basic credentials decode to themselves"
    );
    let body = format!("client_id={eid}&client_secret={esecret}");
    if body.len() <= MAX_BODY_BYTES {
        let form = read_form(&form_type(), body.as_bytes()).expect("an encoded form parses");
        assert_eq!(form.get("client_id").unwrap(), Some(id));
        assert_eq!(form.get("client_secret").unwrap(), Some(secret));
    }
    if text.contains(':') && !text.contains(['%', '+']) {
        assert_eq!(
            basic_of(text),
            Some((id.to_owned(), secret.to_owned())),
            "unencoded Basic credentials come back as sent"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let p = gatehouse_fuzz::parts(data, 3);
    if let Ok(text) = std::str::from_utf8(p[0]) {
        decoding_round_trips(text);
    }
    let mut headers = HeaderMap::new();
    let ct = if p[2].is_empty() {
        &b"application/x-www-form-urlencoded"[..]
    } else {
        p[2]
    };
    if let Ok(v) = HeaderValue::from_bytes(ct) {
        headers.insert(CONTENT_TYPE, v);
    }
    if !p[1].is_empty()
        && let Ok(v) = HeaderValue::from_bytes(p[1])
    {
        headers.insert(AUTHORIZATION, v);
    }
    let basic = basic_credentials(&headers);
    if let Ok(Some((id, secret))) = &basic {
        authenticate(id, secret);
    }
    let Ok(form) = read_form(&headers, p[0]) else {
        return;
    };
    assert!(p[0].len() <= MAX_BODY_BYTES);
    assert!(std::str::from_utf8(p[0]).is_ok());
    for name in ["grant_type", "client_id", "client_secret", "code", "scope"] {
        let _ = form.get(name);
    }
    if let (Ok(Some(id)), Ok(secret)) = (form.get("client_id"), form.get("client_secret")) {
        authenticate(id, secret.unwrap_or(""));
    }
});
