//! Gatehouse: the authentication and authorization layer shared by the Lambda functions.
//!
//! Pure logic (parsing, verification, route rules) builds without the AWS SDK; the
//! `aws` feature (on by default) adds the adapters and the Lambda handlers. The layers
//! and the folder map are described in `docs/ARCHITECTURE.md`.

// Without the `aws` feature (the fuzz crate's build) the functions and adapters are
// absent, so what only they use is unused there; the default build still reports dead
// code.
#![cfg_attr(
    not(feature = "aws"),
    allow(dead_code, reason = "items only the aws-gated functions use")
)]

pub mod answers;
pub mod authz;
pub mod config;
pub mod credentials;
pub mod error;
pub mod functions;
pub mod http;
pub mod primitives;
pub mod records;
pub mod requests;

#[cfg(feature = "aws")]
pub mod adapters;

#[cfg(test)]
mod test_log;

pub use error::{Error, Result};
