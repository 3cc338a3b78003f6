//! One gateway with every function configured: an API key, a client (client_id 1),
//! the test host's authorization codes, admin sign-in, and a signing ring whose secret
//! name the test knows (to re-sign tokens or rotate the ring).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use gatehouse::adapters::DynamoStore;
use gatehouse::credentials::jwt::Claims;
use gatehouse::credentials::keys::LoadedRing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Answer, Host};

/// The allowed embedding origin (`ALLOWED_ORIGINS` of [`super::config`]).
pub const ORIGIN: &str = "http://localhost:3001";
/// client_id 1's secret (a raw hex entry).
pub const CLIENT_SECRET: &str = "6a1f0c9e4b7d2a58c3e9f0b1d4a7c2e5";

pub struct Full {
    pub url: String,
    pub store: DynamoStore,
    /// An API key with the default scopes.
    pub key: String,
    /// The signing key ring's secret name.
    pub ring: String,
    pub host: Host,
    pub http: reqwest::Client,
}

pub async fn full(extra: &[(&str, &str)]) -> Full {
    let host = Host::start();
    let store = super::fresh_store().await;
    let key = super::api_key(&store, None, None).await;
    let clients = super::fresh_secret("clients", &json!([CLIENT_SECRET]).to_string()).await;
    let ring = super::fresh_ring("RS256").await;
    let (auth, jwk) = (format!("{}/authorize", host.url), host.jwk_url());
    let mut vars = vec![
        ("ISSUER", "{gateway}"),
        ("CLIENT_SECRETS_SECRET_ARN", clients.as_str()),
        ("SIGNING_KEYS_SECRET_ARN", ring.as_str()),
        ("AUTH_URL", auth.as_str()),
        ("JWK_URL", jwk.as_str()),
        ("ADMIN_SERVER_ID", super::admin::SERVER_ID),
    ];
    vars.extend_from_slice(extra);
    let url = super::gateway(&store, store.client().clone(), &vars).await;
    let http = super::http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Full {
        url,
        store,
        key,
        ring,
        host,
        http,
    }
}

/// The `name=value` pair of an answer's `Set-Cookie`.
pub fn cookie_pair(a: &Answer) -> String {
    let set = a.headers["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// The claims of a token (unverified: the test reads what it was given).
pub fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

impl Full {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let url = format!("{}{path}", self.url);
        super::send(&self.http, method, &url, headers, body).await
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(Method::GET, path, headers, None).await
    }

    /// POST with a JSON body.
    pub async fn post_json(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Answer {
        let url = format!("{}{path}", self.url);
        super::send_json(&self.http, Method::POST, &url, headers, Some(body)).await
    }

    /// POST /token with a form body.
    pub async fn token(&self, form: &str) -> Answer {
        let ct = [("content-type", "application/x-www-form-urlencoded")];
        let body = Some(form.as_bytes().to_vec());
        self.send(Method::POST, "/token", &ct, body).await
    }

    /// An access token for client 1 (client_credentials, scope `data`).
    pub async fn client_token(&self) -> String {
        let form =
            format!("grant_type=client_credentials&client_id=1&client_secret={CLIENT_SECRET}");
        let a = self.token(&form).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["access_token"].as_str().unwrap().to_owned()
    }

    /// A host code with these claims (signed by the host's published key, no `kid`).
    pub async fn code(&self, claims: Value) -> String {
        self.host.sign(claims, json!({}), "current", false).await
    }

    /// POST /token with `grant_type=authorization_code`.
    pub async fn redeem(&self, code: &str) -> Answer {
        self.token(&format!("grant_type=authorization_code&code={code}"))
            .await
    }

    /// An access token from the code flow (scope `client`).
    pub async fn code_token(&self) -> String {
        let now = gatehouse::primitives::time::now_epoch();
        let code = self
            .code(json!({"exp": now + 60, "jti": gatehouse::primitives::crypto::random_id()}))
            .await;
        let a = self.redeem(&code).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["access_token"].as_str().unwrap().to_owned()
    }

    /// A widget temp token for user `u` (POST /widget/generateToken).
    pub async fn temp_token(&self) -> String {
        let key = [("x-api-key", self.key.as_str())];
        let a = self
            .post_json("/widget/generateToken", &key, json!({"userid": "u"}))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// POST /widget/loginToken from the allowed origin.
    pub async fn login(&self, token: &str) -> Answer {
        let headers = [("origin", ORIGIN), ("authorization", token)];
        self.send(Method::POST, "/widget/loginToken", &headers, None)
            .await
    }

    /// A widget session cookie pair (`__Host-gh_session=...`).
    pub async fn session_cookie(&self) -> String {
        let a = self.login(&self.temp_token().await).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        cookie_pair(&a)
    }

    /// A widget security token for user `u`, app `a`, bound to [`ORIGIN`].
    pub async fn security_token(&self) -> String {
        let key = [("x-api-key", self.key.as_str())];
        let body = json!({"userid": "u", "appid": "a"});
        let a = self.post_json("/widget/login/token", &key, body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// The signing key ring as it is now.
    pub async fn loaded_ring(&self) -> LoadedRing {
        super::loaded_ring(&self.ring).await
    }

    /// `token`'s claims re-timed to expire at `exp` (same lifetime, so `iat` moves too),
    /// signed again with the ring's current key: the token as it would be then.
    pub async fn retimed(&self, token: &str, exp: i64) -> String {
        let mut c = claims_of(token);
        let ttl = c.exp - c.iat;
        c.exp = exp;
        c.iat = exp - ttl;
        gatehouse::credentials::jwt::issue(&self.loaded_ring().await, &c).unwrap()
    }

    /// Every item of the table (attributes in name order), sorted by key.
    pub async fn items(&self) -> Vec<Item> {
        let pages = self
            .store
            .client()
            .scan()
            .table_name(self.store.table())
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let items: Vec<_> = pages.collect::<Result<Vec<_>, _>>().await.unwrap();
        let mut out: Vec<Item> = items.into_iter().map(|i| i.into_iter().collect()).collect();
        out.sort_by(|a, b| pk(a).cmp(pk(b)));
        out
    }

    /// The items whose key starts with `prefix`.
    pub async fn items_of(&self, prefix: &str) -> Vec<Item> {
        let mut items = self.items().await;
        items.retain(|i| pk(i).starts_with(prefix));
        items
    }
}

/// A DynamoDB item with its attributes in name order.
pub type Item = BTreeMap<String, AttributeValue>;

/// An item's key (`pk`).
pub fn pk(item: &Item) -> &str {
    item["pk"].as_s().unwrap()
}
