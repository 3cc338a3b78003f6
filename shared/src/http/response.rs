//! Responses: JSON with the security headers, JSON errors, and the session cookie.

use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde::Serialize;

use crate::answers::ErrorBody;
use crate::error::{Error, Result};

/// What every function answers with.
pub type Response = http::Response<String>;

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
];

/// A JSON response with `Cache-Control: no-store` and the security headers.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut resp = http::Response::new(text);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (k, v) in SECURITY_HEADERS {
        h.insert(k, HeaderValue::from_static(v));
    }
    resp
}

/// The Content-Security-Policy of the admin console's pages and assets (README "Admin
/// console"): its own scripts and styles only, no inline code, no frames, no forms posted
/// anywhere, and Trusted Types required, so a DOM write through `innerHTML` throws.
pub const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; \
     base-uri 'none'; require-trusted-types-for 'script'";

/// An embedded asset of the admin console (`text/html`, `text/javascript`, `text/css`):
/// the console's CSP, `X-Frame-Options: DENY`, `Cache-Control: no-store`,
/// `Referrer-Policy: no-referrer`, and the other security headers. The one responder of
/// the console's routes; every other route keeps [`json`]'s headers.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = json(StatusCode::OK, &serde_json::Value::Null);
    *resp.body_mut() = body.to_owned();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(CONSOLE_CSP),
    );
    resp
}

/// A response whose body is JSON text already (the embedded API description), with the
/// same headers as [`json`].
pub fn json_text(status: StatusCode, text: &str) -> Response {
    let mut resp = json(status, &serde_json::Value::Null);
    *resp.body_mut() = text.to_owned();
    resp
}

/// A bodiless response (redirects) with `Cache-Control: no-store` and the security headers.
pub fn empty(status: StatusCode) -> Response {
    let mut resp = json(status, &serde_json::Value::Null);
    resp.body_mut().clear();
    resp.headers_mut().remove(CONTENT_TYPE);
    resp
}

/// `{"error": code, "message": text}` with the error's status.
/// RFC 6749 errors also carry `error_description`, and a failed HTTP Basic client
/// authentication carries `WWW-Authenticate`.
pub fn error(e: &Error) -> Response {
    let message = e.public_message();
    let body = ErrorBody {
        error: e.code().to_owned(),
        error_description: e.is_oauth().then(|| message.clone()),
        message,
    };
    let mut resp = json(e.status(), &body);
    if let Error::InvalidClient { basic: true } = e {
        resp.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\", charset=\"UTF-8\""),
        );
    }
    if e.is_oauth() {
        resp.headers_mut()
            .insert(http::header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if let Error::TooManyRequests { retry_after, .. } = e {
        let v = HeaderValue::from((*retry_after).max(1));
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    if let Error::Busy(_) = e {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// `Set-Cookie` for a browser session cookie `name`: `__Host-` prefix, `Secure; HttpOnly;
/// SameSite=None; Partitioned; Path=/` (a cross-site embed needs `SameSite=None`, and
/// `Partitioned` keeps it in the embedding site's cookie jar).
fn partitioned_cookie(name: &str, id: &str, max_age_secs: i64) -> String {
    format!(
        "{name}={id}; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age={}",
        max_age_secs.max(0)
    )
}

/// `Set-Cookie` for the widget session.
pub fn session_cookie(id: &str, max_age_secs: i64) -> String {
    partitioned_cookie(crate::authz::SESSION_COOKIE, id, max_age_secs)
}

/// Clears the session cookie: same attributes and `Max-Age=0` (a partitioned cookie
/// is only cleared that way).
pub fn clear_session_cookie() -> String {
    session_cookie("", 0)
}

/// `Set-Cookie` for a user session: the widget cookie's attributes, because the
/// platform UI may be on another site than the API.
pub fn user_cookie(id: &str, max_age_secs: i64) -> String {
    partitioned_cookie(crate::authz::USER_COOKIE, id, max_age_secs)
}

/// Clears the user session cookie the partitioned way.
pub fn clear_user_cookie() -> String {
    user_cookie("", 0)
}

/// A header value Gatehouse computed (a cookie, a cache directive): visible ASCII, or an
/// internal error (never a panic).
pub fn header_value(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::Internal("a computed header value is not visible ASCII".into()))
}

/// Adds a `Set-Cookie` header to `resp`.
pub fn append_cookie(resp: &mut Response, cookie: &str) -> Result<()> {
    let v = header_value(cookie)?;
    resp.headers_mut().append(http::header::SET_COOKIE, v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_attributes() {
        assert_eq!(
            session_cookie("abc", 3600),
            "__Host-gh_session=abc; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=3600"
        );
        assert_eq!(
            clear_session_cookie(),
            "__Host-gh_session=; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=0"
        );
        assert_eq!(
            user_cookie("abc", 28800),
            "__Host-gh_user=abc; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=28800"
        );
        assert_eq!(
            clear_user_cookie(),
            "__Host-gh_user=; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=0"
        );
    }

    #[test]
    fn console_assets_carry_the_console_headers_and_json_keeps_its_own() {
        let a = asset("text/html; charset=utf-8", "<!doctype html>");
        let h = a.headers();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_eq!(
            h["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; \
             require-trusted-types-for 'script'"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h.get_all("content-security-policy").iter().count(), 1);
        let j = json(StatusCode::OK, &serde_json::json!({}));
        assert_eq!(
            j.headers()["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn responses_carry_security_headers() {
        let r = error(&Error::bad_request("nope"));
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let v: serde_json::Value = serde_json::from_str(r.body()).unwrap();
        assert_eq!(v["error"], "invalid_request");
        assert_eq!(v["message"], "nope");
    }
}
