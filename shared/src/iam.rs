//! Administrator identity: who signed an STS `GetCallerIdentity` request, and whether
//! that IAM user is in the admin group. Two ways to prove it:
//!
//! a. submitted credentials: the function calls STS signed with them (kept in memory
//!    for that call only; never stored, logged or echoed);
//! b. a presigned `GetCallerIdentity` request, with a signed `x-gatehouse-server-id`
//!    header and a fresh `X-Amz-Date`, forwarded to the configured STS endpoint only;
//!    the function never sees a secret.

use std::future::Future;

use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::error::Result;

/// Header that binds a presigned request to one Gatehouse deployment.
pub const SERVER_ID_HEADER: &str = "x-gatehouse-server-id";
/// Random value the CLI signs into each presigned request.
pub const NONCE_HEADER: &str = "x-gatehouse-nonce";
/// Largest clock difference accepted for a presigned request's `X-Amz-Date`.
pub const PRESIGN_MAX_SKEW_SECS: i64 = 60;
/// STS accepts a signature for at most 15 minutes; the redeemed marker lives that long.
pub const PRESIGN_REPLAY_WINDOW_SECS: i64 = 15 * 60;

/// IAM's pattern for group names: `[\w+=,.@-]+`, 1-128 characters.
pub fn valid_group_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// IAM's pattern for user names (same alphabet, 1-64 characters).
pub fn valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// The IAM user an ARN names, if it is a user of `account`:
/// `arn:aws:iam::<account>:user/<path/><name>`. Roles, assumed roles, root and other
/// accounts are `None`.
pub fn user_of_arn<'a>(arn: &'a str, account: &str) -> Option<&'a str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service, region, acct, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if prefix != "arn"
        || !partition.starts_with("aws")
        || service != "iam"
        || !region.is_empty()
        || acct != account
    {
        return None;
    }
    let name = resource.strip_prefix("user/")?.rsplit('/').next()?;
    valid_user_name(name).then_some(name)
}

/// Submitted AWS credentials (mode a). Debug never shows the secret.
pub struct SubmittedKeys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
}

impl std::fmt::Debug for SubmittedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmittedKeys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Header pairs in the order given, duplicates kept (a JSON object may repeat a key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<HeaderList, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(HeaderList(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl serde::Serialize for HeaderList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl HeaderList {
    /// The single value of `name` (case-insensitive); `Err` if repeated.
    pub fn single(&self, name: &str) -> std::result::Result<Option<&str>, &'static str> {
        let mut it = self.0.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
        match (it.next(), it.next()) {
            (Some(_), Some(_)) => Err("duplicated_security_header"),
            (Some((_, v)), None) => Ok(Some(v.as_str())),
            (None, _) => Ok(None),
        }
    }
}

/// A presigned `GetCallerIdentity` request as the client sends it (mode b).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: HeaderList,
    #[serde(default)]
    pub body: Option<String>,
}

/// What the function checked of a presigned request before forwarding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPresign {
    /// The value whose hash marks this request as used.
    pub signature: String,
}

fn query_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

fn single<'a>(
    pairs: &'a [(String, String)],
    name: &str,
) -> std::result::Result<Option<&'a str>, &'static str> {
    let mut it = pairs.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
    match (it.next(), it.next()) {
        (Some(_), Some(_)) => Err("duplicated_parameter"),
        (Some((_, v)), None) => Ok(Some(v.as_str())),
        (None, _) => Ok(None),
    }
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
/// action `GetCallerIdentity` only, SigV4 with `x-gatehouse-server-id` (equal to
/// `server_id`) and `host` among the signed headers, `X-Amz-Date` within 60 s of `now`,
/// no duplicated security header or parameter. The reason of a refusal is a fixed code.
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
    let action = match (single(&query, "Action")?, single(&body, "Action")?) {
        (Some(a), None) | (None, Some(a)) => a,
        _ => return Err("not_get_caller_identity"),
    };
    if action != "GetCallerIdentity" {
        return Err("not_get_caller_identity");
    }
    for h in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        SERVER_ID_HEADER,
        "host",
        "x-amz-content-sha256",
    ] {
        req.headers.single(h)?;
    }
    // SigV4 either in the Authorization header or in the query (presigned URL).
    let (signed_headers, signature, date) = match req.headers.single("authorization")? {
        Some(auth) => {
            if single(&query, "X-Amz-Signature")?.is_some() {
                return Err("signed_twice");
            }
            let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or("not_sigv4")?;
            let field = |name: &str| {
                rest.split(',')
                    .map(str::trim)
                    .find_map(|p| p.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            };
            (
                field("SignedHeaders").ok_or("not_sigv4")?.to_owned(),
                field("Signature").ok_or("not_sigv4")?.to_owned(),
                req.headers
                    .single("x-amz-date")?
                    .ok_or("no_date")?
                    .to_owned(),
            )
        }
        None => {
            if single(&query, "X-Amz-Algorithm")? != Some("AWS4-HMAC-SHA256") {
                return Err("not_sigv4");
            }
            (
                single(&query, "X-Amz-SignedHeaders")?
                    .ok_or("not_sigv4")?
                    .to_owned(),
                single(&query, "X-Amz-Signature")?
                    .ok_or("not_sigv4")?
                    .to_owned(),
                single(&query, "X-Amz-Date")?.ok_or("no_date")?.to_owned(),
            )
        }
    };
    let signed: Vec<&str> = signed_headers.split(';').collect();
    if !signed.contains(&SERVER_ID_HEADER) || !signed.contains(&"host") {
        return Err("server_id_not_signed");
    }
    match req.headers.single(SERVER_ID_HEADER)? {
        Some(v) if crate::crypto::ct_eq(v.as_bytes(), server_id.as_bytes()) => {}
        Some(_) => return Err("wrong_server_id"),
        None => return Err("no_server_id"),
    }
    let date = parse_amz_date(&date).ok_or("bad_date")?;
    if (now - date).abs() > PRESIGN_MAX_SKEW_SECS {
        return Err("stale_date");
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not_sigv4");
    }
    Ok(CheckedPresign { signature })
}

/// The calls the admin sign-in makes to AWS.
pub trait AdminIdentity: Send + Sync {
    /// ARN of whoever `keys` belong to (STS `GetCallerIdentity` signed with them).
    /// Rejected credentials are `Error::Unauthorized`; an unreachable STS is a
    /// dependency error.
    fn caller_with_keys(&self, keys: &SubmittedKeys)
    -> impl Future<Output = Result<String>> + Send;
    /// Forwards a checked presigned request to STS; the ARN it answers with.
    fn caller_from_presigned(
        &self,
        req: &PresignedRequest,
    ) -> impl Future<Output = Result<String>> + Send;
    /// Whether `user` is in `group` (IAM `ListGroupsForUser`, every page).
    fn in_group(&self, user: &str, group: &str) -> impl Future<Output = Result<bool>> + Send;
}

/// Reads the `<Arn>` of a `GetCallerIdentity` XML answer.
pub fn arn_from_xml(xml: &str) -> Option<String> {
    let start = xml.find("<Arn>")? + 5;
    let end = start + xml[start..].find("</Arn>")?;
    Some(xml[start..end].trim().to_owned())
}

#[cfg(feature = "aws")]
pub use adapters::{AwsIdentity, presign_get_caller_identity};

#[cfg(feature = "aws")]
mod adapters {
    use std::time::Duration;

    use aws_sdk_iam::error::ProvideErrorMetadata;
    use secrecy::ExposeSecret;

    use super::*;
    use crate::error::Error;

    /// Signs an STS `GetCallerIdentity` request (SigV4, in the `Authorization` header)
    /// with a signed `x-gatehouse-server-id` header, for the admin sign-in (mode b).
    /// The signature proves the caller holds the key; the secret never leaves here.
    pub fn presign_get_caller_identity(
        creds: &aws_credential_types::Credentials,
        region: &str,
        sts_url: &str,
        server_id: &str,
        at: std::time::SystemTime,
    ) -> Result<PresignedRequest> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let url = format!("{}/", sts_url.trim_end_matches('/'));
        let body = "Action=GetCallerIdentity&Version=2011-06-15".to_owned();
        let mut headers = vec![
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            (SERVER_ID_HEADER.to_owned(), server_id.to_owned()),
            // Signed too: two sign-ins in the same second must not share a signature
            // (the second would be refused as a replay).
            (
                NONCE_HEADER.to_owned(),
                hex::encode(crate::crypto::random_bytes(16)),
            ),
        ];
        let identity = creds.clone().into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("sts")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Error::Internal(format!("signing parameters: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| Error::Internal(format!("signing: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| Error::Internal(format!("signing: {e}")))?
            .into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(PresignedRequest {
            method: "POST".into(),
            url,
            headers: HeaderList(headers),
            body: Some(body),
        })
    }

    /// STS and IAM through the AWS SDK; presigned requests through a plain HTTPS client.
    pub struct AwsIdentity {
        /// Base STS client: each mode-a call signs with a copy holding the submitted keys.
        sts: aws_sdk_sts::Client,
        iam: aws_sdk_iam::Client,
        http: crate::aws::LazyHttp,
    }

    impl AwsIdentity {
        pub fn new(sdk: &aws_config::SdkConfig) -> Result<Self> {
            Self::from_clients(crate::aws::sts(sdk), crate::aws::iam(sdk))
        }

        /// With given SDK clients (tests inject faults this way).
        pub fn from_clients(sts: aws_sdk_sts::Client, iam: aws_sdk_iam::Client) -> Result<Self> {
            // Built on the first presigned sign-in (mode b), not at init.
            let http = crate::aws::LazyHttp::new(|| {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .timeout(Duration::from_secs(4))
                    .redirect(reqwest::redirect::Policy::none())
            });
            Ok(AwsIdentity { sts, iam, http })
        }
    }

    /// STS's answers to bad credentials; anything else is STS failing.
    fn credential_rejected(code: Option<&str>, status: u16) -> bool {
        status == 403
            || matches!(
                code,
                Some(
                    "InvalidClientTokenId"
                        | "SignatureDoesNotMatch"
                        | "AccessDenied"
                        | "ExpiredToken"
                        | "IncompleteSignature"
                )
            )
    }

    impl AdminIdentity for AwsIdentity {
        async fn caller_with_keys(&self, keys: &SubmittedKeys) -> Result<String> {
            let creds = aws_sdk_sts::config::Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.expose_secret().to_owned(),
                keys.session_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned()),
                None,
                "gatehouse-admin-signin",
            );
            let conf = self
                .sts
                .config()
                .to_builder()
                .credentials_provider(creds)
                .build();
            let sts = aws_sdk_sts::Client::from_conf(conf);
            match sts.get_caller_identity().send().await {
                Ok(out) => out
                    .arn()
                    .map(str::to_owned)
                    .ok_or(Error::Unauthorized("no_arn")),
                Err(e) => {
                    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
                    if credential_rejected(e.code(), status) {
                        Err(Error::Unauthorized("credentials_rejected"))
                    } else {
                        Err(Error::dependency("sts", e))
                    }
                }
            }
        }

        async fn caller_from_presigned(&self, req: &PresignedRequest) -> Result<String> {
            let method = reqwest::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::bad_request("bad method"))?;
            let mut out = self.http.get()?.request(method, &req.url);
            for (k, v) in &req.headers.0 {
                if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
                    out = out.header(k, v);
                }
            }
            if let Some(b) = &req.body {
                out = out.body(b.clone());
            }
            crate::metrics::record(crate::metrics::Service::Sts);
            let resp = out.send().await.map_err(|e| Error::dependency("sts", e))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| Error::dependency("sts", e))?;
            match status {
                200 => arn_from_xml(&text).ok_or(Error::Unauthorized("no_arn")),
                400 | 401 | 403 => Err(Error::Unauthorized("presigned_request_rejected")),
                _ => Err(Error::dependency(
                    "sts",
                    format!("STS answered HTTP {status}"),
                )),
            }
        }

        async fn in_group(&self, user: &str, group: &str) -> Result<bool> {
            let mut pages = self
                .iam
                .list_groups_for_user()
                .user_name(user)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(p) => p,
                    Err(e) if e.code() == Some("NoSuchEntity") => return Ok(false),
                    Err(e) => return Err(Error::dependency("iam", e)),
                };
                if page.groups().iter().any(|g| g.group_name() == group) {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_users_of_this_account_only() {
        let acct = "123456789012";
        assert_eq!(
            user_of_arn("arn:aws:iam::123456789012:user/alice", acct),
            Some("alice")
        );
        assert_eq!(
            user_of_arn("arn:aws:iam::123456789012:user/ops/alice", acct),
            Some("alice")
        );
        for bad in [
            "arn:aws:iam::999999999999:user/alice",
            "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            "arn:aws:iam::123456789012:role/Admin",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:user/",
            "not an arn",
        ] {
            assert_eq!(user_of_arn(bad, acct), None, "{bad}");
        }
    }

    #[test]
    fn group_names_follow_iam() {
        assert!(valid_group_name("QrveyAdmin"));
        assert!(!valid_group_name("Qrvey Admin"));
        assert!(!valid_group_name(""));
        assert!(!valid_group_name(&"a".repeat(129)));
    }

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
            headers: HeaderList(
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            body: body.map(String::from),
        }
    }

    #[test]
    fn presigned_requests_are_screened() {
        let now = parse_amz_date("20261125T213000Z").unwrap();
        let sig = "a".repeat(64);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIA/20261125/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-gatehouse-server-id, Signature={sig}"
        );
        let good_headers = [
            ("Authorization", auth.as_str()),
            ("X-Amz-Date", "20261125T213000Z"),
            ("x-gatehouse-server-id", "https://gh"),
        ];
        let body = Some("Action=GetCallerIdentity&Version=2011-06-15");
        let ep = "https://sts.us-east-1.amazonaws.com";
        let ok = presigned("https://sts.us-east-1.amazonaws.com/", &good_headers, body);
        assert_eq!(
            check_presigned(&ok, ep, "https://gh", now),
            Ok(CheckedPresign {
                signature: sig.clone()
            })
        );
        let cases: Vec<(PresignedRequest, &str)> = vec![
            (
                presigned("https://evil.example/", &good_headers, body),
                "not_the_sts_endpoint",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com.evil.example/",
                    &good_headers,
                    body,
                ),
                "not_the_sts_endpoint",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/",
                    &good_headers,
                    Some("Action=AssumeRole&Version=2011-06-15"),
                ),
                "not_get_caller_identity",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/?Action=AssumeRole",
                    &good_headers,
                    body,
                ),
                "not_get_caller_identity",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/",
                    &[good_headers[0], good_headers[1]],
                    body,
                ),
                "no_server_id",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/",
                    &[
                        good_headers[0],
                        good_headers[1],
                        ("x-gatehouse-server-id", "https://other"),
                    ],
                    body,
                ),
                "wrong_server_id",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/",
                    &[
                        good_headers[0],
                        good_headers[1],
                        good_headers[2],
                        ("X-Gatehouse-Server-Id", "https://gh"),
                    ],
                    body,
                ),
                "duplicated_security_header",
            ),
            (
                presigned(
                    "https://sts.us-east-1.amazonaws.com/",
                    &[
                        good_headers[0],
                        ("X-Amz-Date", "20261125T212800Z"),
                        good_headers[2],
                    ],
                    body,
                ),
                "stale_date",
            ),
        ];
        for (req, reason) in cases {
            assert_eq!(
                check_presigned(&req, ep, "https://gh", now),
                Err(reason),
                "{req:?}"
            );
        }
        let unsigned = auth.replace(";x-gatehouse-server-id", "");
        let req = presigned(
            "https://sts.us-east-1.amazonaws.com/",
            &[
                ("Authorization", &unsigned),
                good_headers[1],
                good_headers[2],
            ],
            body,
        );
        assert_eq!(
            check_presigned(&req, ep, "https://gh", now),
            Err("server_id_not_signed")
        );
    }

    #[test]
    fn xml_arn() {
        let xml = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/a</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>";
        assert_eq!(arn_from_xml(xml).as_deref(), Some("arn:aws:iam::1:user/a"));
        assert_eq!(arn_from_xml("<x/>"), None);
    }

    #[test]
    fn submitted_keys_debug_hides_the_secret() {
        let k = SubmittedKeys {
            access_key_id: "AKIA1".into(),
            secret_access_key: "s3cr3t".to_owned().into(),
            session_token: None,
        };
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}
