//! The admin function's answers. Secrets in them (a new key, a client secret, the CSRF
//! token) are shown in that one answer only.

use serde::Serialize;

use crate::credentials::admin::SessionInfo;
use crate::credentials::apikey::ApiKeyRecord;
use crate::credentials::clients::ClientSummary;
use crate::credentials::keys::{RotationKind, RotationOutcome};
use crate::credentials::users::{User, UserStatus};

/// `POST /admin/signin`: the session (cookie `__Host-gh_admin`) and its CSRF token,
/// sent as `x-csrf-token` on every state-changing admin call.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedIn {
    #[serde(rename = "userName")]
    pub user_name: String,
    #[serde(rename = "csrfToken")]
    pub csrf_token: String,
    /// When the session ends (seconds since the epoch).
    pub expires_at: i64,
}

/// `GET /admin/console/config`: what the console needs to sign a presigned STS
/// `GetCallerIdentity` request in the browser; nothing secret.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleConfig {
    /// The value the signed `x-gatehouse-server-id` header must carry.
    pub server_id: String,
    /// The only STS endpoint a presigned request may name.
    pub sts_endpoint: String,
    /// The region STS requests are signed for.
    pub region: String,
    /// Members of this IAM group may sign in.
    pub group_name: String,
}

/// `POST /admin/console/handoff`: a one-time code for the console
/// (`<url>/admin/console#handoff=<code>`), shown once.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handoff {
    /// 256-bit random, stored only as its SHA-256; single use.
    pub code: String,
    /// When it stops working (seconds since the epoch).
    pub expires_at: i64,
}

/// `POST /admin/signout`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedOut {
    /// Always `true`.
    pub signed_out: bool,
}

/// One API key as the admin API lists it: never its value or hash.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub disabled: bool,
    /// The last four characters of the secret.
    pub last4: String,
    /// Approximate (written at most once per cache period).
    pub last_used: Option<i64>,
}

impl From<ApiKeyRecord> for KeyInfo {
    fn from(k: ApiKeyRecord) -> Self {
        KeyInfo {
            id: k.id,
            name: k.name,
            scopes: k.scopes,
            created_at: k.created_at,
            expires_at: k.expires_at,
            disabled: k.disabled,
            last4: k.last4,
            last_used: k.last_used,
        }
    }
}

/// `GET /admin/keys`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
}

/// `POST /admin/keys`: the new key, whose value is in this answer only.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    /// `gk_<id>_<secret>`, sent as `x-api-key`.
    pub key: String,
    pub id: String,
    pub scopes: Vec<String>,
    pub last4: String,
}

/// `POST /admin/keys/disable`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyDisabled {
    pub id: String,
    /// Always `true`.
    pub disabled: bool,
}

/// `POST /admin/keys/delete`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyDeleted {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// `GET /admin/clients`: never a secret or a hash.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientListing {
    pub clients: Vec<ClientSummary>,
}

/// `POST /admin/clients`: the new client, whose secret is in this answer only.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedClient {
    /// The client's position in `CLIENT_SECRETS` (1-based).
    pub client_id: String,
    /// 64 hex characters; stored only as its SHA-256.
    pub client_secret: String,
}

/// `POST /admin/clients/disable`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientDisabled {
    pub client_id: String,
    /// Always `true`.
    pub disabled: bool,
}

/// `GET /admin/sessions`: the live widget and admin sessions.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionListing {
    pub sessions: Vec<SessionInfo>,
}

/// `POST /admin/sessions/revoke` and `/admin/sessions/revoke-user`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    /// How many sessions were deleted.
    pub revoked: u64,
}

/// `POST /admin/signing-keys/rotate`: what the rotation did.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rotated {
    pub outcome: RotationKind,
    pub current_kid: String,
    pub next_kid: String,
    /// Kids that left the ring (a forced rotation drops them all at once).
    pub dropped_kids: Vec<String>,
    /// How long a warm instance may still trust a dropped kid (`KEY_RING_REFRESH`).
    pub trusted_for_at_most_s: u64,
}

impl Rotated {
    pub fn new(outcome: RotationOutcome, key_ring_refresh: std::time::Duration) -> Self {
        Rotated {
            outcome: outcome.kind,
            current_kid: outcome.current_kid,
            next_kid: outcome.next_kid,
            dropped_kids: outcome.dropped_kids,
            trusted_for_at_most_s: key_ring_refresh.as_secs(),
        }
    }
}

// People (README "People"): what the user routes answer.

/// One user as an administrator lists it: never the password hash or the sessions.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserEntry {
    #[serde(flatten)]
    pub user: crate::answers::users::UserInfo,
    pub status: UserStatus,
    pub created_at: i64,
}

impl From<&User> for UserEntry {
    fn from(u: &User) -> Self {
        UserEntry {
            user: u.into(),
            status: u.status,
            created_at: u.created_at,
        }
    }
}

/// `GET /admin/users`: one page of a search.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserListing {
    pub users: Vec<UserEntry>,
    /// Pass it as `cursor` (with the same `q`) for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `POST /admin/users/disable` and `/admin/users/enable`: the user's status now.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserStatusChanged {
    pub user_id: String,
    pub status: UserStatus,
}

/// `POST /admin/users/delete`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDeleted {
    pub user_id: String,
    /// Always `true`.
    pub deleted: bool,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::credentials::keys::{KeyRing, SigningAlg};

    #[test]
    fn rotation_answer_is_structured_json() {
        let (old, _) = KeyRing::rotate(None, SigningAlg::ES256, 0, 0, false).unwrap();
        let (new, o) = KeyRing::rotate(Some(&old), SigningAlg::ES256, 5, 0, true).unwrap();
        let a = serde_json::to_value(Rotated::new(o, Duration::from_secs(300))).unwrap();
        assert_eq!(a["outcome"], "emergency_rotated");
        assert_eq!(a["current_kid"], new.current.kid.as_str());
        assert_eq!(a["next_kid"], new.next.kid.as_str());
        assert_eq!(a["dropped_kids"].as_array().unwrap().len(), 2);
        assert_eq!(a["trusted_for_at_most_s"], 300);
        assert_eq!(a.as_object().unwrap().len(), 5, "{a}");
        let (_, o) = KeyRing::rotate(Some(&new), SigningAlg::ES256, 5, 0, false).unwrap();
        assert_eq!(
            serde_json::to_value(Rotated::new(o, Duration::from_secs(1))).unwrap()["outcome"],
            "rotated"
        );
        let (_, o) = KeyRing::rotate(None, SigningAlg::ES256, 5, 0, true).unwrap();
        assert_eq!(
            serde_json::to_value(Rotated::new(o, Duration::from_secs(1))).unwrap()["outcome"],
            "created"
        );
    }
}
