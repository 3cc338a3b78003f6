//! The one test stack: a local gateway on a free port over a fresh table and a fresh
//! signing key ring, with what the test asks for (an API key, a client list, the test
//! host's codes, admin sign-in, extra environment), and the requests the suites send it.
//!
//! ```ignore
//! let s = Stack::builder().api_key().env(&[("AUTHORIZER_RESPONSE", "iam")]).start().await;
//! let s = full(&[]).await; // every function configured (Stack::full)
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use gatehouse::adapters::DynamoStore;
use gatehouse::adapters::lambda::LambdaAuthorizer;
use gatehouse::credentials::jwt::Claims;
use gatehouse::credentials::keys::{LoadedRing, SigningAlg};
use gatehouse::credentials::password::{PasswordSettings, Passwords};
use gatehouse::credentials::users::{Email, NewUser, User, UserKind, Username, create_user};
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::primitives::crypto::random_base62;
use gatehouse::primitives::time::now_epoch;
use gatehouse::records::access::Function;
use gatehouse_local::gateway::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin::{Admin, SERVER_ID, keys_body};
use crate::faults::{StackSecrets, Wiring};
use crate::{Answer, Host, IamUser};

/// The allowed embedding origin (`ALLOWED_ORIGINS` of [`crate::config`]).
pub const ORIGIN: &str = "http://localhost:3001";
/// client_id 1's secret (a raw hex entry) in [`Stack::full`]'s client list.
pub const CLIENT_SECRET: &str = "6a1f0c9e4b7d2a58c3e9f0b1d4a7c2e5";
/// The password of every person [`Stack::person`] creates (README "People": 15 to 128
/// code points, not a common password, none of the user's own words).
pub const USER_PASSWORD: &str = "Harness-Person-Passw0rd-Never-Logged";

/// A running gateway and what the test needs to talk to it.
pub struct Stack {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The table, as the operator (unrestricted) sees it.
    pub store: DynamoStore,
    /// An API key with the default scopes ([`StackBuilder::api_key`]; empty without).
    pub key: String,
    /// The signing key ring's secret name.
    pub ring: String,
    /// The client list's secret name ([`StackBuilder::clients`]; empty without).
    pub clients_secret: String,
    /// The providers' client secrets (`IDP_SECRETS_SECRET_ARN`, a fresh `{}`).
    pub idp_secrets: String,
    host: Option<Host>,
    /// Follows no redirect (the code flow's 307 is an answer to check).
    pub http: reqwest::Client,
    /// The same, from another source address (127.0.0.2).
    pub other_ip: reqwest::Client,
}

/// What [`Stack::builder`] sets up; [`StackBuilder::start`] runs it.
#[derive(Default)]
pub struct StackBuilder {
    api_key: bool,
    clients: Option<Value>,
    host: bool,
    admin_signin: bool,
    ring_alg: Option<SigningAlg>,
    env: Vec<(String, String)>,
    wiring: Option<Wiring>,
    secrets: Option<StackSecrets>,
    clock: Option<gatehouse::functions::users::Clock>,
}

/// [`Stack::full`] with `extra` environment, started.
pub async fn full(extra: &[(&str, &str)]) -> Stack {
    Stack::full().env(extra).start().await
}

impl Stack {
    /// A bare stack: a fresh table and RS256 ring, every function with its defaults.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// Every function configured: an API key, client 1 ([`CLIENT_SECRET`]), the test
    /// host's codes, admin sign-in, and `ISSUER` set to the gateway's URL.
    pub fn full() -> StackBuilder {
        Stack::builder()
            .api_key()
            .clients(json!([CLIENT_SECRET]))
            .host()
            .admin_signin()
            .env(&[("ISSUER", "{gateway}")])
    }
}

impl StackBuilder {
    /// Creates an API key with the default scopes ([`Stack::key`]).
    pub fn api_key(mut self) -> Self {
        self.api_key = true;
        self
    }

    /// A fresh client list secret holding `list` (`CLIENT_SECRETS_SECRET_ARN`).
    pub fn clients(mut self, list: Value) -> Self {
        self.clients = Some(list);
        self
    }

    /// Starts the test host ([`Stack::host`]) and turns the code flow on
    /// (`AUTH_URL`, `JWK_URL`).
    pub fn host(mut self) -> Self {
        self.host = true;
        self
    }

    /// Admin sign-in for this server (`ADMIN_SERVER_ID` = [`SERVER_ID`]).
    pub fn admin_signin(mut self) -> Self {
        self.admin_signin = true;
        self
    }

    /// The signing key ring's algorithm (RS256 unless set; `SIGNING_ALG` too).
    pub fn ring(mut self, alg: SigningAlg) -> Self {
        self.ring_alg = Some(alg);
        self
    }

    /// Extra environment, applied in order after the settings above (a later value
    /// wins). `{gateway}` in a value stands for the gateway's own URL (e.g. `ISSUER`).
    pub fn env(mut self, vars: &[(&str, &str)]) -> Self {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        self.env.extend(vars);
        self
    }

    /// The AWS clients the gateway and the test use (default: [`Wiring::emulators`]).
    pub fn via(mut self, wiring: Wiring) -> Self {
        self.wiring = Some(wiring);
        self
    }

    /// The client list and ring secrets, by name and value (written through the
    /// wiring's operator client), instead of fresh ones: a test that restarts Secrets
    /// Manager writes them again. Replaces [`Self::clients`] and [`Self::ring`].
    pub fn secrets(mut self, secrets: &StackSecrets) -> Self {
        self.secrets = Some(secrets.clone());
        self
    }

    /// The users function reads this clock (lockout timing).
    pub fn clock(mut self, clock: gatehouse::functions::users::Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Starts the gateway on a free port.
    pub async fn start(mut self) -> Stack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let url = format!("http://{addr}");
        let w = match self.wiring.take() {
            Some(w) => w,
            None => Wiring::emulators().await,
        };
        let host = self.host.then(Host::start);
        let key = self.key(&w.store).await;
        let (ring, clients_secret, mut vars) = self.secret_vars(&w).await;
        let idp_secrets = crate::fresh_secret("idps", "{}").await;
        vars.push(("IDP_SECRETS_SECRET_ARN".into(), idp_secrets.clone()));
        if let Some(h) = &host {
            vars.push(("AUTH_URL".into(), format!("{}/authorize", h.url)));
            vars.push(("JWK_URL".into(), h.jwk_url()));
        }
        if self.admin_signin {
            vars.push(("ADMIN_SERVER_ID".into(), SERVER_ID.into()));
        }
        let env = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{gateway}", &url)));
        vars.extend(env);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let cfg = crate::config(w.store.table(), &vars);
        let users = gatehouse::adapters::lambda::LambdaUsers::new(
            cfg.clone(),
            w.dynamodb.clone(),
            w.ses.clone(),
            w.secrets.clone(),
        );
        let users = match self.clock.take() {
            Some(clock) => users.with_clock(clock),
            None => users,
        };
        let admin = gatehouse::adapters::lambda::LambdaAdmin::with_identity(
            cfg.clone(),
            gatehouse::adapters::AwsIdentity::new(&w.admin_sdk).unwrap(),
            w.secrets.clone(),
            w.dynamodb.clone(),
            w.ses.clone(),
        )
        .unwrap();
        let gw = Gateway::new(&cfg, w.dynamodb, w.secrets, &w.admin_sdk, addr)
            .unwrap()
            .with_users(users)
            .with_admin(admin);
        tokio::spawn(Arc::new(gw).serve(listener));
        let client = || crate::http_builder().redirect(reqwest::redirect::Policy::none());
        let other_ip = client().local_address(std::net::IpAddr::from([127, 0, 0, 2]));
        Stack {
            url,
            store: w.store,
            key,
            ring,
            clients_secret,
            idp_secrets,
            host,
            http: client().build().unwrap(),
            other_ip: other_ip.build().unwrap(),
        }
    }

    /// The ring's and the client list's secret names, and their variables: the given
    /// [`Self::secrets`], or fresh ones.
    async fn secret_vars(&self, w: &Wiring) -> (String, String, Vec<(String, String)>) {
        if let Some(s) = &self.secrets {
            s.write(&w.secrets_admin).await;
            let vars = vec![
                ("SIGNING_KEYS_SECRET_ARN".into(), s.ring.0.clone()),
                ("CLIENT_SECRETS_SECRET_ARN".into(), s.clients.0.clone()),
            ];
            return (s.ring.0.clone(), s.clients.0.clone(), vars);
        }
        let alg = self.ring_alg.unwrap_or(SigningAlg::RS256);
        let ring = crate::fresh_ring(alg.as_str()).await;
        let mut vars = vec![("SIGNING_KEYS_SECRET_ARN".into(), ring.clone())];
        if self.ring_alg.is_some() {
            vars.push(("SIGNING_ALG".into(), alg.as_str().into()));
        }
        let mut clients = String::new();
        if let Some(list) = &self.clients {
            clients = crate::fresh_secret("clients", &list.to_string()).await;
            vars.push(("CLIENT_SECRETS_SECRET_ARN".into(), clients.clone()));
        }
        (ring, clients, vars)
    }

    /// The authorizer alone, called directly (no gateway, no ring): over the table,
    /// with the extra environment. Returns it and [`Self::api_key`]'s key.
    pub async fn authorizer(self) -> (LambdaAuthorizer, String) {
        let store = crate::fresh_store().await;
        let key = self.key(&store).await;
        let vars: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let config = crate::config(store.table(), &vars);
        let store = crate::as_function(&store, Function::Authorizer);
        (Authorizer::new(&config, store, crate::secrets().await), key)
    }

    async fn key(&self, store: &DynamoStore) -> String {
        match self.api_key {
            true => crate::api_key(store, None, None).await,
            false => String::new(),
        }
    }
}

/// The claims of a token (unverified: the test reads what it was given).
pub fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

impl Stack {
    /// The test host ([`StackBuilder::host`]).
    pub fn host(&self) -> &Host {
        self.host.as_ref().expect("a stack built with .host()")
    }

    /// `method path` with `headers` (repeats allowed) and an optional raw body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let url = format!("{}{path}", self.url);
        crate::send(&self.http, method, &url, headers, body).await
    }

    /// [`Self::send`] with an optional JSON body (and its content type).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let url = format!("{}{path}", self.url);
        crate::send_json(&self.http, method, &url, headers, body).await
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(Method::GET, path, headers, None).await
    }

    /// GET with `Authorization: Bearer <token>`.
    pub async fn get_with_bearer(&self, path: &str, token: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        self.get(path, &[("authorization", &bearer)]).await
    }

    /// POST with an optional JSON body.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Answer {
        self.send_json(Method::POST, path, headers, body).await
    }

    /// POST /token with a form body.
    pub async fn token(&self, form: &str) -> Answer {
        self.token_with(&self.http, form, None).await
    }

    /// POST /token through `http` (e.g. [`Self::other_ip`]), with an `Authorization`
    /// header (HTTP Basic) if given.
    pub async fn token_with(
        &self,
        http: &reqwest::Client,
        form: &str,
        authorization: Option<&str>,
    ) -> Answer {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        headers.extend(authorization.map(|a| ("authorization", a)));
        let url = format!("{}/token", self.url);
        let body = Some(form.as_bytes().to_vec());
        crate::send(http, Method::POST, &url, &headers, body).await
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
        self.host().sign(claims, json!({}), "current", false).await
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

    /// A widget temp token (POST /widget/generateToken with `body`, the stack's key).
    pub async fn temp_token_for(&self, body: Value) -> String {
        let key = [("x-api-key", self.key.as_str())];
        let a = self.post("/widget/generateToken", &key, Some(body)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// A widget temp token for user `u`.
    pub async fn temp_token(&self) -> String {
        self.temp_token_for(json!({"userid": "u"})).await
    }

    /// POST /widget/loginToken from the allowed origin.
    pub async fn login(&self, token: &str) -> Answer {
        let headers = [("origin", ORIGIN), ("authorization", token)];
        self.post("/widget/loginToken", &headers, None).await
    }

    /// A widget session cookie pair (`__Host-gh_session=...`).
    pub async fn session_cookie(&self) -> String {
        let a = self.login(&self.temp_token().await).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.cookie().unwrap()
    }

    /// A fresh active person of `kind` (user name `p<random>`, e-mail
    /// `<name>@example.com`, no roles) with [`USER_PASSWORD`], created the one way users
    /// are created (README "People").
    pub async fn person(&self, kind: UserKind) -> User {
        let name = format!("p{}", random_base62(12).to_ascii_lowercase());
        let new = NewUser {
            username: Some(Username::parse(&name).unwrap()),
            email: Some(Email::parse(&format!("{name}@example.com")).unwrap()),
            email_verified: true,
            display_name: None,
            kind,
            roles: Vec::new(),
            password: Some(USER_PASSWORD.to_owned().into()),
            created_by: "test".into(),
        };
        let passwords = Passwords::new(&PasswordSettings::default());
        create_user(&self.store, &passwords, new, now_epoch())
            .await
            .unwrap()
    }

    /// POST /users/signin `{identifier, password}` from the allowed origin.
    pub async fn user_signin(&self, identifier: &str, password: &str) -> Answer {
        let body = json!({"identifier": identifier, "password": password});
        self.post("/users/signin", &[("origin", ORIGIN)], Some(body))
            .await
    }

    /// A fresh [`Self::person`] of `kind`, signed in: its user cookie pair
    /// (`__Host-gh_user=...`).
    pub async fn user_cookie(&self, kind: UserKind) -> String {
        self.signed_in(kind).await.1
    }

    /// A fresh [`Self::person`] of `kind`, signed in: the user and its cookie pair.
    pub async fn signed_in(&self, kind: UserKind) -> (User, String) {
        let person = self.person(kind).await;
        let name = person.username.clone().unwrap();
        let a = self.user_signin(name.as_str(), USER_PASSWORD).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        (person, a.cookie().unwrap())
    }

    /// POST /widget/login/token with `body` and the stack's key: the answer.
    pub async fn security_token_answer(&self, body: Value) -> Answer {
        let key = [("x-api-key", self.key.as_str())];
        self.post("/widget/login/token", &key, Some(body)).await
    }

    /// A widget security token for user `u`, app `a`, bound to [`ORIGIN`].
    pub async fn security_token(&self) -> String {
        let body = json!({"userid": "u", "appid": "a"});
        let a = self.security_token_answer(body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// POST /admin/signin with `body`.
    pub async fn signin(&self, body: Value) -> Answer {
        self.post("/admin/signin", &[], Some(body)).await
    }

    /// Signs `u` in with its keys: the session (its cookie is checked).
    pub async fn admin(&self, u: &IamUser) -> Admin {
        let a = self.signin(keys_body(u)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let set = a.set_cookie().unwrap();
        assert!(
            set.ends_with("; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"),
            "{set}"
        );
        Admin {
            cookie: a.cookie().unwrap(),
            csrf: a.body["csrfToken"].as_str().unwrap().to_owned(),
        }
    }

    /// An admin API call with `admin`'s cookie and CSRF token.
    pub async fn call(
        &self,
        admin: &Admin,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let headers = [("cookie", &admin.cookie[..]), ("x-csrf-token", &admin.csrf)];
        self.send_json(method, path, &headers, body).await
    }

    /// The signing key ring as it is now.
    pub async fn loaded_ring(&self) -> LoadedRing {
        crate::loaded_ring(&self.ring).await
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
