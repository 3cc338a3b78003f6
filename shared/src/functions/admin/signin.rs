//! The admin sign-in: who signed, group membership, the rate limits, the new session.

use super::*;

/// A failed sign-in: the answer and the reason code for the audit log.
struct Refusal {
    error: Error,
    reason: &'static str,
    /// The user name the attempt was for, when known (for the per-user limit).
    user: Option<String>,
}

fn refuse(error: Error, reason: &'static str, user: Option<String>) -> Refusal {
    Refusal {
        error,
        reason,
        user,
    }
}

impl<I, S, K> AdminFunction<I, S, K>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
{
    /// The IAM user behind the attempt, if a member of the admin group.
    async fn verify(
        &self,
        body: SigninRequest,
        server_id: &str,
        now: i64,
    ) -> std::result::Result<String, Refusal> {
        let lift = |e: Error, user: Option<String>| match e {
            Error::Unauthorized(reason) => refuse(Error::Unauthorized(reason), reason, user),
            other => refuse(other, "dependency_failed", user),
        };
        let (arn, claimed) = match body {
            SigninRequest::Keys {
                user_name,
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                if !valid_user_name(&user_name) {
                    return Err(refuse(
                        Error::bad_request("userName is not a valid IAM user name"),
                        "malformed",
                        None,
                    ));
                }
                let keys = SubmittedKeys {
                    access_key_id,
                    secret_access_key,
                    session_token,
                };
                let arn = self
                    .identity
                    .caller_with_keys(&keys)
                    .await
                    .map_err(|e| lift(e, Some(user_name.clone())))?;
                (arn, Some(user_name))
            }
            SigninRequest::Presigned { presigned } => {
                let checked = check_presigned(
                    &presigned,
                    self.config.admin_sts_endpoint.as_str(),
                    server_id,
                    now,
                )
                .map_err(|r| refuse(Error::Unauthorized(r.as_str()), r.as_str(), None))?;
                let first = self
                    .store
                    .redeem_once(
                        "presign",
                        &checked.redemption_key(),
                        now + PRESIGN_REPLAY_WINDOW_SECS,
                    )
                    .await
                    .map_err(|e| lift(e, None))?;
                if !first {
                    return Err(refuse(Error::Unauthorized("replayed"), "replayed", None));
                }
                (
                    self.identity
                        .caller_from_presigned(&presigned)
                        .await
                        .map_err(|e| lift(e, None))?,
                    None,
                )
            }
        };
        let Some(user) = user_of_arn(&arn, self.account()) else {
            return Err(refuse(
                Error::Forbidden("not_an_iam_user_of_this_account"),
                "not_an_iam_user_of_this_account",
                claimed,
            ));
        };
        if claimed.as_deref().is_some_and(|c| c != user) {
            return Err(refuse(
                Error::Unauthorized("user_name_mismatch"),
                "user_name_mismatch",
                claimed,
            ));
        }
        let member = self
            .identity
            .in_group(user, &self.config.admin_group_name)
            .await
            .map_err(|e| lift(e, Some(user.to_owned())))?;
        if !member {
            return Err(refuse(
                Error::Forbidden("not_in_admin_group"),
                "not_in_admin_group",
                Some(user.to_owned()),
            ));
        }
        Ok(user.to_owned())
    }

    pub(super) async fn signin(&self, req: &Request) -> Result<Response> {
        let now = crate::primitives::time::now_epoch();
        let ip = source_ip(req);
        // Malformed bodies are 400 and count for nothing.
        let body = SigninRequest::parse(read_json(req.headers(), req.body().as_ref())?)?;
        let server_id = match &self.config.admin_server_id {
            Some(s) => s.clone(),
            None => issuer(&self.config, req)?,
        };
        let limiter = Limiter::new(&self.store, rate::ADMIN, self.config.signin_limits, now);
        let slot = limiter.reserve(&ip).await.inspect_err(|e| {
            if let Error::TooManyRequests { .. } = e {
                tracing::warn!(event = "admin_signin", source_ip = %ip, outcome = "refused", reason = "ip_rate_limited");
            }
        })?;
        let outcome = self.verify(body, &server_id, now).await;
        let refusal = outcome.as_ref().err();
        let limited = limiter
            .settle(
                slot,
                refusal.map(|r| &r.error),
                refusal.and_then(|r| r.user.as_deref()),
            )
            .await;
        match outcome {
            Ok(user) => self.open_session(user, &ip, now).await,
            Err(r) if r.error.status().is_server_error() => {
                tracing::error!(event = "admin_signin", source_ip = %ip, outcome = "error", reason = r.reason, error = %r.error.detail());
                Err(r.error)
            }
            Err(r) => {
                tracing::warn!(event = "admin_signin", user = r.user.as_deref().unwrap_or("-"), source_ip = %ip, outcome = "failure", reason = r.reason);
                limited?;
                Err(r.error)
            }
        }
    }

    /// A new admin session for `user`: the cookie and the CSRF token.
    async fn open_session(&self, user: String, ip: &str, now: i64) -> Result<Response> {
        let id = random_id();
        let csrf = random_id();
        let ttl = self.config.admin_session_ttl.as_secs() as i64;
        let session = AdminSession {
            user_name: user.clone(),
            csrf_hash: sha256_hex(csrf.as_bytes()),
            checked_at: now,
            created_at: now,
            expires_at: now + ttl,
        };
        self.store
            .put_admin_session(&sha256_hex(id.as_bytes()), &session)
            .await?;
        tracing::info!(event = "admin_signin", user = %user, source_ip = %ip, outcome = "success");
        let mut resp = json(
            StatusCode::OK,
            &json!({"userName": user, "csrfToken": csrf, "expires_at": session.expires_at}),
        );
        resp.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_str(&admin_cookie(&id, ttl)).expect("ASCII"),
        );
        Ok(resp)
    }
}
