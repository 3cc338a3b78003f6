//! HTTP plumbing shared by every function: JSON responses with security headers, JSON
//! errors, the body size limit, and (with `aws`) the Lambda glue that turns a
//! [`Handler`] into a `lambda_http` service, so no handler repeats that boilerplate.

use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::MAX_BODY_BYTES;
use crate::error::{Error, Result};

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
    let mut body = serde_json::json!({"error": e.code(), "message": message});
    if e.is_oauth() {
        body["error_description"] = message.into();
    }
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
        let v = HeaderValue::from_str(&(*retry_after).max(1).to_string()).expect("digits");
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
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
pub fn check_size(len: usize) -> Result<()> {
    if len > MAX_BODY_BYTES {
        Err(Error::PayloadTooLarge(MAX_BODY_BYTES))
    } else {
        Ok(())
    }
}

/// `Set-Cookie` for the widget session: `__Host-` prefix, `Secure; HttpOnly;
/// SameSite=None; Partitioned; Path=/` (a cross-site embed needs `SameSite=None`, and
/// `Partitioned` keeps it in the embedding site's cookie jar).
pub fn session_cookie(id: &str, max_age_secs: i64) -> String {
    format!(
        "{}={id}; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age={}",
        crate::authz::SESSION_COOKIE,
        max_age_secs.max(0)
    )
}

/// Clears the session cookie: same attributes and `Max-Age=0` (a partitioned cookie
/// is only cleared that way).
pub fn clear_session_cookie() -> String {
    session_cookie("", 0)
}

/// Whether the request's `Origin` is one of `allowed` (exact, case-insensitive host).
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    allowed_origin(headers, allowed).is_some()
}

/// The entry of `allowed` the request's single `Origin` matches (exact,
/// case-insensitive host), if any.
pub fn allowed_origin<'a>(headers: &HeaderMap, allowed: &'a [String]) -> Option<&'a str> {
    let mut values = headers.get_all(http::header::ORIGIN).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => {
            let o = v.to_str().ok()?;
            allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(o))
                .map(String::as_str)
        }
        _ => None,
    }
}

/// The origin (`scheme://host[:port]`) of an absolute URL such as the issuer.
pub fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => &url[..start + i],
        None => url,
    }
}

/// The admin routes' rule (README, "Administrators"): a request without `Origin` (the
/// CLI, a same-origin GET) or with exactly `origin` passes; another origin, `null`, or
/// the header sent twice is foreign.
pub fn origin_absent_or(headers: &HeaderMap, origin: &str) -> bool {
    !headers.contains_key(http::header::ORIGIN)
        || origin_allowed(headers, std::slice::from_ref(&origin.to_owned()))
}

#[cfg(feature = "aws")]
pub use lambda::{Handler, respond, run, service, source_ip};

#[cfg(feature = "aws")]
mod lambda {
    use std::convert::Infallible;
    use std::future::Future;
    use std::sync::Arc;

    use lambda_http::{Body, Request, service_fn};

    use super::*;

    /// An HTTP function's logic. Expected failures are `Err(Error)`; [`respond`] turns
    /// them into JSON responses, so handlers never build error bodies themselves.
    pub trait Handler: Send + Sync + 'static {
        fn handle(&self, req: Request) -> impl Future<Output = Result<Response>> + Send;
    }

    /// Runs the handler and maps errors to JSON (logging the code, never the request).
    pub async fn respond<H: Handler>(handler: &H, req: Request) -> http::Response<Body> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        // The size limit holds on every route, also where the handler reads no body.
        let outcome = match check_size(req.body().as_ref().len()) {
            Ok(()) => handler.handle(req).await,
            Err(e) => Err(e),
        };
        let resp = match outcome {
            Ok(r) => r,
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::error!(%method, %path, code = e.code(), error = %e.detail(), "request failed");
                } else {
                    tracing::info!(%method, %path, code = e.code(), "request rejected");
                }
                error(&e)
            }
        };
        crate::primitives::metrics::log_totals();
        resp.map(Body::from)
    }

    /// The handler as a `lambda_http` service (also used by the local gateway).
    pub fn service<H: Handler>(
        handler: Arc<H>,
    ) -> impl lambda_http::Service<
        Request,
        Response = http::Response<Body>,
        Error = Infallible,
        Future: Send,
    > + Clone {
        service_fn(move |req: Request| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(respond(&*handler, req).await) }
        })
    }

    /// The caller's address as the gateway saw it (`requestContext`, never
    /// `X-Forwarded-For`, which the caller writes); `unknown` without one.
    pub fn source_ip(req: &Request) -> String {
        use lambda_http::RequestExt;
        use lambda_http::request::RequestContext;
        match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
            _ => None,
        }
        .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Serves the handler on the Lambda runtime.
    pub async fn run<H: Handler>(handler: H) -> std::result::Result<(), lambda_http::Error> {
        lambda_http::run(service(Arc::new(handler))).await
    }
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn origins_are_matched_exactly() {
        let allowed = vec!["http://localhost:3001".to_owned()];
        let h = |v: &[&str]| {
            let mut m = HeaderMap::new();
            for x in v {
                m.append(http::header::ORIGIN, HeaderValue::from_str(x).unwrap());
            }
            m
        };
        assert!(origin_allowed(&h(&["http://localhost:3001"]), &allowed));
        for bad in [
            &[][..],
            &["http://localhost:3002"],
            &["http://localhost:3001.evil.example"],
            &["null"],
            &["http://localhost:3001", "http://localhost:3001"],
        ] {
            assert!(!origin_allowed(&h(bad), &allowed), "{bad:?}");
        }
    }

    #[test]
    fn admin_requests_come_from_no_origin_or_the_issuers() {
        assert_eq!(
            origin_of("https://auth.example.com/v1"),
            "https://auth.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        let issuer = origin_of("https://auth.example.com/v1");
        let h = |v: &[&str]| {
            let mut m = HeaderMap::new();
            for x in v {
                m.append(http::header::ORIGIN, HeaderValue::from_str(x).unwrap());
            }
            m
        };
        assert!(origin_absent_or(&h(&[]), issuer), "the CLI sends none");
        assert!(origin_absent_or(&h(&["https://auth.example.com"]), issuer));
        assert!(origin_absent_or(&h(&["https://AUTH.example.com"]), issuer));
        for foreign in [
            &["null"][..],
            &["https://evil.example"],
            &["http://auth.example.com"],
            &["https://auth.example.com:8443"],
            &["https://auth.example.com", "https://auth.example.com"],
        ] {
            assert!(!origin_absent_or(&h(foreign), issuer), "{foreign:?}");
        }
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
