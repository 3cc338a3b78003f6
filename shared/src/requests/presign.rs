//! Presigned STS `GetCallerIdentity` requests (admin sign-in, mode b), parsed strictly:
//! signed `x-gatehouse-server-id` and `x-gatehouse-nonce` headers, a fresh `X-Amz-Date`,
//! one well-formed SigV4 `Authorization` (or query form), and only allow-listed headers
//! forwarded.

use crate::credentials::admin::PresignedRequest;
use crate::primitives::headers::single;

/// Header that binds a presigned request to one Gatehouse deployment.
pub const SERVER_ID_HEADER: &str = "x-gatehouse-server-id";
/// Random value the CLI signs into each presigned request.
pub const NONCE_HEADER: &str = "x-gatehouse-nonce";
/// Largest clock difference accepted for a presigned request's `X-Amz-Date`.
pub const PRESIGN_MAX_SKEW_SECS: i64 = 60;
/// STS accepts a signature for at most 15 minutes; the redeemed marker lives that long.
pub const PRESIGN_REPLAY_WINDOW_SECS: i64 = 15 * 60;

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

/// The components of a SigV4 `Authorization` value.
struct SigV4Header<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: exactly these three
/// components, each once and non-empty, and nothing else.
fn parse_authorization(value: &str) -> std::result::Result<SigV4Header<'_>, &'static str> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or("not_sigv4")?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, v) = part
            .trim()
            .split_once('=')
            .ok_or("malformed_authorization")?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err("malformed_authorization"),
        };
        if v.is_empty() || slot.replace(v).is_some() {
            return Err("malformed_authorization");
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(SigV4Header {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err("malformed_authorization"),
    }
}

/// `<access key id>/<YYYYMMDD of X-Amz-Date>/<region>/sts/aws4_request`.
fn valid_credential(credential: &str, amz_date: &str) -> bool {
    let parts: Vec<&str> = credential.split('/').collect();
    let word = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    match parts[..] {
        [key, date, region, "sts", "aws4_request"] => {
            word(key, b"") && word(region, b"-") && amz_date.get(..8) == Some(date)
        }
        _ => false,
    }
}

fn is_signature(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn query_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

/// The single value of query or form parameter `name` (case-insensitive); `Err` if
/// repeated.
fn single_param<'a>(
    pairs: &'a [(String, String)],
    name: &str,
) -> std::result::Result<Option<&'a str>, &'static str> {
    single(
        pairs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str()),
    )
    .map_err(|_| "duplicated_parameter")
}

/// `YYYYMMDDTHHMMSSZ` → epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || !s.ends_with('Z') || s.as_bytes()[8] != b'T' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// Checks a presigned request without forwarding it: the configured STS endpoint only,
/// action `GetCallerIdentity` only, SigV4 (strictly parsed: see `parse_authorization`)
/// with `host`, `x-gatehouse-server-id` (equal to `server_id`) and `x-gatehouse-nonce`
/// among the signed headers, `X-Amz-Date` within 60 s of `now`, a credential for STS
/// of that day, a lower-case hex signature, a form content type if any, and no
/// security header or parameter twice. The reason of a refusal is a fixed code.
pub fn check_presigned(
    req: &PresignedRequest,
    sts_endpoint: &str,
    server_id: &str,
    now: i64,
) -> std::result::Result<CheckedPresign, &'static str> {
    let method = req.method.to_ascii_uppercase();
    if method != "GET" && method != "POST" {
        return Err("method_not_allowed");
    }
    let endpoint = sts_endpoint.trim_end_matches('/');
    let rest = req
        .url
        .strip_prefix(endpoint)
        .ok_or("not_the_sts_endpoint")?;
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        || rest.contains('#')
        || rest.contains('@')
    {
        return Err("not_the_sts_endpoint");
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !(path.is_empty() || path == "/") {
        return Err("not_the_sts_endpoint");
    }
    let query = query_pairs(query);
    let body = query_pairs(req.body.as_deref().unwrap_or(""));
    // The action may be in the query or the form body, never in both.
    let action = match (
        single_param(&query, "Action")?,
        single_param(&body, "Action")?,
    ) {
        (Some(a), None) | (None, Some(a)) => a,
        _ => return Err("not_get_caller_identity"),
    };
    if action != "GetCallerIdentity" {
        return Err("not_get_caller_identity");
    }
    // Every header that is forwarded or signed for sure: at most once.
    for (name, _) in &req.headers.0 {
        if name.eq_ignore_ascii_case("host")
            || name.eq_ignore_ascii_case("content-type")
            || is_forwarded(name, "")
        {
            req.headers.single(name)?;
        }
    }
    if let Some(ct) = req.headers.single("content-type")?
        && !is_form_content_type(ct)
    {
        return Err("bad_content_type");
    }
    // SigV4 either in the Authorization header or in the query (presigned URL).
    let (credential, signed_headers, signature, date) = match req.headers.single("authorization")? {
        Some(auth) => {
            if single_param(&query, "X-Amz-Signature")?.is_some() {
                return Err("signed_twice");
            }
            let sig = parse_authorization(auth)?;
            let date = req.headers.single("x-amz-date")?.ok_or("no_date")?;
            (sig.credential, sig.signed_headers, sig.signature, date)
        }
        None => {
            if single_param(&query, "X-Amz-Algorithm")? != Some("AWS4-HMAC-SHA256") {
                return Err("not_sigv4");
            }
            let part = |name| single_param(&query, name)?.ok_or("not_sigv4");
            (
                part("X-Amz-Credential")?,
                part("X-Amz-SignedHeaders")?,
                part("X-Amz-Signature")?,
                single_param(&query, "X-Amz-Date")?.ok_or("no_date")?,
            )
        }
    };
    let signed: Vec<&str> = signed_headers.split(';').collect();
    if signed.iter().any(|h| {
        h.is_empty()
            || !h
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) {
        return Err("malformed_authorization");
    }
    if !signed.contains(&SERVER_ID_HEADER) || !signed.contains(&"host") {
        return Err("server_id_not_signed");
    }
    if !signed.contains(&NONCE_HEADER) {
        return Err("nonce_not_signed");
    }
    match req.headers.single(SERVER_ID_HEADER)? {
        Some(v) if crate::primitives::crypto::ct_eq(v.as_bytes(), server_id.as_bytes()) => {}
        Some(_) => return Err("wrong_server_id"),
        None => return Err("no_server_id"),
    }
    if req.headers.single(NONCE_HEADER)?.is_none_or(str::is_empty) {
        return Err("no_nonce");
    }
    let epoch = parse_amz_date(date).ok_or("bad_date")?;
    if (now - epoch).abs() > PRESIGN_MAX_SKEW_SECS {
        return Err("stale_date");
    }
    if !valid_credential(credential, date) {
        return Err("bad_credential");
    }
    if !is_signature(signature) {
        return Err("bad_signature");
    }
    Ok(CheckedPresign {
        credential: credential.to_owned(),
        date: epoch,
        signature: signature.to_owned(),
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

    fn check(req: &PresignedRequest) -> std::result::Result<CheckedPresign, &'static str> {
        check_presigned(req, EP, "https://gh", parse_amz_date(NOW).unwrap())
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
