//! Signing in through a provider (README "Single sign-on"): the transaction `/sso/start`
//! writes and `/sso/callback` consumes, and the one-time code the callback hands the
//! user's page, which `POST /users/sso/redeem` consumes for a session. Both are stored
//! by hash only, and each is consumed by a conditional delete: one winner.

use std::future::Future;

use crate::error::Result;

/// How long a started sign-in may take (the `__Host-gh_sso` cookie's `Max-Age`).
pub const TRANSACTION_TTL: i64 = 600;
/// How long the callback's one-time code lives.
pub const CODE_TTL: i64 = 60;

/// A started sign-in, by the SHA-256 of its `state`. The PKCE verifier and the nonce
/// are not here: they are derived from the browser's cookie (`oidc::flow::derive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoTransaction {
    pub state_hash: String,
    pub idp: String,
    /// SHA-256 of the `__Host-gh_sso` cookie value: the browser it is bound to.
    pub browser: String,
    /// A relative path (`oidc::flow::return_path`).
    pub return_to: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What a one-time code grants: a session of this user, signed in through `idp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoGrant {
    pub user_id: String,
    pub idp: String,
}

/// The sign-in records.
pub trait SsoStore: Send + Sync {
    fn put_sso_transaction(&self, tx: &SsoTransaction) -> impl Future<Output = Result<()>> + Send;
    /// The live transaction (a read: nothing is spent).
    fn get_sso_transaction(
        &self,
        state_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<SsoTransaction>>> + Send;
    /// Deletes the live transaction bound to `browser`; `false` when another request
    /// consumed it first (or it expired, or it is another browser's).
    fn consume_sso_transaction(
        &self,
        state_hash: &str,
        browser: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn put_sso_code(
        &self,
        code_hash: &str,
        grant: &SsoGrant,
        expires_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the live code: its grant, for one caller only.
    fn consume_sso_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<SsoGrant>>> + Send;
}
