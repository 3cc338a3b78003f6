//! The admin sign-in: who signed, group membership, the rate limits, the new session.

use super::*;

/// Why a sign-in was refused: the reason code in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// The body names no valid IAM user name.
    Malformed,
    /// The presigned request was redeemed before.
    Replayed,
    /// The signer is not an IAM user of the admin account.
    NotAnIamUserOfThisAccount,
    /// The signer is another user than the one the body names.
    UserNameMismatch,
    /// The user is not in the admin group.
    NotInAdminGroup,
    /// The code of the `Error::Unauthorized` a check answered: the presigned request's
    /// screening, or STS rejecting the keys or the presigned request.
    Unauthorized(&'static str),
    /// A dependency (STS, IAM, the table) failed.
    DependencyFailed,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::Replayed => "replayed",
            Reason::NotAnIamUserOfThisAccount => "not_an_iam_user_of_this_account",
            Reason::UserNameMismatch => "user_name_mismatch",
            Reason::NotInAdminGroup => "not_in_admin_group",
            Reason::Unauthorized(code) => code,
            Reason::DependencyFailed => "dependency_failed",
        }
    }
}

/// A failed sign-in: the answer and the reason code for the audit log.
struct Refusal {
    error: Error,
    reason: Reason,
    /// The user name the attempt was for, when known (for the per-user limit).
    user: Option<String>,
}

impl Refusal {
    /// A refusal the sign-in decides itself; the answer follows from the reason.
    fn new(reason: Reason, user: Option<String>) -> Refusal {
        let error = match reason {
            Reason::Malformed => Error::bad_request("userName is not a valid IAM user name"),
            Reason::NotAnIamUserOfThisAccount | Reason::NotInAdminGroup => {
                Error::Forbidden(reason.as_str())
            }
            Reason::Replayed | Reason::UserNameMismatch | Reason::Unauthorized(_) => {
                Error::Unauthorized(reason.as_str())
            }
            // Dependency failures come with their own error (`Refusal::failed`); fail
            // closed should one ever be built here.
            Reason::DependencyFailed => Error::Internal("sign-in dependency failed".into()),
        };
        Refusal {
            error,
            reason,
            user,
        }
    }

    /// A check's error: a rejected credential keeps its code, anything else is a
    /// dependency failure.
    fn failed(error: Error, user: Option<String>) -> Refusal {
        let reason = match error {
            Error::Unauthorized(code) => Reason::Unauthorized(code),
            _ => Reason::DependencyFailed,
        };
        Refusal {
            error,
            reason,
            user,
        }
    }
}

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// The IAM user behind the attempt, if a member of the admin group.
    async fn verify(
        &self,
        body: SigninRequest,
        server_id: &str,
        now: i64,
    ) -> std::result::Result<String, Refusal> {
        let (arn, claimed) = match body {
            SigninRequest::Keys {
                user_name,
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                let keys = SubmittedKeys {
                    access_key_id,
                    secret_access_key,
                    session_token,
                };
                (
                    self.caller_of_keys(&user_name, &keys).await?,
                    Some(user_name),
                )
            }
            SigninRequest::Presigned { presigned } => {
                let arn = self.caller_of_presigned(&presigned, server_id, now).await?;
                (arn, None)
            }
        };
        self.admin_user(&arn, claimed).await
    }

    /// Mode a: STS signed with the submitted keys names the caller.
    async fn caller_of_keys(
        &self,
        user_name: &str,
        keys: &SubmittedKeys,
    ) -> std::result::Result<String, Refusal> {
        if !valid_user_name(user_name) {
            return Err(Refusal::new(Reason::Malformed, None));
        }
        self.identity
            .caller_with_keys(keys)
            .await
            .map_err(|e| Refusal::failed(e, Some(user_name.to_owned())))
    }

    /// Mode b: a presigned request, screened, redeemed once, then forwarded to STS.
    async fn caller_of_presigned(
        &self,
        presigned: &PresignedRequest,
        server_id: &str,
        now: i64,
    ) -> std::result::Result<String, Refusal> {
        let endpoint = self.config.admin_sts_endpoint.as_str();
        let checked = check_presigned(presigned, endpoint, server_id, now)
            .map_err(|r| Refusal::new(Reason::Unauthorized(r.as_str()), None))?;
        let first = self
            .store
            .redeem_once(
                "presign",
                &checked.redemption_key(),
                now + PRESIGN_REPLAY_WINDOW_SECS,
            )
            .await
            .map_err(|e| Refusal::failed(e, None))?;
        if !first {
            return Err(Refusal::new(Reason::Replayed, None));
        }
        self.identity
            .caller_from_presigned(presigned)
            .await
            .map_err(|e| Refusal::failed(e, None))
    }

    /// Both modes end here: the ARN must name an IAM user of the admin account (the one
    /// the body named, in mode a) who is in the admin group.
    async fn admin_user(
        &self,
        arn: &str,
        claimed: Option<String>,
    ) -> std::result::Result<String, Refusal> {
        let Some(user) = user_of_arn(arn, self.account()) else {
            return Err(Refusal::new(Reason::NotAnIamUserOfThisAccount, claimed));
        };
        if claimed.as_deref().is_some_and(|c| c != user) {
            return Err(Refusal::new(Reason::UserNameMismatch, claimed));
        }
        let member = self
            .identity
            .in_group(user, &self.config.admin_group_name)
            .await
            .map_err(|e| Refusal::failed(e, Some(user.to_owned())))?;
        if !member {
            return Err(Refusal::new(Reason::NotInAdminGroup, Some(user.to_owned())));
        }
        Ok(user.to_owned())
    }

    pub(super) async fn signin(&self, req: &Request) -> Result<Response> {
        let now = crate::primitives::time::now_epoch();
        let ip = source_ip(req);
        // Malformed bodies are 400 and count for nothing.
        let body = SigninRequest::parse(read_json(req.headers(), req.body().as_ref())?)?;
        let server_id = self.server_id(req)?;
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
                tracing::error!(event = "admin_signin", source_ip = %ip, outcome = "error", reason = r.reason.as_str(), error = %r.error.detail());
                Err(r.error)
            }
            Err(r) => {
                tracing::warn!(event = "admin_signin", user = r.user.as_deref().unwrap_or("-"), source_ip = %ip, outcome = "failure", reason = r.reason.as_str());
                limited?;
                Err(r.error)
            }
        }
    }

    /// A new admin session for `user`: the cookie and the CSRF token.
    pub(super) async fn open_session(&self, user: String, ip: &str, now: i64) -> Result<Response> {
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
            &SignedIn {
                user_name: user,
                csrf_token: csrf,
                expires_at: session.expires_at,
            },
        );
        append_cookie(&mut resp, &admin_cookie(&id, ttl))?;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_reason_codes_and_answers() {
        let cases = [
            (Reason::Malformed, "malformed", 400),
            (Reason::Replayed, "replayed", 401),
            (
                Reason::NotAnIamUserOfThisAccount,
                "not_an_iam_user_of_this_account",
                403,
            ),
            (Reason::UserNameMismatch, "user_name_mismatch", 401),
            (Reason::NotInAdminGroup, "not_in_admin_group", 403),
            (Reason::Unauthorized("stale_date"), "stale_date", 401),
        ];
        for (reason, code, status) in cases {
            assert_eq!(reason.as_str(), code);
            assert_eq!(Refusal::new(reason, None).error.status().as_u16(), status);
        }
        let rejected = Refusal::failed(Error::Unauthorized("credentials_rejected"), None);
        assert_eq!(rejected.reason.as_str(), "credentials_rejected");
        let failed = Refusal::failed(Error::Internal("x".into()), None);
        assert_eq!(failed.reason.as_str(), "dependency_failed");
        assert!(failed.error.status().is_server_error());
    }
}
