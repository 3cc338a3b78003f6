//! The widget function's answers.

use serde::Serialize;

/// `POST /widget/generateToken`: a one-time temp token (mode 1).
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TempTokenAnswer {
    /// Redeemed once at `POST /widget/loginToken`.
    pub token: String,
    /// Seconds until the temp token expires.
    pub expires_in: i64,
}

/// `POST /widget/loginToken`: the session opened (the cookie `__Host-gh_session` is
/// set).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetSessionAnswer {
    pub userid: String,
    /// When the session ends (seconds since the epoch).
    pub expires_at: i64,
}

/// `POST /widget/login/token`: a widget security token (mode 3) and the API base URL
/// the widget calls with it.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityTokenAnswer {
    /// A JWT with `aud` `widget` and scope `client`.
    pub token: String,
    /// The issuer: the API base URL.
    pub domain: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// `POST /widget/logout`: the session is gone and the cookie cleared.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggedOut {
    /// Always `true`.
    pub logged_out: bool,
}
