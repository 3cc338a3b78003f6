//! What the application routes answer (README "Applications and sharing").

use serde::Serialize;

pub use crate::authz::apps::{App, AppGrant, Visibility};

/// `GET /apps/grants`: every grant of one app.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantList {
    pub grants: Vec<AppGrant>,
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
