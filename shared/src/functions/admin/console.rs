//! The admin console (README "Admin console"): a static page, its script and its style,
//! embedded in the binary and served on the API's own origin by the one asset responder
//! ([`crate::http::asset`], the console's CSP); its public configuration; and `resume`,
//! which rotates the CSRF token of the page's session after a reload (the token lives in
//! the page's memory only).

use super::*;
use crate::authz::origin::origin_is_own;
use crate::http::asset;

const INDEX: &str = include_str!("../../../console/index.html");
const APP_JS: &str = include_str!("../../../console/app.js");
const APP_CSS: &str = include_str!("../../../console/app.css");

/// The console's page or asset at `path`, if it is one (`GET`, public).
pub(super) fn asset_of(path: &str) -> Option<Response> {
    let (content_type, body) = match path {
        "/admin/console" => ("text/html; charset=utf-8", INDEX),
        "/admin/console/app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "/admin/console/app.css" => ("text/css; charset=utf-8", APP_CSS),
        _ => return None,
    };
    Some(asset(content_type, body))
}

impl<I, S, K> AdminFunction<I, S, K>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
{
    /// `GET /admin/console/config`: what the page needs to sign a presigned STS request
    /// itself; nothing secret.
    pub(super) fn console_config(&self, req: &Request) -> Result<Response> {
        let server_id = match &self.config.admin_server_id {
            Some(s) => s.clone(),
            None => issuer(&self.config, req)?,
        };
        Ok(json(
            StatusCode::OK,
            &ConsoleConfig {
                server_id,
                sts_endpoint: self.config.admin_sts_endpoint.as_str().to_owned(),
                region: self.config.admin_sts_region.clone(),
                group_name: self.config.admin_group_name.clone(),
            },
        ))
    }

    /// `POST /admin/console/resume`: the page's session (the admin cookie) gets a new
    /// CSRF token, which the answer carries; the old one stops working. No CSRF token is
    /// needed (the page lost it with the reload), so the `Origin` must be the issuer's:
    /// present, not merely absent.
    pub(super) async fn resume(&self, req: &Request) -> Result<Response> {
        if !origin_is_own(req.headers(), || issuer(&self.config, req))? {
            tracing::warn!(event = "admin_console_resume", source_ip = %source_ip(req), outcome = "refused", reason = "origin_not_own");
            return Err(Error::ForeignOrigin);
        }
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
        }
        assert!(
            !INDEX.contains("<script>") && !INDEX.contains("style="),
            "no inline code"
        );
        assert!(!APP_JS.contains("localStorage") && !APP_JS.contains("sessionStorage"));
    }
}
