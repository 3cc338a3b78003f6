//! Why a request was denied: machine-readable reasons (logged, never the credential),
//! and [`Verdict`], the answer of a check that may also fail on a dependency.

/// A machine-readable reason for a denial; logged, never the credential itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    NoCredential,
    AmbiguousCredentials,
    MalformedCredential,
    UnknownKey,
    WrongSecret,
    Disabled,
    Expired,
    UnsupportedCredential,
    RouteNotAllowed,
    CredentialNotAllowed,
    InsufficientScope,
    SuspiciousPath,
    MalformedEvent,
    InvalidToken,
    WrongAudience,
    WrongOrigin,
    PathAlias,
    MissingRouteParameter,
    /// An app-bearing rule without a valid app id in the request.
    BadAppId,
    /// No such app.
    UnknownApp,
    /// A shared app the user neither owns nor holds a grant on.
    NoGrant,
    /// A widget credential for another app.
    WrongApp,
}

impl DenyReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DenyReason::NoCredential => "no_credential",
            DenyReason::AmbiguousCredentials => "ambiguous_credentials",
            DenyReason::MalformedCredential => "malformed_credential",
            DenyReason::UnknownKey => "unknown_key",
            DenyReason::WrongSecret => "wrong_secret",
            DenyReason::Disabled => "disabled",
            DenyReason::Expired => "expired",
            DenyReason::UnsupportedCredential => "unsupported_credential",
            DenyReason::RouteNotAllowed => "route_not_allowed",
            DenyReason::CredentialNotAllowed => "credential_not_allowed",
            DenyReason::InsufficientScope => "insufficient_scope",
            DenyReason::SuspiciousPath => "suspicious_path",
            DenyReason::MalformedEvent => "malformed_event",
            DenyReason::InvalidToken => "invalid_token",
            DenyReason::WrongAudience => "wrong_audience",
            DenyReason::WrongOrigin => "wrong_origin",
            DenyReason::PathAlias => "path_alias",
            DenyReason::MissingRouteParameter => "missing_route_parameter",
            DenyReason::BadAppId => "bad_app_id",
            DenyReason::UnknownApp => "unknown_app",
            DenyReason::NoGrant => "no_grant",
            DenyReason::WrongApp => "wrong_app",
        }
    }
}

/// The answer of a check that may also fail on a dependency: `Err` is the dependency
/// failure (fail closed: never an Allow, never a cacheable Deny), `Ok(Err(reason))` a
/// denial, `Ok(Ok(value))` a pass.
pub type Verdict<T> = crate::error::Result<Result<T, DenyReason>>;

/// The denial `reason` as a [`Verdict`].
pub fn deny<T>(reason: DenyReason) -> Verdict<T> {
    Ok(Err(reason))
}

/// The value of a `Result<T, DenyReason>`, or an early `return Ok(Err(reason))` from the
/// enclosing function (which answers a [`Verdict`]): `?` for denials, so checks read
/// flat while dependency failures still propagate with `?` as `Err`.
macro_rules! or_deny {
    ($check:expr) => {
        match $check {
            Ok(value) => value,
            Err(reason) => return Ok(Err(reason)),
        }
    };
}
pub(crate) use or_deny;
