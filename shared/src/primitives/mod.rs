//! Primitives every layer may use; they import nothing else from the crate.

pub mod cache;
pub mod clock;
pub mod crypto;
pub mod headers;
pub mod logging;
pub mod metrics;
pub mod time;
pub mod url;
