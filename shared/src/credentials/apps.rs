//! The applications' records (README "Applications and sharing"): `app#<id>` (with
//! `papp#<id>` while it is public, written in the same transaction as its visibility)
//! and each grant's two items, `grant#<app>#<user>` (the authorizer's one GetItem) and
//! `ugrant#<user>#<app>` (the user's list), written and removed together. The listings
//! go through `gsi1`: `owner#<user>`, `apps#public`, `app#<app>`, `ugrant#<user>`.

use std::future::Future;
use std::time::Duration;

pub use crate::authz::apps::{App, AppGrant, MAX_APP_ID, Visibility, is_app_id};
pub use crate::authz::decision::AppRecords;
use crate::error::Result;
use crate::primitives::cache::{Bound, Clock, Eviction, TtlCache};

/// The most grants a user may hold and still be deleted: each is two deletes in the
/// user's delete transaction, which stays under DynamoDB's 100 actions (409
/// `too_many_grants` beyond).
pub const MAX_GRANTS_ON_DELETE: usize = 35;

/// DynamoDB's limit on the actions of one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// Whether deleting `user` with its `grants` grants fits one transaction: at most
/// [`MAX_GRANTS_ON_DELETE`] grants, and all of the user's items (its name items,
/// sessions, invite, identities) and two per grant at most [`MAX_TRANSACTION_ITEMS`].
pub fn grants_fit_deletion(user: &crate::credentials::users::User, grants: usize) -> bool {
    let own = 1
        + usize::from(user.username.is_some())
        + usize::from(user.email.is_some())
        + user.sessions.len()
        + usize::from(user.invite.is_some())
        + 2 * user.identities.len();
    grants <= MAX_GRANTS_ON_DELETE && own + 2 * grants <= MAX_TRANSACTION_ITEMS
}

/// The most apps `GET /users/me/apps` lists (each one a read).
pub const MAX_LISTED_APPS: usize = 100;

/// An app id for a creator who chose none: 16 random letters and digits.
pub fn generated_app_id() -> String {
    crate::primitives::crypto::random_base62(16)
}

/// The app and grant records in the table; its reads of one app and one grant
/// ([`AppRecords`], consistent reads) are all the authorizer needs.
pub trait AppStore: AppRecords {
    /// Writes a new app (and `papp#` when public) in one transaction; `false` if the
    /// id is taken (nothing written).
    fn create_app(&self, app: &App) -> impl Future<Output = Result<bool>> + Send;
    /// Replaces `old` with `new` (same id, `rev` bumped), writing or deleting `papp#`
    /// when the visibility changes, in one transaction; `false` if the app changed
    /// since `old` was read.
    fn update_app(&self, old: &App, new: &App) -> impl Future<Output = Result<bool>> + Send;
    /// Writes (or replaces) both items of `grant` in one transaction.
    fn put_grant(&self, grant: &AppGrant) -> impl Future<Output = Result<()>> + Send;
    /// Deletes both items of a grant in one transaction; `false` if there was none.
    fn remove_grant(&self, app: &str, user: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Every grant of `app` (`gsi1` partition `app#<app>`).
    fn app_grants(&self, app: &str) -> impl Future<Output = Result<Vec<AppGrant>>> + Send;
    /// The ids of the apps granted to `user` (`gsi1` partition `ugrant#<user>`).
    fn user_grant_apps(&self, user: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// The ids of the apps `owner` owns (`gsi1` partition `owner#<user>`).
    fn owned_apps(&self, owner: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// The ids of the public apps (`gsi1` partition `apps#public`).
    fn public_apps(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Every app (the administrators' listing: a Scan, which only the admin function
    /// may make).
    fn list_apps(&self) -> impl Future<Output = Result<Vec<App>>> + Send;
}

/// Bound on cached found records, and separately on absent ones, per cache: a caller
/// naming random app ids pushes out only other absent entries.
pub(crate) const GRANT_CACHE_CAPACITY: usize = 10_000;

/// A cache of found (`Some`) and absent (`None`) records: found ones least recently
/// used first out, absent ones oldest first, bounded separately.
fn record_cache<K: std::hash::Hash + Eq + Clone, V: Clone>(
    ttl: Duration,
    clock: Clock,
) -> TtlCache<K, Option<V>> {
    let bound = |eviction| Bound {
        capacity: GRANT_CACHE_CAPACITY,
        eviction,
    };
    TtlCache::new(ttl).with_clock(clock).partitioned(
        |record: &Option<V>| usize::from(record.is_none()),
        &[bound(Eviction::LeastRecentlyUsed), bound(Eviction::Oldest)],
    )
}

/// The authorizer's reads of apps and grants, each trusted from memory for
/// `GRANT_CACHE_TTL`, found or absent alike: a removed grant stops, and a new one
/// starts, within that (zero reads every time). A failed read is not cached and fails
/// the request closed. Concurrent misses of one record make one read.
pub struct CachedAppRecords<S> {
    store: S,
    apps: TtlCache<String, Option<App>>,
    /// By (app, user).
    grants: TtlCache<(String, String), Option<AppGrant>>,
}

impl<S: AppRecords> CachedAppRecords<S> {
    pub fn new(store: S, ttl: Duration) -> Self {
        Self::with_clock(store, ttl, Clock::system())
    }

    /// The cache on `clock` (tests move it by hand).
    pub fn with_clock(store: S, ttl: Duration, clock: Clock) -> Self {
        CachedAppRecords {
            store,
            apps: record_cache(ttl, clock.clone()),
            grants: record_cache(ttl, clock),
        }
    }
}

/// The records as the store read them: that they name the requested app and user is
/// checked once, by `authz::apps::decide`.
impl<S: AppRecords> AppRecords for CachedAppRecords<S> {
    async fn get_app(&self, id: &str) -> Result<Option<App>> {
        self.apps.get_or_load(id, || self.store.get_app(id)).await
    }

    async fn get_grant(&self, app: &str, user: &str) -> Result<Option<AppGrant>> {
        let key = (app.to_owned(), user.to_owned());
        let load = || self.store.get_grant(app, user);
        self.grants.get_or_load(&key, load).await
    }
}
