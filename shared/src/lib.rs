//! Gatehouse: the authentication and authorization layer shared by the Lambda functions.
//!
//! Pure logic (parsing, verification, route rules) builds without the AWS SDK; the
//! `aws` feature (on by default) adds the DynamoDB / Secrets Manager adapters and the
//! Lambda handlers. See `DESIGN.md` section 1 for the module map.

pub mod access;
pub mod admin_requests;
pub mod apikey;
pub mod authorizer;
pub mod authz;
pub mod clients;
pub mod codes;
pub mod config;
pub mod crypto;
pub mod error;
pub mod form;
pub mod http;
pub mod iam;
pub mod jwt;
pub mod keys;
pub mod lock;
pub mod metrics;
pub mod rate;
pub mod rotation;
pub mod secrets;
pub mod store;
pub mod widget;

#[cfg(test)]
mod test_log;

#[cfg(feature = "aws")]
pub mod admin;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod token;

pub use error::{Error, Result};

/// Seconds since the Unix epoch, from the system clock.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// JSON logs to stdout (CloudWatch), level from `RUST_LOG` (default `info`).
/// Never log headers, bodies or credentials: callers log reason codes only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}
