//! The signed-in user (README "People"): who the authorizer admitted, `GET /users/me`
//! and `POST /users/signout`.

use http::StatusCode;
use lambda_http::Request;

use super::{OidcHttp, SecretSource, UsersFunction, UsersPorts};
use crate::answers::Caller;
use crate::answers::users::{SignedInUser, UserInfo, UserSignedOut};
use crate::authz::{PrincipalType, USER_COOKIE};
use crate::credentials::users::CHANGE_TRIES;
use crate::credentials::users::mail::Mailer;
use crate::error::{Error, Result};
use crate::http::{Response, append_cookie, authorizer_context, clear_user_cookie, json};
use crate::primitives::crypto::sha256_hex;
use crate::primitives::headers::cookie;

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// The signed-in user, as the authorizer decided: a user session's principal.
    pub(super) fn caller(req: &Request) -> Result<Caller> {
        let caller = authorizer_context(req)
            .as_ref()
            .and_then(Caller::from_context)
            .ok_or(Error::Unauthorized("no_principal"))?;
        let is_user = PrincipalType::USERS
            .iter()
            .any(|t| t.as_str() == caller.principal_type);
        if is_user {
            Ok(caller)
        } else {
            Err(Error::Forbidden("user_session_required"))
        }
    }

    /// The hash of the caller's session id (its `usess#` key), from the cookie the
    /// authorizer admitted.
    pub(super) fn session_hash(req: &Request) -> Result<String> {
        match cookie(req.headers(), USER_COOKIE) {
            Ok(Some(id)) => Ok(sha256_hex(id.as_bytes())),
            _ => Err(Error::Unauthorized("no_user_cookie")),
        }
    }

    /// `GET /users/me`.
    pub(super) async fn me(&self, req: &Request) -> Result<Response> {
        let caller = Self::caller(req)?;
        let user = self
            .store
            .get_user(&caller.subject)
            .await?
            .ok_or(Error::Unauthorized("no_such_user"))?;
        Ok(json(
            StatusCode::OK,
            &SignedInUser {
                user: UserInfo::from(&user),
                expires_at: caller.expires_at.unwrap_or(0),
            },
        ))
    }

    /// `POST /users/signout`: the session item deleted and unlisted in one
    /// transaction, the cookie cleared the partitioned way.
    pub(super) async fn signout(&self, req: &Request) -> Result<Response> {
        let caller = Self::caller(req)?;
        let hash = Self::session_hash(req)?;
        for _ in 0..CHANGE_TRIES {
            let user = self
                .store
                .get_user(&caller.subject)
                .await?
                .ok_or(Error::Unauthorized("no_such_user"))?;
            if self
                .store
                .change_sessions(&user.close_session(&hash))
                .await?
            {
                return signed_out(&caller.subject);
            }
        }
        Err(Error::Busy("user record"))
    }
}

/// The sign-out's answer: the cookie cleared the partitioned way.
fn signed_out(user_id: &str) -> Result<Response> {
    tracing::info!(event = "user_signout", user_id = %user_id);
    let mut resp = json(StatusCode::OK, &UserSignedOut { signed_out: true });
    append_cookie(&mut resp, &clear_user_cookie())?;
    Ok(resp)
}
