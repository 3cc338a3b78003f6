//! The fake OpenID provider (tests/host/idp.py): discovery, JWKS, an auto-consenting
//! authorization endpoint and a token endpoint, with test-only knobs (`control`) and
//! counters (`stats`). The relying party's suites drive `/sso/start` ->
//! [`FakeIdp::authorize`] -> `/sso/callback` through it.

use serde_json::{Value, json};

use crate::{Answer, Peer, get_json, send};

/// The provider on a loopback port of its own; its process is killed on drop.
pub struct FakeIdp {
    peer: Peer,
    http: reqwest::Client,
    /// Follows no redirect: the authorization endpoint's 302 is the answer.
    browser: reqwest::Client,
}

impl FakeIdp {
    pub fn start() -> FakeIdp {
        FakeIdp {
            peer: Peer::start("idp.py"),
            http: crate::http(),
            browser: crate::http_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// `http://127.0.0.1:<port>`, exactly as discovery and the id_token's `iss` spell it.
    pub fn issuer(&self) -> String {
        self.peer.url.clone()
    }

    /// `issuer` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.peer.url)
    }

    /// Merges `v` into the provider's state (the knobs are listed in tests/host/idp.py);
    /// answers `{"issuer", "rsa_kid"}`.
    pub async fn control(&self, v: Value) -> Value {
        let resp = self.http.post(self.url("/control")).json(&v).send().await;
        let resp = resp.unwrap();
        assert!(resp.status().is_success(), "control {v}: {}", resp.status());
        resp.json().await.unwrap()
    }

    /// The counters: discovery, JWKS and token requests, client-credentials attempts,
    /// the last token request's client authentication ("basic", "post" or null) and
    /// `issued`, every access token and id_token answered.
    pub async fn stats(&self) -> Value {
        get_json(&self.http, &self.url("/stats")).await
    }

    /// Registers (or replaces) the client `id` with one redirect URI.
    pub async fn register_client(&self, id: &str, secret: &str, redirect_uri: &str) {
        let clients = json!({ id: {"secret": secret, "redirect_uris": [redirect_uri]} });
        self.control(json!({ "clients": clients })).await;
    }

    /// The discovery document as the provider serves it now.
    pub async fn discovery(&self) -> Answer {
        let url = self.url("/.well-known/openid-configuration");
        send(&self.http, reqwest::Method::GET, &url, &[], None).await
    }

    /// The JWKS as the provider serves it now.
    pub async fn jwks(&self) -> Answer {
        send(
            &self.http,
            reqwest::Method::GET,
            &self.url("/jwks"),
            &[],
            None,
        )
        .await
    }

    /// The authorization endpoint's answer to a visit of `authorization_url`, unfollowed.
    pub async fn visit(&self, authorization_url: &str) -> Answer {
        send(
            &self.browser,
            reqwest::Method::GET,
            authorization_url,
            &[],
            None,
        )
        .await
    }

    /// Visits `authorization_url` as the browser would and consents: the `Location` of
    /// the provider's 302, the callback URL with `code`, `state` and `iss`.
    pub async fn authorize(&self, authorization_url: &str) -> String {
        let a = self.visit(authorization_url).await;
        assert_eq!(a.status, 302, "authorize {authorization_url}: {}", a.text);
        let location = a.headers.get("location").expect("302 with a Location");
        location.to_str().unwrap().to_owned()
    }
}
