//! Why a request was denied: machine-readable reasons (logged, never the credential).

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
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
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
        }
    }
}
