//! The admin function's variables: its IAM group, its account and the STS endpoint
//! presigned sign-ins go to (README "Administrators: AWS IAM sign-in").

use super::Vars;
use super::url::HttpsUrl;
use crate::error::{Error, Result};

/// `ADMIN_GROUP_NAME`, by default `QrveyAdmin`.
pub(super) fn group_name(var: &impl Vars) -> Result<String> {
    let group = var("ADMIN_GROUP_NAME").unwrap_or_else(|| "QrveyAdmin".to_owned());
    if !crate::credentials::admin::valid_group_name(&group) {
        return Err(Error::config(
            "ADMIN_GROUP_NAME",
            "must match IAM's group name pattern [\\w+=,.@-]{1,128} (no spaces)",
        ));
    }
    Ok(group)
}

/// `ADMIN_ACCOUNT_ID`, if set: 12 digits.
pub(super) fn account_id(var: &impl Vars) -> Result<Option<String>> {
    match var("ADMIN_ACCOUNT_ID") {
        Some(a) if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) => Err(Error::config(
            "ADMIN_ACCOUNT_ID",
            "must be a 12-digit AWS account id",
        )),
        account => Ok(account),
    }
}

/// `ADMIN_STS_ENDPOINT`, else `AWS_ENDPOINT_URL_STS`, else AWS's STS endpoint of
/// `AWS_REGION` (by default `us-east-1`).
pub(super) fn sts_endpoint(var: &impl Vars) -> Result<HttpsUrl> {
    match var("ADMIN_STS_ENDPOINT").or_else(|| var("AWS_ENDPOINT_URL_STS")) {
        Some(u) => HttpsUrl::parse(u.trim_end_matches('/'))
            .map_err(|e| Error::config("ADMIN_STS_ENDPOINT", e.to_string())),
        None => Ok(HttpsUrl::aws_sts(
            &var("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        )),
    }
}
