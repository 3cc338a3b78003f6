//! Presigned STS `GetCallerIdentity` requests (admin sign-in, mode b), parsed strictly:
//! signed `x-gatehouse-server-id` and `x-gatehouse-nonce` headers, a fresh `X-Amz-Date`,
//! one well-formed SigV4 `Authorization` (or query form), and only allow-listed headers
//! forwarded. A request is first parsed into a `Presign`, then the policy decides.

mod sigv4;

use crate::credentials::admin::{PresignedRequest, RepeatedHeader};
use crate::primitives::headers::single;

use self::sigv4::SigV4;
pub use self::sigv4::parse_amz_date;

/// Header that binds a presigned request to one Gatehouse deployment.
pub(crate) const SERVER_ID_HEADER: &str = "x-gatehouse-server-id";
/// Random value the CLI signs into each presigned request.
pub(crate) const NONCE_HEADER: &str = "x-gatehouse-nonce";
/// Largest clock difference accepted for a presigned request's `X-Amz-Date`.
pub(crate) const PRESIGN_MAX_SKEW_SECS: i64 = 60;
/// STS accepts a signature for at most 15 minutes; the redeemed marker lives that long.
pub(crate) const PRESIGN_REPLAY_WINDOW_SECS: i64 = 15 * 60;

/// Why a presigned request is refused: a fixed code (logged and answered), never text
/// from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignRefusal {
    MethodNotAllowed,
    NotTheStsEndpoint,
    NotGetCallerIdentity,
    DuplicatedParameter,
    DuplicatedSecurityHeader,
    BadContentType,
    SignedTwice,
    NotSigv4,
    MalformedAuthorization,
    NoDate,
    BadDate,
    StaleDate,
    ServerIdNotSigned,
    NonceNotSigned,
    NoServerId,
    WrongServerId,
    NoNonce,
    BadCredential,
    BadSignature,
}

impl PresignRefusal {
    pub(crate) fn as_str(self) -> &'static str {
        use PresignRefusal::*;
        match self {
            MethodNotAllowed => "method_not_allowed",
            NotTheStsEndpoint => "not_the_sts_endpoint",
            NotGetCallerIdentity => "not_get_caller_identity",
            DuplicatedParameter => "duplicated_parameter",
            DuplicatedSecurityHeader => "duplicated_security_header",
            BadContentType => "bad_content_type",
            SignedTwice => "signed_twice",
            NotSigv4 => "not_sigv4",
            MalformedAuthorization => "malformed_authorization",
            NoDate => "no_date",
            BadDate => "bad_date",
            StaleDate => "stale_date",
            ServerIdNotSigned => "server_id_not_signed",
            NonceNotSigned => "nonce_not_signed",
            NoServerId => "no_server_id",
            WrongServerId => "wrong_server_id",
            NoNonce => "no_nonce",
            BadCredential => "bad_credential",
            BadSignature => "bad_signature",
        }
    }
}

impl From<RepeatedHeader> for PresignRefusal {
    fn from(_: RepeatedHeader) -> Self {
        PresignRefusal::DuplicatedSecurityHeader
    }
}

type Refused<T> = std::result::Result<T, PresignRefusal>;

/// What the function checked of a presigned request before forwarding it: the
/// canonical values that identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPresign {
    /// The SigV4 credential scope: `<access key id>/<date>/<region>/sts/aws4_request`.
    pub credential: String,
    /// `X-Amz-Date`, in epoch seconds.
    pub date: i64,
    /// The signature: 64 lower-case hex digits.
    pub signature: String,
}

impl CheckedPresign {
    /// The value whose hash marks the request as used: its canonical credential, date
    /// and signature, however the request spelled them (header or query form).
    pub fn redemption_key(&self) -> String {
        crate::primitives::crypto::sha256_hex(
            format!("{}\n{}\n{}", self.credential, self.date, self.signature).as_bytes(),
        )
    }
}

/// The SigV4 headers forwarded to STS as sent (besides a form `content-type` and the
/// `x-gatehouse-*` headers); nothing else is.
const FORWARDED_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

fn is_form_content_type(value: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    parts
        .next()
        .is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        && parts.all(|p| p.eq_ignore_ascii_case("charset=utf-8"))
}

fn is_forwarded(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    FORWARDED_HEADERS.contains(&name.as_str())
        || name.starts_with("x-gatehouse-")
        || (name == "content-type" && is_form_content_type(value))
}

/// The headers of `req` that are forwarded to STS: the allow-list above and nothing
/// else (no cookie, no hop-by-hop header, no `host`: the client sets it from the URL).
pub fn forwarded_headers(req: &PresignedRequest) -> impl Iterator<Item = (&str, &str)> {
    req.headers
        .0
        .iter()
        .filter(|(k, v)| is_forwarded(k, v))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// A presigned request read strictly, before any policy: every value the policy looks
/// at, each sent at most once.
#[derive(Debug)]
struct Presign<'a> {
    /// The method, upper-cased.
    method: String,
    url: &'a str,
    /// `Action`, when exactly one of the query and the form body carries it.
    action: Option<String>,
    content_type: Option<&'a str>,
    server_id: Option<&'a str>,
    nonce: Option<&'a str>,
    sigv4: SigV4,
}

impl<'a> Presign<'a> {
    fn parse(req: &'a PresignedRequest) -> Refused<Self> {
        let query = query_pairs(req.url.split_once('?').map_or("", |(_, q)| q));
        let body = query_pairs(req.body.as_deref().unwrap_or(""));
        // The action may be in the query or the form body, never in both.
        let action = match (
            single_param(&query, "Action")?,
            single_param(&body, "Action")?,
        ) {
            (Some(a), None) | (None, Some(a)) => Some(a.to_owned()),
            _ => None,
        };
        // Every header that is forwarded or signed for sure: at most once.
        for (name, _) in &req.headers.0 {
            if name.eq_ignore_ascii_case("host")
                || name.eq_ignore_ascii_case("content-type")
                || is_forwarded(name, "")
            {
                req.headers.single(name)?;
            }
        }
        let header = |name| req.headers.single(name);
        let sigv4 = match header("authorization")? {
            Some(auth) => SigV4::of_header(auth, header("x-amz-date")?, &query)?,
            None => SigV4::of_query(&query)?,
        };
        Ok(Presign {
            method: req.method.to_ascii_uppercase(),
            url: &req.url,
            action,
            content_type: header("content-type")?,
            server_id: header(SERVER_ID_HEADER)?,
            nonce: header(NONCE_HEADER)?,
            sigv4,
        })
    }
}

fn query_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

/// The single value of query or form parameter `name` (case-insensitive); `Err` if
/// repeated.
fn single_param<'a>(pairs: &'a [(String, String)], name: &str) -> Refused<Option<&'a str>> {
    single(
        pairs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str()),
    )
    .map_err(|_| PresignRefusal::DuplicatedParameter)
}

/// The URL is the endpoint, then at most `/`, then the query: no other path, no
/// fragment, no user info.
fn at_endpoint(url: &str, endpoint: &str) -> bool {
    let Some(rest) = url.strip_prefix(endpoint) else {
        return false;
    };
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    matches!(path, "" | "/") && !rest.contains(['#', '@'])
}

/// The policy over a parsed request: GET or POST to the configured STS endpoint,
/// action `GetCallerIdentity`, a form content type if any, `host`,
/// `x-gatehouse-server-id` (equal to `server_id`) and `x-gatehouse-nonce` signed and
/// sent, and `X-Amz-Date` within 60 s of `now`.
fn admit(p: &Presign<'_>, sts_endpoint: &str, server_id: &str, now: i64) -> Refused<()> {
    use PresignRefusal::*;
    if p.method != "GET" && p.method != "POST" {
        return Err(MethodNotAllowed);
    }
    if !at_endpoint(p.url, sts_endpoint.trim_end_matches('/')) {
        return Err(NotTheStsEndpoint);
    }
    if p.action.as_deref() != Some("GetCallerIdentity") {
        return Err(NotGetCallerIdentity);
    }
    if p.content_type.is_some_and(|ct| !is_form_content_type(ct)) {
        return Err(BadContentType);
    }
    if !p.sigv4.signs(SERVER_ID_HEADER) || !p.sigv4.signs("host") {
        return Err(ServerIdNotSigned);
    }
    if !p.sigv4.signs(NONCE_HEADER) {
        return Err(NonceNotSigned);
    }
    match p.server_id {
        Some(v) if crate::primitives::crypto::ct_eq(v.as_bytes(), server_id.as_bytes()) => {}
        Some(_) => return Err(WrongServerId),
        None => return Err(NoServerId),
    }
    if p.nonce.is_none_or(str::is_empty) {
        return Err(NoNonce);
    }
    if (now - p.sigv4.date).abs() > PRESIGN_MAX_SKEW_SECS {
        return Err(StaleDate);
    }
    Ok(())
}

/// Checks a presigned request without forwarding it: parsed strictly (see
/// `Presign`, `parse_authorization`: no security header or parameter twice, a
/// well-formed SigV4 `Authorization` or query form, canonical credential and
/// signature), then admitted by the policy (see `admit`). The reason of a refusal is a
/// fixed code.
pub fn check_presigned(
    req: &PresignedRequest,
    sts_endpoint: &str,
    server_id: &str,
    now: i64,
) -> Refused<CheckedPresign> {
    let parsed = Presign::parse(req)?;
    admit(&parsed, sts_endpoint, server_id, now)?;
    let SigV4 {
        credential,
        signature,
        date,
        ..
    } = parsed.sigv4;
    Ok(CheckedPresign {
        credential,
        date,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20261125T213000Z"), Some(1_795_642_200));
        assert_eq!(parse_amz_date("20261125 213000Z"), None);
        assert_eq!(parse_amz_date("20261325T213000Z"), None);
    }

    fn presigned(url: &str, headers: &[(&str, &str)], body: Option<&str>) -> PresignedRequest {
        PresignedRequest {
            method: "POST".into(),
            url: url.into(),
            headers: crate::credentials::admin::HeaderList(
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            body: body.map(String::from),
        }
    }

    const NOW: &str = "20261125T213000Z";
    const EP: &str = "https://sts.us-east-1.amazonaws.com";
    const BODY: Option<&str> = Some("Action=GetCallerIdentity&Version=2011-06-15");
    const SIGNED: &str = "content-type;host;x-amz-date;x-gatehouse-nonce;x-gatehouse-server-id";
    const CREDENTIAL: &str = "AKIA/20261125/us-east-1/sts/aws4_request";

    fn sig() -> String {
        "a".repeat(64)
    }

    fn auth_with(signed: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders={signed}, Signature={signature}"
        )
    }

    /// A valid request in header form, changed by `changes`: a header of the same
    /// name (case-insensitive) is replaced, an empty value removes it, and a name
    /// written differently from the valid one is sent as well.
    fn with_headers(auth: &str, changes: &[(&str, &str)]) -> PresignedRequest {
        let mut h: Vec<(&str, &str)> = vec![
            ("Authorization", auth),
            ("X-Amz-Date", NOW),
            ("x-gatehouse-server-id", "https://gh"),
            ("x-gatehouse-nonce", "0123abcd"),
        ];
        for (k, v) in changes {
            if let Some(i) = h.iter().position(|(n, _)| n == k) {
                h.remove(i);
            }
            if !v.is_empty() {
                h.push((k, v));
            }
        }
        presigned(&format!("{EP}/"), &h, BODY)
    }

    /// The check, its refusal spelled as logged.
    fn check(req: &PresignedRequest) -> std::result::Result<CheckedPresign, &'static str> {
        check_presigned(req, EP, "https://gh", parse_amz_date(NOW).unwrap())
            .map_err(PresignRefusal::as_str)
    }

    fn reason(req: &PresignedRequest) -> &'static str {
        check(req).expect_err("refused")
    }

    #[test]
    fn presigned_requests_are_screened() {
        let good = auth_with(SIGNED, &sig());
        assert_eq!(
            check(&with_headers(&good, &[])),
            Ok(CheckedPresign {
                credential: CREDENTIAL.into(),
                date: parse_amz_date(NOW).unwrap(),
                signature: sig(),
            })
        );
        let at = |url: &str, body: Option<&str>| {
            let mut r = with_headers(&good, &[]);
            r.url = url.into();
            r.body = body.map(String::from);
            r
        };
        let unsigned_server_id = auth_with(&SIGNED.replace(";x-gatehouse-server-id", ""), &sig());
        let cases: Vec<(PresignedRequest, &str)> = vec![
            (at("https://evil.example/", BODY), "not_the_sts_endpoint"),
            (
                at("https://sts.us-east-1.amazonaws.com.evil.example/", BODY),
                "not_the_sts_endpoint",
            ),
            (
                at(
                    &format!("{EP}/"),
                    Some("Action=AssumeRole&Version=2011-06-15"),
                ),
                "not_get_caller_identity",
            ),
            (
                at(&format!("{EP}/?Action=AssumeRole"), BODY),
                "not_get_caller_identity",
            ),
            (
                with_headers(&good, &[("x-gatehouse-server-id", "")]),
                "no_server_id",
            ),
            (
                with_headers(&good, &[("x-gatehouse-server-id", "https://other")]),
                "wrong_server_id",
            ),
            (
                with_headers(&good, &[("X-Gatehouse-Server-Id", "https://gh")]),
                "duplicated_security_header",
            ),
            (
                with_headers(&good, &[("X-Amz-Date", "20261125T212800Z")]),
                "stale_date",
            ),
            (
                with_headers(&unsigned_server_id, &[]),
                "server_id_not_signed",
            ),
        ];
        for (req, reason) in cases {
            assert_eq!(check(&req), Err(reason), "{req:?}");
        }
    }

    #[test]
    fn the_nonce_header_must_be_signed_and_sent() {
        let unsigned = auth_with(&SIGNED.replace(";x-gatehouse-nonce", ""), &sig());
        assert_eq!(reason(&with_headers(&unsigned, &[])), "nonce_not_signed");
        let good = auth_with(SIGNED, &sig());
        assert_eq!(
            reason(&with_headers(&good, &[("x-gatehouse-nonce", "")])),
            "no_nonce"
        );
        assert_eq!(
            reason(&with_headers(&good, &[("X-Gatehouse-Nonce", "again")])),
            "duplicated_security_header"
        );
    }

    #[test]
    fn the_authorization_value_has_exactly_three_components() {
        let s = sig();
        let other = format!("{CREDENTIAL}x");
        for (auth, why) in [
            (
                auth_with(SIGNED, &s) + &format!(", Signature={}", "b".repeat(64)),
                "a repeated component (the first used to win)",
            ),
            (auth_with(SIGNED, &s) + ", Extra=1", "an unknown component"),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential={CREDENTIAL}, Credential={other}, SignedHeaders={SIGNED}, Signature={s}"
                ),
                "two credentials",
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential={CREDENTIAL}, Signature={s}"),
                "no SignedHeaders",
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=, SignedHeaders={SIGNED}, Signature={s}"),
                "an empty component",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders={SIGNED}, Signature"
                ),
                "a component without a value",
            ),
            (
                auth_with(&SIGNED.replace("host", "Host"), &s),
                "a signed header name not in lower case",
            ),
        ] {
            assert_eq!(
                reason(&with_headers(&auth, &[])),
                "malformed_authorization",
                "{why}"
            );
        }
    }

    #[test]
    fn signatures_and_credentials_are_canonical() {
        for bad in [
            "A".repeat(64),
            "a".repeat(63),
            "g".repeat(64),
            format!("{}=", "a".repeat(63)),
        ] {
            assert_eq!(
                reason(&with_headers(&auth_with(SIGNED, &bad), &[])),
                "bad_signature",
                "{bad}"
            );
        }
        for cred in [
            "AKIA/20261124/us-east-1/sts/aws4_request",
            "AKIA/20261125/us-east-1/iam/aws4_request",
            "AKIA/20261125/us-east-1/sts",
            "/20261125/us-east-1/sts/aws4_request",
        ] {
            let auth = auth_with(SIGNED, &sig()).replace(CREDENTIAL, cred);
            assert_eq!(
                reason(&with_headers(&auth, &[])),
                "bad_credential",
                "{cred}"
            );
        }
        let text = with_headers(
            &auth_with(SIGNED, &sig()),
            &[("content-type", "text/plain")],
        );
        assert_eq!(reason(&text), "bad_content_type");
    }

    #[test]
    fn the_single_use_key_is_the_same_in_header_and_query_form() {
        let header = check(&with_headers(&auth_with(SIGNED, &sig()), &[])).unwrap();
        let url = format!(
            "{EP}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential={}&X-Amz-Date={NOW}&X-Amz-SignedHeaders={}&X-Amz-Signature={}",
            CREDENTIAL.replace('/', "%2F"),
            "host%3Bx-gatehouse-nonce%3Bx-gatehouse-server-id",
            sig()
        );
        let query = presigned(
            &url,
            &[
                ("x-gatehouse-server-id", "https://gh"),
                ("x-gatehouse-nonce", "n"),
            ],
            None,
        );
        let query = check(&query).unwrap();
        assert_eq!(header.redemption_key(), query.redemption_key());
        let mut later = header.clone();
        later.date += 1;
        assert_ne!(later.redemption_key(), header.redemption_key());
    }

    #[test]
    fn only_allow_listed_headers_reach_sts() {
        let req = with_headers(
            &auth_with(SIGNED, &sig()),
            &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("X-Amz-Security-Token", "t"),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("cookie", "__Host-gh_admin=x"),
                ("host", "evil.example"),
                ("content-length", "1"),
                ("x-forwarded-for", "10.0.0.1"),
                ("transfer-encoding", "chunked"),
                (
                    "x-amz-target",
                    "AWSSecurityTokenServiceV20110615.AssumeRole",
                ),
            ],
        );
        assert!(check(&req).is_ok(), "{:?}", check(&req));
        let mut names: Vec<String> = forwarded_headers(&req)
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "authorization",
                "content-type",
                "x-amz-content-sha256",
                "x-amz-date",
                "x-amz-security-token",
                "x-gatehouse-nonce",
                "x-gatehouse-server-id",
            ]
        );
    }
}
