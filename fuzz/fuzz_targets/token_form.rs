//! `POST /token` inputs: the form body (content type, size, UTF-8, repeated
//! parameters), HTTP Basic client credentials, and client authentication against a
//! fixed `CLIENT_SECRETS` list. Input: `body \0 authorization \0 content-type` (empty
//! authorization = absent, empty content type = the form type).
#![no_main]

use std::sync::OnceLock;

use gatehouse::clients::ClientList;
use gatehouse::config::MAX_BODY_BYTES;
use gatehouse::form::{basic_credentials, read_form};
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

fuzz_target!(|data: &[u8]| {
    let p = gatehouse_fuzz::parts(data, 3);
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
