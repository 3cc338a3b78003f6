//! Widget sessions and the one-time temp tokens that open them (cookie mode).

use std::future::Future;

use crate::error::Result;

/// Who a widget session or temp token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetUser {
    pub userid: String,
    pub app_id: Option<String>,
    pub client_id: Option<String>,
    pub org_id: Option<String>,
}

/// A one-time temp token (only its hash is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempToken {
    pub user: WidgetUser,
    /// Lifetime of the session it opens.
    pub session_ttl: i64,
    pub expires_at: i64,
}

/// A widget session (only the hash of its id is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: WidgetUser,
    /// The origin `loginToken` was called from: the only one the session is honoured
    /// from. `None` for sessions written before that binding (README "Upgrading").
    pub origin: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Widget temp tokens and sessions.
pub trait SessionStore: Send + Sync {
    fn put_temp_token(
        &self,
        hash: &str,
        token: &TempToken,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Consumes the temp token and writes the session, bound to `origin`, in one
    /// transaction: of many concurrent calls with one token, exactly one gets `Some`.
    /// `None`: unknown, expired, or already used.
    fn redeem_temp_token(
        &self,
        hash: &str,
        session_hash: &str,
        origin: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// The session, if it exists and has not expired at `now`.
    fn get_session(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;
    fn delete_session(&self, hash: &str) -> impl Future<Output = Result<()>> + Send;
}
