//! `POST /token` request parsing: `application/x-www-form-urlencoded` bodies and HTTP
//! Basic client credentials. Pure (no AWS types), so it is unit-tested and fuzzed
//! without the `aws` feature.

use base64::Engine;
use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::error::{Error, Result};
use crate::primitives::headers::{NotSingle, single, single_value};
use crate::requests::body::check_size;

/// A parsed `application/x-www-form-urlencoded` body.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The single value of `name`; repeated parameters are refused (RFC 6749 3.2).
    pub fn get(&self, name: &str) -> Result<Option<&str>> {
        single(
            self.0
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str()),
        )
        .map_err(|_| Error::bad_request(format!("parameter `{name}` is repeated")))
    }
}

/// The `POST /token` parameters Gatehouse reads (RFC 6749 sections 4.1.3 and 4.4), each
/// at most once; any other parameter is ignored, as section 3.2 requires.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenForm<'a> {
    /// `client_credentials` or `authorization_code`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(client_credentials|authorization_code)$")
    )]
    pub grant_type: &'a str,
    /// `client_credentials` without HTTP Basic (`client_secret_post`): the client's id.
    pub client_id: Option<&'a str>,
    /// `client_credentials` without HTTP Basic: the client's secret.
    pub client_secret: Option<&'a str>,
    /// `authorization_code`: the JWT code the host signed.
    pub code: Option<&'a str>,
}

impl<'a> TokenForm<'a> {
    /// The parameters of `form`; `grant_type` is required.
    pub fn read(form: &'a Form) -> Result<TokenForm<'a>> {
        Ok(TokenForm {
            grant_type: form
                .get("grant_type")?
                .ok_or_else(|| Error::bad_request("grant_type is required"))?,
            client_id: form.get("client_id")?,
            client_secret: form.get("client_secret")?,
            code: form.get("code")?,
        })
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
    let text =
        std::str::from_utf8(body).map_err(|_| Error::bad_request("body is not valid UTF-8"))?;
    let mut pairs = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let not_utf8 = || Error::bad_request("a form parameter is not valid UTF-8 once decoded");
        pairs.push((
            decode_component(name).ok_or_else(not_utf8)?,
            decode_component(value).ok_or_else(not_utf8)?,
        ));
    }
    Ok(Form(pairs))
}

/// Decodes one `application/x-www-form-urlencoded` name or value: `+` is a space and
/// `%XX` a byte (a `%` not followed by two hex digits stays as it is). `None` when the
/// bytes are not UTF-8: a secret is compared as sent, never after a lossy repair.
pub(crate) fn decode_component(s: &str) -> Option<String> {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// HTTP Basic client credentials (RFC 6749 2.3.1: both parts form-urlencoded).
/// A malformed header is `invalid_client`.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>> {
    let bad = Error::InvalidClient { basic: true };
    let v = match single_value(headers, AUTHORIZATION) {
        Ok(None) => return Ok(None),
        Ok(Some(v)) => v,
        Err(NotSingle::Repeated) => {
            return Err(Error::bad_request("Authorization header is repeated"));
        }
        Err(NotSingle::NotText) => return Err(bad),
    };
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
    // Each part is one encoded value: `&` and `=` are data here, never separators.
    match (decode_component(id), decode_component(secret)) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        _ => Err(Error::InvalidClient { basic: true }),
    }
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
    fn form_values_are_percent_decoded_strictly() {
        let ct = h(&[("content-type", "application/x-www-form-urlencoded")]);
        let f = read_form(&ct, b"a=x+y%2B%26z&&b&c%3D=1=2&d=100%").unwrap();
        assert_eq!(f.get("a").unwrap(), Some("x y+&z"));
        assert_eq!(f.get("b").unwrap(), Some(""), "a name without `=`");
        assert_eq!(f.get("c=").unwrap(), Some("1=2"));
        assert_eq!(f.get("d").unwrap(), Some("100%"), "a lone `%` stays");
        // Bytes that are not UTF-8 once decoded are refused, not repaired to U+FFFD.
        for bad in [&b"client_secret=%FF"[..], b"%C3=1", b"a=%C3%28"] {
            let err = read_form(&ct, bad).err().unwrap();
            assert_eq!(
                (err.status().as_u16(), err.code()),
                (400, "invalid_request")
            );
        }
    }

    fn basic(user_pass: &str) -> Result<Option<(String, String)>> {
        let enc = base64::engine::general_purpose::STANDARD.encode(user_pass);
        basic_credentials(&h(&[("authorization", &format!("Basic {enc}"))]))
    }

    #[test]
    fn basic_credentials_keep_unencoded_ampersands_and_equals_signs() {
        // Each part is one value: nothing after a `&` is dropped (it used to be).
        assert_eq!(
            basic("1&x:abc&def=g").unwrap(),
            Some(("1&x".into(), "abc&def=g".into()))
        );
        assert_eq!(
            basic("a%26b+c:%2B%3A%25").unwrap(),
            Some(("a&b c".into(), "+:%".into()))
        );
        assert_eq!(basic(":").unwrap(), Some((String::new(), String::new())));
    }

    #[test]
    fn basic_credentials_that_are_not_utf8_once_decoded_are_invalid_client() {
        for bad in ["1:%FF", "%FE:secret", "1:%C3%28"] {
            assert_eq!(basic(bad).unwrap_err().code(), "invalid_client", "{bad}");
        }
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
