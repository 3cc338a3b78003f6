//! The identity-provider answers (README "Single sign-on"): a provider as stored, with
//! its client secret's last four characters only.

use serde::Serialize;

use crate::credentials::idps::Provider;

/// `GET /admin/idps`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdpListing {
    /// By id.
    pub idps: Vec<Provider>,
}

/// `POST /admin/idps/delete`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdpDeleted {
    pub id: String,
    pub deleted: bool,
}

/// `POST /admin/users/link-identity`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityLinked {
    pub user_id: String,
    pub idp: String,
    pub sub: String,
    pub linked: bool,
}

/// `GET /sso/providers`: an enabled provider as the sign-in page lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoProvider {
    pub id: String,
    pub display_name: String,
}

/// `GET /sso/providers`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoProviders {
    pub providers: Vec<SsoProvider>,
}
