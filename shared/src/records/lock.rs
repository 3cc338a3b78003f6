//! DynamoDB lock items (`lock#<name>`: a conditional put with expiry), so that
//! read-modify-write of shared state (the `CLIENT_SECRETS` list, the signing key ring)
//! never loses an update. The admin API and the rotation function share this helper.
//! The lock is not reentrant: code running under it must not take it again.

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// The lock around every change of the signing key ring (the admin API's rotation and
/// the rotation function's `finishSecret`). Its item is the access table's
/// `SIGNING_KEYS_LOCK`, the one record the rotation function may touch.
pub const SIGNING_KEYS: &str = "signing-keys";
/// The lock around changes of the `CLIENT_SECRETS` list.
pub(crate) const CLIENT_SECRETS: &str = "client-secrets";

/// How long a taken lock lives if its holder never releases it (a crashed function).
const HOLD_SECS: i64 = 30;
/// Attempts to take a busy lock, and the pause between two.
const ATTEMPTS: u32 = 100;
const PAUSE: Duration = Duration::from_millis(50);

/// The lock items' store.
pub trait LockStore: Send + Sync {
    /// Takes the lock `name` for `owner` until `expires_at` (or when it expired); false if held.
    fn try_lock(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Releases the lock `name` if `owner` still holds it.
    fn unlock(&self, name: &str, owner: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Runs `f` holding the lock `name`; a lock still busy after about 5 s is a dependency
/// failure (the caller fails closed and may retry).
pub async fn locked<L: LockStore, T>(
    store: &L,
    name: &str,
    f: impl AsyncFnOnce() -> Result<T>,
) -> Result<T> {
    let owner = crate::primitives::crypto::random_id();
    for _ in 0..ATTEMPTS {
        let now = crate::primitives::time::now_epoch();
        if store.try_lock(name, &owner, now, now + HOLD_SECS).await? {
            let out = f().await;
            store.unlock(name, &owner).await?;
            return out;
        }
        tokio::time::sleep(PAUSE).await;
    }
    Err(Error::dependency(
        crate::primitives::metrics::Service::DynamoDb,
        format!("lock {name} is busy"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::records::key::prefix;

    #[test]
    fn the_signing_keys_lock_is_the_access_tables_item() {
        assert_eq!(
            format!("{}{}", prefix::LOCK, super::SIGNING_KEYS),
            prefix::SIGNING_KEYS_LOCK
        );
    }
}
