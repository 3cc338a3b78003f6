//! HTTP plumbing shared by every function: JSON responses with security headers, JSON
//! errors, the issuer rule, the authorizer's context, and (with `aws`) the glue that
//! turns a [`Handler`] into a `lambda_http` service.

mod issuer;
mod response;

pub use issuer::issuer_from;
pub use response::{
    CONSOLE_CSP, Response, append_cookie, asset, clear_session_cookie, clear_user_cookie, empty,
    error, header_value, json, json_text, session_cookie, user_cookie,
};

#[cfg(feature = "aws")]
mod context;
#[cfg(feature = "aws")]
mod handler;

#[cfg(feature = "aws")]
pub use context::{PRINCIPAL_KEYS, authorizer_context};
#[cfg(feature = "aws")]
pub use handler::{Handler, respond, run, service, source_ip};
#[cfg(feature = "aws")]
pub use issuer::issuer;
