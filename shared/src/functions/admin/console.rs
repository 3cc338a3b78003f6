//! The admin console (README "Admin console"): a static page, its script and its style,
//! embedded in the binary and served on the API's own origin by the one asset responder
//! ([`crate::http::asset`], the console's CSP); its public configuration; and `resume`,
//! which rotates the CSRF token of the page's session after a reload (the token lives in
//! the page's memory only); and the hand-off from the CLI: a one-time code for a signed-in
//! administrator, which the page redeems for a session of its own.

use super::*;
use crate::authz::origin::origin_is_own;
use crate::http::asset;
use crate::requests::admin::RedeemHandoff;
use crate::requests::body::json_body;
use crate::requests::widget::is_opaque_token;

/// How long a hand-off code can be redeemed.
pub const HANDOFF_TTL_SECS: i64 = 60;

/// The answer to an unknown, malformed, expired or used hand-off code: one error.
const HANDOFF_INVALID: &str = "handoff_invalid_expired_or_used";

const INDEX: &str = include_str!("../../../console/index.html");
const APP_JS: &str = include_str!("../../../console/app.js");
const APP_CSS: &str = include_str!("../../../console/app.css");
const SIGV4_JS: &str = include_str!("../../../console/sigv4.js");

/// The console's page or asset at `path`, if it is one (`GET`, public).
pub(super) fn asset_of(path: &str) -> Option<Response> {
    let (content_type, body) = match path {
        "/admin/console" => ("text/html; charset=utf-8", INDEX),
        "/admin/console/app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "/admin/console/app.css" => ("text/css; charset=utf-8", APP_CSS),
        "/admin/console/sigv4.js" => ("text/javascript; charset=utf-8", SIGV4_JS),
        _ => return None,
    };
    Some(asset(content_type, body))
}

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// `GET /admin/console/config`: what the page needs to sign a presigned STS request
    /// itself; nothing secret.
    pub(super) fn console_config(&self, req: &Request) -> Result<Response> {
        Ok(json(
            StatusCode::OK,
            &ConsoleConfig {
                server_id: self.server_id(req)?,
                sts_endpoint: self.config.admin_sts_endpoint.as_str().to_owned(),
                region: self.config.admin_sts_region.clone(),
                group_name: self.config.admin_group_name.clone(),
            },
        ))
    }

    /// Refuses (403) a console write without a CSRF token unless its `Origin` is the
    /// issuer's, present.
    fn require_own_origin(&self, req: &Request, event: &'static str) -> Result<()> {
        if origin_is_own(req.headers(), || issuer(&self.config, req))? {
            return Ok(());
        }
        tracing::warn!(event, source_ip = %source_ip(req), outcome = "refused", reason = "origin_not_own");
        Err(Error::ForeignOrigin)
    }

    /// `POST /admin/console/handoff` (session and CSRF token): a one-time code that
    /// opens a session of the same administrator in the console.
    pub(super) async fn handoff(&self, user: &str, now: i64) -> Result<Handoff> {
        let code = random_id();
        let expires_at = now + HANDOFF_TTL_SECS;
        self.store
            .put_handoff(&sha256_hex(code.as_bytes()), user, expires_at)
            .await?;
        tracing::info!(event = "admin_console_handoff", user = %user, outcome = "issued");
        Ok(Handoff { code, expires_at })
    }

    /// `POST /admin/console/redeem {code}`: the issuer's `Origin`, present; the code
    /// consumed in one conditional delete (used once, live only); the administrator's
    /// group membership checked again; then a new session, as a sign-in opens one.
    pub(super) async fn redeem(&self, req: &Request) -> Result<Response> {
        self.require_own_origin(req, "admin_console_redeem")?;
        let body: RedeemHandoff = json_body(req.headers(), req.body().as_ref())?;
        let code = body.code.expose_secret();
        let now = crate::primitives::time::now_epoch();
        let invalid = || {
            tracing::warn!(
                event = "admin_console_redeem",
                outcome = "failure",
                reason = HANDOFF_INVALID
            );
            Error::bad_request(HANDOFF_INVALID)
        };
        if !is_opaque_token(code) {
            return Err(invalid());
        }
        let Some(user) = self
            .store
            .take_handoff(&sha256_hex(code.as_bytes()), now)
            .await?
        else {
            return Err(invalid());
        };
        if !self
            .identity
            .in_group(&user, &self.config.admin_group_name)
            .await?
        {
            tracing::warn!(event = "admin_console_redeem", user = %user, outcome = "failure", reason = "not_in_admin_group");
            return Err(Error::Forbidden("not_in_admin_group"));
        }
        self.open_session(user, &source_ip(req), now).await
    }

    /// `POST /admin/console/resume`: the page's session (the admin cookie) gets a new
    /// CSRF token, which the answer carries; the old one stops working. No CSRF token is
    /// needed (the page lost it with the reload), so the `Origin` must be the issuer's:
    /// present, not merely absent.
    pub(super) async fn resume(&self, req: &Request) -> Result<Response> {
        self.require_own_origin(req, "admin_console_resume")?;
        let (hash, session) = self.authenticated(req).await?;
        let csrf = random_id();
        if !self
            .store
            .rotate_admin_csrf(&hash, &sha256_hex(csrf.as_bytes()))
            .await?
        {
            return Err(Error::Unauthorized("no_admin_session"));
        }
        tracing::info!(event = "admin_console_resume", user = %session.user_name, outcome = "success");
        Ok(json(
            StatusCode::OK,
            &SignedIn {
                user_name: session.user_name,
                csrf_token: csrf,
                expires_at: session.expires_at,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_routes_answer_their_assets_with_the_console_headers() {
        for (path, kind) in [
            ("/admin/console", "text/html"),
            ("/admin/console/app.js", "text/javascript"),
            ("/admin/console/app.css", "text/css"),
            ("/admin/console/sigv4.js", "text/javascript"),
        ] {
            let a = asset_of(path).expect("an asset");
            let h = a.headers();
            assert!(h["content-type"].to_str().unwrap().starts_with(kind));
            assert_eq!(h["content-security-policy"], crate::http::CONSOLE_CSP);
            assert_eq!(h["cache-control"], "no-store");
            assert!(!a.body().is_empty());
        }
        assert!(asset_of("/admin/console/other.js").is_none());
        assert!(asset_of("/admin/consolex").is_none());
    }

    #[test]
    fn the_page_writes_the_dom_without_html_strings() {
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!APP_JS.contains(banned), "app.js uses {banned}");
            assert!(!SIGV4_JS.contains(banned), "sigv4.js uses {banned}");
        }
        assert!(
            !INDEX.contains("<script>") && !INDEX.contains("style="),
            "no inline code"
        );
        assert!(!APP_JS.contains("localStorage") && !APP_JS.contains("sessionStorage"));
    }
}
