//! What lives in the DynamoDB table: the record prefixes and which function may touch
//! them, and the protocols on shared records (locks, rate counters).

pub mod access;
pub mod lock;
pub mod rate;
pub mod store;
