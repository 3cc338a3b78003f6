//! What lives in the DynamoDB table: its typed keys, which function may touch which
//! records, and the protocols on shared records (one-time values, locks, rate counters, the users' lockout).

pub mod access;
pub mod key;
pub mod lock;
pub mod lockout;
pub mod once;
pub mod quota;
pub mod rate;
mod request;

pub use key::{Key, prefix};
