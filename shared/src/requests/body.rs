//! Request bodies: the size limit and JSON bodies.

use http::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Largest request body read, in bytes: 413 above it (docs/SECURITY.md, bad input).
pub const MAX_BODY_BYTES: usize = 16_384;

/// A route's strict body of type `T`: [`read_json`] first (content type, size, UTF-8,
/// JSON), then the type, naming the offending field (`from_json`).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T> {
    crate::requests::widget::from_json(read_json(headers, body)?)
}

/// Parses a JSON body: `Content-Type: application/json`, at most [`MAX_BODY_BYTES`],
/// UTF-8, and the shape of `T` (use `deny_unknown_fields` on security-relevant bodies).
pub fn read_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(Error::UnsupportedMediaType("application/json"));
    }
    check_size(body.len())?;
    let text =
        std::str::from_utf8(body).map_err(|_| Error::bad_request("body is not valid UTF-8"))?;
    serde_json::from_str(text).map_err(|e| Error::bad_request(format!("invalid JSON body: {e}")))
}

/// Bodies over [`MAX_BODY_BYTES`] get 413; exactly that many are read.
pub(crate) fn check_size(len: usize) -> Result<()> {
    if len > MAX_BODY_BYTES {
        Err(Error::PayloadTooLarge(MAX_BODY_BYTES))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    fn status_of(r: Result<Body>) -> u16 {
        r.err().map(|e| e.status().as_u16()).unwrap_or(200)
    }

    #[test]
    fn json_bodies_are_checked() {
        let j = headers("application/json; charset=utf-8");
        assert_eq!(status_of(read_json(&j, br#"{"name":"a"}"#)), 200);
        assert_eq!(
            status_of(read_json(&headers("text/plain"), br#"{"name":"a"}"#)),
            415
        );
        assert_eq!(
            status_of(read_json(&HeaderMap::new(), br#"{"name":"a"}"#)),
            415
        );
        assert_eq!(status_of(read_json(&j, b"{")), 400);
        assert_eq!(status_of(read_json(&j, br#"{"name":"a","x":1}"#)), 400);
        assert_eq!(status_of(read_json(&j, br#"{}"#)), 400);
        assert_eq!(status_of(read_json(&j, b"{\"name\":\"\xff\"}")), 400);
    }

    #[test]
    fn size_limit_is_inclusive() {
        let j = headers("application/json");
        let pad = |n: usize| {
            let base = r#"{"name":""}"#.len();
            format!(r#"{{"name":"{}"}}"#, "a".repeat(n - base))
        };
        assert_eq!(
            status_of(read_json(&j, pad(MAX_BODY_BYTES).as_bytes())),
            200
        );
        assert_eq!(
            status_of(read_json(&j, pad(MAX_BODY_BYTES + 1).as_bytes())),
            413
        );
    }
}
