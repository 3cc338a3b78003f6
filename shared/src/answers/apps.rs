//! What the application routes answer (README "Applications and sharing").

use serde::Serialize;

pub use crate::authz::apps::{App, AppGrant, Visibility};

/// `GET /apps/grants`: every grant of one app.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantList {
    pub grants: Vec<AppGrant>,
}

/// `POST /apps/grants/add`: the grant, and whether this grant invited its user (a grant
/// by e-mail to an address without an account creates an invited end user and mails
/// the address an invite; the answer never holds the link or its token).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantAdded {
    #[serde(flatten)]
    pub grant: AppGrant,
    /// `true`: the user was created by this grant and an invite was mailed to it.
    pub invited: bool,
}

/// `POST /apps/grants/remove`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantRemoved {
    pub removed: bool,
}

/// Why a user may open an app it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListedAccess {
    Owner,
    Grant,
    Public,
}

/// One app of `GET /users/me/apps`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyApp {
    pub app_id: String,
    pub name: String,
    pub visibility: Visibility,
    pub owner: String,
    pub access: ListedAccess,
}

/// `GET /users/me/apps`: the public apps, those granted to the caller and those it
/// owns, each once (by the strongest reason: owner, then grant, then public).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyApps {
    pub apps: Vec<MyApp>,
}

/// `GET /admin/apps`: every app.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppListing {
    pub apps: Vec<App>,
}

/// `POST /admin/apps/explain`: what decides a user's request on a route, and what the
/// backend would receive (the authorizer's own decision, from consistent reads).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessExplained {
    /// `allow` or `deny`.
    pub decision: String,
    /// Why it was denied (the authorizer's deny reason, e.g. `no_grant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The route rule that decided (absent: none matched, or the path was refused).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<serde_json::Value>,
    /// The app id the rule took (from the route's path or `app_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_app_id: Option<String>,
    /// The app's visibility, when the rule read it and it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// The user's grant, when the rule read it and it exists (read only for a shared app
    /// the user does not own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<AppGrant>,
    /// The authorizer context the backend would receive on an allow.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
}
