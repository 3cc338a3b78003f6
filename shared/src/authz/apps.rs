//! Applications (README "Applications and sharing"): what an app is and what a grant
//! gives, as the authorizer and the users and admin functions all read them. An app is
//! `public` (any signed-in user of the platform, never anonymous) or `shared` with the
//! users holding a grant; a grant may carry the widget permission schemas
//! ([`super::permissions`]). The store is `crate::credentials::apps`.

use serde::{Deserialize, Serialize};

use super::permissions::{AssetPermissions, Permission};

/// The longest app id.
pub const MAX_APP_ID: usize = 64;

/// An app id: `[A-Za-z0-9_-]{1,64}` (it appears in paths, headers and record keys). A
/// widget credential's `appid` outside this format never matches an app.
pub fn is_app_id(id: &str) -> bool {
    (1..=MAX_APP_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Who may open an app besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Any signed-in user of the platform.
    Public,
    /// Only the users it is shared with (a grant each).
    Shared,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Shared => "shared",
        }
    }

    pub fn parse(v: &str) -> Option<Visibility> {
        match v {
            "public" => Some(Visibility::Public),
            "shared" => Some(Visibility::Shared),
            _ => None,
        }
    }
}

/// An app (`app#<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    #[serde(rename = "app_id")]
    pub id: String,
    /// The owning creator's user id.
    pub owner: String,
    pub name: String,
    pub visibility: Visibility,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change (updates are conditional on it).
    #[serde(skip)]
    pub rev: u64,
}

/// A user's grant on an app (`grant#<app>#<user>` and `ugrant#<user>#<app>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppGrant {
    pub app_id: String,
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_permissions: Option<AssetPermissions>,
    /// The user id of the creator who granted it.
    pub granted_by: String,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_up_to_64_url_safe_characters() {
        for ok in ["a", "demo-app", "A_b-9", &"x".repeat(64)] {
            assert!(is_app_id(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "a/b",
            "a.b",
            "..",
            "a b",
            "é",
            "a%2e",
            "a#b",
        ] {
            assert!(!is_app_id(bad), "{bad}");
        }
    }
}
