//! Admin sessions and the admin API's listings (locks: [`crate::records::lock::LockStore`];
//! rate counters: [`crate::records::rate::RateStore`]).

use std::future::Future;

use crate::credentials::apikey::ApiKeyRecord;
use crate::error::Result;

/// An administrator's session (only the hash of its id is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub user_name: String,
    /// SHA-256 of the CSRF token handed out at sign-in.
    pub csrf_hash: String,
    /// When group membership was last confirmed.
    pub checked_at: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A session as the admin API lists it: its key hash and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub kind: &'static str,
    pub id_hash: String,
    pub user: String,
    /// A widget session's origin (`null`: admin sessions, and widget sessions written
    /// before sessions were bound to their origin).
    pub origin: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Admin sessions and the admin API's listings (locks: [`crate::records::lock::LockStore`];
/// rate counters: [`RateStore`]).
pub trait AdminStore: Send + Sync {
    fn put_admin_session(
        &self,
        hash: &str,
        s: &AdminSession,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_admin_session(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<AdminSession>>> + Send;
    fn touch_admin_session(
        &self,
        hash: &str,
        checked_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn delete_admin_session(&self, hash: &str) -> impl Future<Output = Result<()>> + Send;
    /// Replaces the session's CSRF token hash (the console's resume), only if the
    /// session still exists: `Ok(false)` if it is gone (a revoked session is never
    /// written back).
    fn rotate_admin_csrf(
        &self,
        hash: &str,
        csrf_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Stores a console hand-off code's hash for `user_name` until `expires_at`.
    fn put_handoff(
        &self,
        hash: &str,
        user_name: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Consumes the hand-off code `hash` if it exists and is live at `now` (one
    /// conditional delete, so it is used once): the user it was issued for.
    fn take_handoff(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    fn list_api_keys(&self) -> impl Future<Output = Result<Vec<ApiKeyRecord>>> + Send;
    fn set_api_key_disabled(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    fn delete_api_key(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Widget and admin sessions alive at `now`.
    fn list_sessions(&self, now: i64) -> impl Future<Output = Result<Vec<SessionInfo>>> + Send;
    /// Deletes a widget (`session`) or admin (`admin`) session by its key hash.
    fn delete_session_by_hash(
        &self,
        kind: &str,
        hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
}
