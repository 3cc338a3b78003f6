//! One-time values (host codes, presigned requests): the first redemption wins.

use std::future::Future;

use crate::error::Result;

pub trait OneTimeStore: Send + Sync {
    /// Marks `hash` (of `kind`) used until `expires_at`. `Ok(false)` if it already was.
    fn redeem_once(
        &self,
        kind: &str,
        hash: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
}
