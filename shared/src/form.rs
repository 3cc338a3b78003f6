//! `POST /token` request parsing: `application/x-www-form-urlencoded` bodies and HTTP
//! Basic client credentials. Pure (no AWS types), so it is unit-tested and fuzzed
//! without the `aws` feature.

use base64::Engine;
use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::error::{Error, Result};
use crate::http::check_size;

/// A parsed `application/x-www-form-urlencoded` body.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The single value of `name`; repeated parameters are refused (RFC 6749 3.2).
    pub fn get(&self, name: &str) -> Result<Option<&str>> {
        let mut it = self.0.iter().filter(|(k, _)| k == name);
        match (it.next(), it.next()) {
            (Some(_), Some(_)) => Err(Error::bad_request(format!(
                "parameter `{name}` is repeated"
            ))),
            (Some((_, v)), None) => Ok(Some(v.as_str())),
            (None, _) => Ok(None),
        }
    }
}

/// Reads a form body: the right content type, at most 16 384 bytes, UTF-8.
pub fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Form> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        return Err(Error::bad_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    check_size(body.len())?;
    std::str::from_utf8(body).map_err(|_| Error::bad_request("body is not valid UTF-8"))?;
    Ok(Form(form_urlencoded::parse(body).into_owned().collect()))
}

/// HTTP Basic client credentials (RFC 6749 2.3.1: both parts form-urlencoded).
/// A malformed header is `invalid_client`.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    let bad = Error::InvalidClient { basic: true };
    if values.next().is_some() {
        return Err(Error::bad_request("Authorization header is repeated"));
    }
    let v = v
        .to_str()
        .map_err(|_| Error::InvalidClient { basic: true })?;
    let Some((scheme, b64)) = v.split_once(' ') else {
        return Err(bad);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Error::bad_request(
            "client authentication must use HTTP Basic or the form body",
        ));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::InvalidClient { basic: true })?;
    let text = String::from_utf8(raw).map_err(|_| Error::InvalidClient { basic: true })?;
    let (id, secret) = text
        .split_once(':')
        .ok_or(Error::InvalidClient { basic: true })?;
    let decode = |s: &str| -> String {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    #[test]
    fn forms_are_checked() {
        let ct = h(&[("content-type", "application/x-www-form-urlencoded")]);
        let f = read_form(&ct, b"grant_type=client_credentials&x=1&x=2").unwrap();
        assert_eq!(f.get("grant_type").unwrap(), Some("client_credentials"));
        assert!(f.get("x").is_err(), "repeated parameter");
        assert_eq!(f.get("y").unwrap(), None);
        assert_eq!(
            read_form(&h(&[("content-type", "application/json")]), b"{}")
                .err()
                .unwrap()
                .status(),
            400
        );
        assert_eq!(
            read_form(&ct, &vec![b'a'; 16_385]).err().unwrap().status(),
            413
        );
        assert!(read_form(&ct, &vec![b'a'; 16_384]).is_ok());
        assert_eq!(read_form(&ct, b"a=\xff").err().unwrap().status(), 400);
    }

    #[test]
    fn basic_credentials_are_decoded() {
        let enc = base64::engine::general_purpose::STANDARD.encode("1:s%3Acret");
        let got = basic_credentials(&h(&[("authorization", &format!("Basic {enc}"))])).unwrap();
        assert_eq!(got, Some(("1".into(), "s:cret".into())));
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
        for bad in ["Basic !!!", "Basic", "Basic Zm9v"] {
            assert_eq!(
                basic_credentials(&h(&[("authorization", bad)]))
                    .unwrap_err()
                    .code(),
                "invalid_client",
                "{bad}"
            );
        }
        assert_eq!(
            basic_credentials(&h(&[("authorization", "Bearer x")]))
                .unwrap_err()
                .code(),
            "invalid_request"
        );
    }
}
