//! Administrator identity: who signed an STS `GetCallerIdentity` request, and whether
//! that IAM user is in the admin group. Two ways to prove it:
//!
//! a. submitted credentials: the function calls STS signed with them (kept in memory
//!    for that call only; never stored, logged or echoed);
//! b. a presigned `GetCallerIdentity` request, with signed `x-gatehouse-server-id` and
//!    `x-gatehouse-nonce` headers and a fresh `X-Amz-Date`, strictly parsed and
//!    forwarded (an allow-list of its headers) to the configured STS endpoint only; the
//!    function never sees a secret.

mod presigned;
mod session;

pub use presigned::{HeaderList, PresignedRequest, RepeatedHeader};
pub use session::{AdminSession, AdminStore, SessionInfo};

use std::future::Future;

use secrecy::SecretString;

use crate::error::Result;

/// IAM's pattern for group names: `[\w+=,.@-]+`, 1-128 characters.
pub(crate) fn valid_group_name(name: &str) -> bool {
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
pub(crate) fn user_of_arn<'a>(arn: &'a str, account: &str) -> Option<&'a str> {
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
    fn submitted_keys_debug_hides_the_secret() {
        let k = SubmittedKeys {
            access_key_id: "AKIA1".into(),
            secret_access_key: "s3cr3t".to_owned().into(),
            session_token: None,
        };
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}
