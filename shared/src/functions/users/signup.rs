//! Self-service sign-up and e-mail verification (README "People", sign-up).
//!
//! The order of `POST /users/signup` is what keeps the address secret: the Origin, the
//! body, the password policy on the request alone, the sign-up mode, the quotas (every
//! request counts, whatever it finds), one password hash, and only then the lookup.
//! A new address gets a `pending_verification` account and a link; a registered one
//! gets an "already registered" message if its owner is verified; both answer the same
//! 202. The message is sent before anything is written, so a failing SES leaves no
//! account behind (docs/DECISIONS.md "Sign-up").

use http::StatusCode;
use lambda_http::Request;
use secrecy::ExposeSecret;

use super::{OidcHttp, SIGNUP_TRIES, SecretSource, UsersFunction, UsersPorts, link_refused, pause};
use crate::answers::users::{EmailVerified, SignupAccepted, SignupPageConfig};
use crate::credentials::users::mail::{Mailer, Message};
use crate::credentials::users::settings::{SignupMode, SignupSettings};
use crate::credentials::users::signup::{
    EmailToken, PENDING_TTL_SECS, SignupRecords, TokenPurpose,
};
use crate::credentials::users::{
    CHANGE_TRIES, Email, Identifier, NewUser, PasswordHash, User, UserStatus, Username, new_record,
};
use crate::error::{Error, Result};
use crate::http::{Response, json, source_ip};
use crate::primitives::crypto::sha256_hex;
use crate::records::quota::{Counted, Quota};
use crate::requests::body::json_body;
use crate::requests::signup::{Signup, SignupFields, VerifyEmail};

/// The answer to an unknown, expired or used verification token: one error, so the
/// same bytes.
const VERIFY_INVALID: &str = "verification_invalid_expired_or_used";

/// What a sign-up found (for the log line only; the answer is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// A new account was created.
    Created,
    /// The address has an account (or won a concurrent sign-up).
    Registered,
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// `POST /users/signup`.
    pub(super) async fn signup(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: Signup = json_body(req.headers(), req.body().as_ref())?;
        let fields = body.fields()?;
        self.passwords
            .policy()
            .check(&body.password, &fields.context_words())
            .map_err(|why| Error::bad_request(format!("password: {why}")))?;
        let settings = self.settings.current(&self.store).await?.signup;
        settings
            .admits(&fields.email)
            .inspect_err(|e| log_mail_refusal("user_signup", e))?;
        settings.require_sender(self.config.users.signup.email_from.as_ref())?;
        let verify = settings.require_email_verification;
        let now = (self.clock)();
        let l = self.config.users.signup.limits;
        let own = ("usr-signup", l.signups_per_ip, l.signups_per_email);
        self.take_quotas(own, &source_ip(req), &fields.email, now)
            .await
            .inspect_err(|e| log_mail_refusal("user_signup", e))?;
        // Both branches pay for one hash, so the answer's timing says little.
        let phc = PasswordHash(self.passwords.hash(&body.password).await?);
        let found = self.register(fields, phc, &settings, now).await?;
        tracing::info!(event = "user_signup", outcome = "accepted", found = ?found, verify);
        Ok(json(StatusCode::ACCEPTED, &SignupAccepted::ANSWER))
    }

    /// The four quotas of a request that may send e-mail (README "Rate limits"): per
    /// source IP and per address, for its own `scope` (sign-ups, reset requests) and
    /// for sends; each request counts in all four, whatever it finds.
    pub(super) async fn take_quotas(
        &self,
        own: (&'static str, u32, u32),
        ip: &str,
        email: &Email,
        now: i64,
    ) -> Result<()> {
        let l = self.config.users.signup.limits;
        let quota = |scope, kind, limit| Quota {
            scope,
            kind,
            limit,
            window: l.window,
        };
        let (scope, per_ip, per_email) = own;
        let checks = [
            (quota(scope, Counted::Ip, per_ip), ip),
            (quota(scope, Counted::Email, per_email), email.key()),
        ];
        for (q, value) in checks {
            q.take(&self.store, value, now).await?;
        }
        self.take_send_quotas(ip, email, now).await
    }

    /// The two quotas of every request that may send e-mail (`usr-send`): per address,
    /// then per source IP.
    pub(super) async fn take_send_quotas(&self, ip: &str, email: &Email, now: i64) -> Result<()> {
        let l = self.config.users.signup.limits;
        let quota = |kind, limit| Quota {
            scope: "usr-send",
            kind,
            limit,
            window: l.window,
        };
        let checks = [
            (quota(Counted::Email, l.sends_per_recipient), email.key()),
            (quota(Counted::Ip, l.sends_per_ip), ip),
        ];
        for (q, value) in checks {
            q.take(&self.store, value, now).await?;
        }
        Ok(())
    }

    /// The account for a policy-valid, admitted sign-up: created when the address is
    /// free (absent, or held by an expired pending sign-up, which it replaces),
    /// otherwise the registered branch. 409 `username_taken` first, whatever the address.
    async fn register(
        &self,
        fields: SignupFields,
        phc: PasswordHash,
        settings: &SignupSettings,
        now: i64,
    ) -> Result<Found> {
        let username = match fields.username.clone() {
            Some(name) if self.name_holder(&name, now).await?.is_some() => {
                return Err(username_taken());
            }
            Some(name) => name,
            None => self.free_name(None, now).await?,
        };
        let email = fields.email;
        let new = NewUser {
            username: Some(username),
            email: Some(email.clone()),
            email_verified: false,
            display_name: fields.display_name,
            kind: settings.default_kind,
            roles: settings.default_roles.clone(),
            password: None,
            created_by: "signup".into(),
        };
        let mut user = new_record(new, now);
        user.password = Some(phc);
        user.password_changed_at = Some(now);
        let mut holder = self.email_holder(&email).await?;
        let token = match holder.as_ref().filter(|h| h.holds_names_at(now)) {
            Some(h) => return self.tell_registered(h, settings).await,
            None => self.prepare(&mut user, &email, settings, now).await?,
        };
        for attempt in 0..SIGNUP_TRIES {
            let records = SignupRecords {
                user: &user,
                token: token.as_ref(),
                replaces: holder.as_ref(),
                now,
            };
            if self.store.create_signup_user(&records).await? {
                return Ok(Found::Created);
            }
            // Refused: a name was taken meanwhile (or the write lost a race).
            if let Some(name) = &user.username
                && self.name_holder(name, now).await?.is_some()
            {
                return Err(username_taken());
            }
            holder = self.email_holder(&email).await?;
            if let Some(h) = holder.as_ref().filter(|h| h.holds_names_at(now)) {
                return self.tell_registered(h, settings).await;
            }
            // Nobody holds the names yet: the write lost to a concurrent transaction
            // still in flight. Step aside a little longer each time.
            pause(attempt).await;
        }
        Err(Error::Busy("user record"))
    }

    /// Makes `user` what the settings say: `pending_verification` with an expiry and a
    /// verification token whose link is sent now, before anything is written; or
    /// `active` (not verified) without a message.
    async fn prepare(
        &self,
        user: &mut User,
        email: &Email,
        settings: &SignupSettings,
        now: i64,
    ) -> Result<Option<EmailToken>> {
        if !settings.require_email_verification {
            user.status = UserStatus::Active;
            return Ok(None);
        }
        user.status = UserStatus::PendingVerification;
        user.expires_at = Some(now + PENDING_TTL_SECS);
        let (token, secret) = EmailToken::issue(TokenPurpose::VerifyEmail, user, email, now);
        let link = self.config.user_ui_link("verify", secret.expose_secret())?;
        let message = Message::verify_email(email, &link);
        self.mailer.send(&message).await?;
        Ok(Some(token))
    }

    /// The registered branch: the owner hears of it only if their address is verified
    /// (and mail is on); nobody else learns anything.
    async fn tell_registered(&self, holder: &User, settings: &SignupSettings) -> Result<Found> {
        if let Some(to) = holder.email.as_ref()
            && settings.require_email_verification
            && holder.email_verified
        {
            let message = Message::already_registered(to);
            self.mailer.send(&message).await?;
        }
        Ok(Found::Registered)
    }

    /// The user holding `email`'s item, if any (expired or not: the caller decides).
    async fn email_holder(&self, email: &Email) -> Result<Option<User>> {
        self.user_named(&Identifier::Email(email.clone())).await
    }

    /// The id of the live holder of a user name (an expired pending one holds nothing).
    async fn name_holder(&self, name: &Username, now: i64) -> Result<Option<String>> {
        let user = self.user_named(&Identifier::Username(name.clone())).await?;
        Ok(user.filter(|u| u.holds_names_at(now)).map(|u| u.id))
    }

    /// A user name nobody holds: `wanted` when it is free, else `wanted` with a random
    /// suffix; a generated one when nothing is wanted.
    pub(super) async fn free_name(&self, wanted: Option<&Username>, now: i64) -> Result<Username> {
        for attempt in 0..CHANGE_TRIES {
            let name = match wanted {
                Some(w) if attempt == 0 => w.clone(),
                Some(w) => w.with_suffix(),
                None => Username::generated(),
            };
            if self.name_holder(&name, now).await?.is_none() {
                return Ok(name);
            }
        }
        Err(Error::Busy("user name"))
    }

    /// `GET /users/signup/config`.
    pub(super) async fn signup_config(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let s = self.settings.current(&self.store).await?.signup;
        let answer = SignupPageConfig {
            mode: s.mode,
            allowed_domains: match s.mode {
                SignupMode::Domain => s.allowed_domains,
                _ => Vec::new(),
            },
            email_verification: s.require_email_verification,
            password_policy: self.passwords.policy().rules(),
        };
        Ok(json(StatusCode::OK, &answer))
    }

    /// `POST /users/verify-email`: a live verification token of a pending account that
    /// still has the address it was sent to; one transaction deletes the token (it must
    /// exist) and activates the account. Signs nothing in.
    pub(super) async fn verify_email(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: VerifyEmail = json_body(req.headers(), req.body().as_ref())?;
        let hash = sha256_hex(body.token.expose_secret().as_bytes());
        let now = (self.clock)();
        for attempt in 0..SIGNUP_TRIES {
            let token = self
                .store
                .get_email_token(&hash)
                .await?
                .filter(|t| t.usable_at(TokenPurpose::VerifyEmail, now))
                .ok_or_else(verify_invalid)?;
            let user = self
                .store
                .get_user(&token.user_id)
                .await?
                .filter(|u| u.is_pending() && token.issued_for(u))
                .ok_or_else(verify_invalid)?;
            if self.store.verify_email(&user, &token).await? {
                tracing::info!(event = "email_verify", user_id = %user.id, outcome = "success");
                return Ok(json(StatusCode::OK, &EmailVerified { verified: true }));
            }
            // The token is still there: the write lost to a concurrent one in flight.
            pause(attempt).await;
        }
        Err(Error::Busy("user record"))
    }
}

fn username_taken() -> Error {
    tracing::warn!(
        event = "user_signup",
        outcome = "refused",
        reason = "username_taken"
    );
    Error::Conflict("username_taken".into())
}

fn verify_invalid() -> Error {
    link_refused("email_verify", VERIFY_INVALID)
}

/// The log line of a sign-up's or a reset request's refusal by mode or quota: the
/// reason, never the address.
pub(super) fn log_mail_refusal(event: &'static str, e: &Error) {
    let reason = match e {
        Error::Forbidden(code) => *code,
        Error::TooManyRequests { .. } => "rate_limited",
        other => other.code(),
    };
    tracing::warn!(event, outcome = "refused", reason);
}
