//! The one error type. Each variant knows its HTTP status and its error code; messages
//! never contain a credential or a secret.

use http::StatusCode;

use crate::primitives::metrics::Service;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed or missing input (400).
    #[error("{0}")]
    BadRequest(String),
    /// Wrong `Content-Type` for the route (415).
    #[error("unsupported content type: expected {0}")]
    UnsupportedMediaType(&'static str),
    /// Body over the size limit (413).
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// No valid credential (401). The reason is a fixed code, never the credential.
    #[error("unauthorized")]
    Unauthorized(&'static str),
    /// A valid credential that may not do this, or a refused action (403). The reason is
    /// a fixed code, shown as the message (`signup_disabled`, `account_disabled`, ...).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request conflicts with the current state (409), e.g. a too-early rotation.
    #[error("{0}")]
    Conflict(String),
    /// OAuth: client authentication failed (401). `basic`: the client used HTTP Basic,
    /// so the answer carries `WWW-Authenticate`.
    #[error("client authentication failed")]
    InvalidClient { basic: bool },
    /// OAuth: the grant (code) is invalid, expired, or already used (400).
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// OAuth: the grant type is not supported or switched off (400).
    #[error("grant type not supported")]
    UnsupportedGrantType,
    /// Too many failed attempts (429); retry after this many seconds. `oauth`: on an
    /// RFC 6749 endpoint, the error code the answer carries (`invalid_client`,
    /// `invalid_grant`); `None` elsewhere (`too_many_requests`).
    #[error("too many failed attempts")]
    TooManyRequests {
        retry_after: i64,
        oauth: Option<&'static str>,
    },
    /// An admin request from another origin than the issuer's (403).
    #[error("requests from another origin are refused")]
    ForeignOrigin,
    /// Unknown route or resource (404).
    #[error("not found")]
    NotFound,
    /// A named resource that does not exist, or not for this caller (404): the reason
    /// is the message (`app_not_found`, `user_not_found`, `grant_not_found`).
    #[error("{0}")]
    Absent(&'static str),
    /// A dependency (DynamoDB, Secrets Manager, ...) failed: fail closed (503).
    #[error("{service} unavailable")]
    Dependency {
        service: Service,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A bounded resource had no free turn in time (the password hasher), or a record
    /// kept changing under concurrent requests (a user's session list): fail closed
    /// (503), retry shortly. The name says which, for logs.
    #[error("server busy: retry shortly")]
    Busy(&'static str),
    /// A configuration variable is missing or invalid; stops start-up.
    #[error("configuration error in {var}: {message}")]
    Config { var: &'static str, message: String },
    /// A bug or an impossible state (500).
    #[error("internal error")]
    Internal(String),
}

impl Error {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    pub(crate) fn dependency(
        service: Service,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Dependency {
            service,
            source: source.into(),
        }
    }

    pub(crate) fn config(var: &'static str, message: impl Into<String>) -> Self {
        Error::Config {
            var,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::ForeignOrigin => StatusCode::FORBIDDEN,
            Error::NotFound | Error::Absent(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            Error::InvalidGrant(_) | Error::UnsupportedGrantType => StatusCode::BAD_REQUEST,
            Error::Dependency { .. } | Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Config { .. } | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Machine-readable code for the JSON body's `error` field.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "invalid_request",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::PayloadTooLarge(_) => "payload_too_large",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound | Error::Absent(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::TooManyRequests { oauth, .. } => oauth.unwrap_or("too_many_requests"),
            Error::ForeignOrigin => "foreign_origin",
            Error::InvalidClient { .. } => "invalid_client",
            Error::InvalidGrant(_) => "invalid_grant",
            Error::UnsupportedGrantType => "unsupported_grant_type",
            Error::Dependency { .. } | Error::Busy(_) => "temporarily_unavailable",
            Error::Config { .. } | Error::Internal(_) => "server_error",
        }
    }

    /// The error with its source chain, for logs (never shown to callers). AWS SDK
    /// errors carry no credentials; Gatehouse's own messages never hold a secret.
    pub fn detail(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            out.push_str(": ");
            out.push_str(&s.to_string());
            source = s.source();
        }
        if let Error::Busy(resource) = self {
            out.push_str(": ");
            out.push_str(resource);
        }
        if let Error::Internal(m) = self {
            out.push_str(": ");
            out.push_str(m);
        }
        out
    }

    /// Whether this is an RFC 6749 error (its body also carries `error_description`).
    pub(crate) fn is_oauth(&self) -> bool {
        matches!(
            self,
            Error::BadRequest(_)
                | Error::InvalidClient { .. }
                | Error::InvalidGrant(_)
                | Error::UnsupportedGrantType
                | Error::TooManyRequests { oauth: Some(_), .. }
        )
    }

    /// Text safe to show the caller: internal details stay in the logs.
    pub(crate) fn public_message(&self) -> String {
        match self {
            Error::Config { .. } | Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_maps_to_status_and_code() {
        let io = std::io::Error::other("boom");
        let cases: Vec<(Error, u16, &str)> = vec![
            (Error::bad_request("x"), 400, "invalid_request"),
            (
                Error::UnsupportedMediaType("application/json"),
                415,
                "unsupported_media_type",
            ),
            (Error::PayloadTooLarge(16384), 413, "payload_too_large"),
            (Error::Unauthorized("r"), 401, "unauthorized"),
            (Error::Forbidden("r"), 403, "forbidden"),
            (Error::NotFound, 404, "not_found"),
            (Error::Conflict("x".into()), 409, "conflict"),
            (
                Error::TooManyRequests {
                    retry_after: 5,
                    oauth: None,
                },
                429,
                "too_many_requests",
            ),
            (
                Error::TooManyRequests {
                    retry_after: 5,
                    oauth: Some("invalid_grant"),
                },
                429,
                "invalid_grant",
            ),
            (Error::ForeignOrigin, 403, "foreign_origin"),
            (Error::InvalidClient { basic: true }, 401, "invalid_client"),
            (Error::InvalidGrant("x"), 400, "invalid_grant"),
            (Error::UnsupportedGrantType, 400, "unsupported_grant_type"),
            (
                Error::dependency(Service::DynamoDb, io),
                503,
                "temporarily_unavailable",
            ),
            (
                Error::Busy("password_hasher"),
                503,
                "temporarily_unavailable",
            ),
            (Error::config("X", "bad"), 500, "server_error"),
            (Error::Internal("bug".into()), 500, "server_error"),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.status().as_u16(), status, "{e:?}");
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn detail_includes_the_source_chain() {
        let e = Error::dependency(
            Service::DynamoDb,
            std::io::Error::other("connection refused"),
        );
        assert_eq!(e.detail(), "dynamodb unavailable: connection refused");
        assert_eq!(e.public_message(), "dynamodb unavailable");
    }

    #[test]
    fn internal_details_are_not_public() {
        assert_eq!(
            Error::Internal("secret detail".into()).public_message(),
            "internal error"
        );
        assert_eq!(
            Error::config("TABLE_NAME", "x").public_message(),
            "internal error"
        );
    }
}
