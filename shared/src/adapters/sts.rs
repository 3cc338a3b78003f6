//! STS and IAM for the admin sign-in: [`AwsIdentity`] and the presigned-request
//! forwarding.

use std::time::Duration;

use aws_sdk_iam::error::ProvideErrorMetadata;
use secrecy::ExposeSecret;

use crate::credentials::admin::{AdminIdentity, HeaderList, PresignedRequest, SubmittedKeys};
use crate::error::{Error, Result};
use crate::primitives::metrics::Service;
use crate::requests::presign::{NONCE_HEADER, SERVER_ID_HEADER, forwarded_headers};

/// The ARN of a `GetCallerIdentity` answer, read as that document (the decoder the
/// SDK uses for STS): the root is `GetCallerIdentityResponse`, holding one
/// `GetCallerIdentityResult` with one non-empty `Arn`. Anything else (an error
/// document, an `Arn` elsewhere, two of them) is `None`.
pub(crate) fn arn_from_caller_identity(xml: &str) -> Option<String> {
    use aws_smithy_xml::decode::{Document, try_data};
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().ok()?;
    if !root.start_el().matches("GetCallerIdentityResponse") {
        return None;
    }
    let mut arn = None;
    let mut results = 0;
    while let Some(mut tag) = root.next_tag() {
        if !tag.start_el().matches("GetCallerIdentityResult") {
            continue;
        }
        results += 1;
        while let Some(mut field) = tag.next_tag() {
            if field.start_el().matches("Arn") {
                let value = try_data(&mut field).ok()?.trim().to_owned();
                if arn.replace(value).is_some() {
                    return None;
                }
            }
        }
    }
    arn.filter(|a| results == 1 && !a.is_empty())
}

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
    let nonce = hex::encode(crate::primitives::crypto::random_bytes(16));
    presign_with_nonce(creds, region, sts_url, server_id, at, &nonce)
}

/// [`presign_get_caller_identity`] with the time and the nonce as inputs: the signer
/// the console's browser signer is checked against (a committed vector,
/// `tests/fixtures/sigv4-golden.json`).
pub fn presign_with_nonce(
    creds: &aws_credential_types::Credentials,
    region: &str,
    sts_url: &str,
    server_id: &str,
    at: std::time::SystemTime,
    nonce: &str,
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
        (NONCE_HEADER.to_owned(), nonce.to_owned()),
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
    http: crate::adapters::sdk::LazyHttp,
}

impl AwsIdentity {
    pub fn new(sdk: &aws_config::SdkConfig) -> Result<Self> {
        Self::from_clients(
            crate::adapters::sdk::sts(sdk),
            crate::adapters::sdk::iam(sdk),
        )
    }

    /// With given SDK clients (tests inject faults this way).
    pub fn from_clients(sts: aws_sdk_sts::Client, iam: aws_sdk_iam::Client) -> Result<Self> {
        // Built on the first presigned sign-in (mode b), not at init.
        let http = crate::adapters::sdk::LazyHttp::new(|| {
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
                    Err(Error::dependency(Service::Sts, e))
                }
            }
        }
    }

    async fn caller_from_presigned(&self, req: &PresignedRequest) -> Result<String> {
        let method = reqwest::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| Error::bad_request("bad method"))?;
        let mut out = self.http.get()?.request(method, &req.url);
        for (k, v) in forwarded_headers(req) {
            out = out.header(k, v);
        }
        if let Some(b) = &req.body {
            out = out.body(b.clone());
        }
        crate::primitives::metrics::record(crate::primitives::metrics::Service::Sts);
        // A transport error names the URL, which may carry the signature: dropped.
        let transport = |e: reqwest::Error| Error::dependency(Service::Sts, e.without_url());
        let resp = out.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(transport)?;
        match status {
            200 => arn_from_caller_identity(&text).ok_or(Error::Unauthorized("no_arn")),
            400 | 401 | 403 => Err(Error::Unauthorized("presigned_request_rejected")),
            _ => Err(Error::dependency(
                Service::Sts,
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
                Err(e) => return Err(Error::dependency(Service::Iam, e)),
            };
            if page.groups().iter().any(|g| g.group_name() == group) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sts_answer_is_read_as_a_get_caller_identity_response() {
        let ok = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/alice</Arn>
    <UserId>AIDA</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#;
        assert_eq!(
            arn_from_caller_identity(ok).as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        // An `<Arn>` outside the result, before the real one, is not the caller (the
        // first `<Arn>` of the text used to be taken).
        let decoy = "<GetCallerIdentityResponse><ResponseMetadata><Arn>arn:aws:iam::123456789012:user/admin</Arn></ResponseMetadata><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>";
        assert_eq!(
            arn_from_caller_identity(decoy).as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        for bad in [
            // Another document that happens to hold an `<Arn>`.
            "<ErrorResponse><Arn>arn:aws:iam::123456789012:user/alice</Arn></ErrorResponse>",
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn><Arn>b</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult><GetCallerIdentityResult><Arn>b</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
            "<GetCallerIdentityResponse><GetCallerIdentityResult></GetCallerIdentityResult></GetCallerIdentityResponse>",
            "not xml",
        ] {
            assert_eq!(arn_from_caller_identity(bad), None, "{bad}");
        }
    }
}
