//! A sign-in through the fake provider ([`crate::idp::FakeIdp`]), as a browser makes it
//! (README "Single sign-on"): `/sso/start`, the provider's consent, `/sso/callback`
//! and the one-time code's redemption. The e2e suite `sso` and log capture share it.

use gatehouse::credentials::users::UserKind;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin::Admin;
use crate::idp::FakeIdp;
use crate::{Answer, ORIGIN, Stack};

/// The provider's client secret at Gatehouse (never logged or answered).
pub const CLIENT_SECRET: &str = "sso-client-secret-Never-Logged-5e6f";

/// A stack, the fake provider registered as `fake`, and a user linked to its subject
/// `sub-ann`.
pub struct Sso {
    pub s: Stack,
    pub idp: FakeIdp,
    pub admin: Admin,
    pub user_id: String,
}

/// An admin API call that must succeed.
async fn admin_ok(s: &Stack, admin: &Admin, path: &str, body: serde_json::Value) {
    let a = s.call(admin, Method::POST, path, Some(body)).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
}

/// [`Sso`] on a stack with `env`.
pub async fn setup(env: &[(&str, &str)]) -> Sso {
    let idp = FakeIdp::start();
    let s = Stack::builder().admin_signin().env(env).start().await;
    let admin = s.admin(&crate::iam_user(true).await).await;
    let body = json!({"id": "fake", "display_name": "Fake IdP", "issuer": idp.issuer(),
        "client_id": "gatehouse", "client_secret": CLIENT_SECRET});
    admin_ok(&s, &admin, "/admin/idps", body).await;
    idp.control(
        json!({"profile": {"sub": "sub-ann", "email": "ann@corp.example",
        "email_verified": true, "preferred_username": "ann", "name": "Ann"}}),
    )
    .await;
    let user = s.person(UserKind::Creator).await;
    let link = json!({"user_id": user.id, "idp": "fake", "sub": "sub-ann"});
    admin_ok(&s, &admin, "/admin/users/link-identity", link).await;
    Sso {
        s,
        idp,
        admin,
        user_id: user.id,
    }
}

/// A redirect's `Location`.
pub fn location(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::FOUND, "{}", a.text);
    a.headers["location"].to_str().unwrap().to_owned()
}

/// The query parameter `name` of `url`.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The user's page's fragment parameter `name`.
pub fn fragment(url: &str, name: &str) -> Option<String> {
    let (page, frag) = url.split_once('#')?;
    assert_eq!(page, ORIGIN, "the user's page");
    form_urlencoded::parse(frag.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A started sign-in: the browser's cookie and the provider's redirect to the callback.
pub struct Started {
    pub cookie: String,
    pub callback: String,
}

impl Sso {
    /// `/sso/start`, the provider's consent (its client registered with the callback
    /// URL Gatehouse sent), and the callback URL on this stack.
    pub async fn start(&self, return_to: &str) -> Started {
        let path = format!("/sso/start?idp=fake&return_to={return_to}");
        let a = self.s.get(&path, &[]).await;
        let set = a.set_cookie().unwrap();
        assert!(
            set.ends_with("; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=600"),
            "{set}"
        );
        let auth = location(&a);
        let redirect = param(&auth, "redirect_uri").unwrap();
        self.idp
            .register_client("gatehouse", CLIENT_SECRET, &redirect)
            .await;
        let back = self.idp.authorize(&auth).await;
        let (_, query) = back.split_once('?').unwrap();
        Started {
            cookie: a.cookie().unwrap(),
            callback: format!("/sso/callback?{query}"),
        }
    }

    /// The callback's answer, sent with `cookie`.
    pub async fn callback_answer(&self, started: &Started, cookie: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        self.s.get(&started.callback, &headers).await
    }

    /// Where the callback sends the browser.
    pub async fn callback(&self, started: &Started, cookie: Option<&str>) -> String {
        location(&self.callback_answer(started, cookie).await)
    }

    /// `POST /users/sso/redeem {code}` from the user's page.
    pub async fn redeem(&self, code: &str) -> Answer {
        let body = json!({ "code": code });
        self.s
            .send_json(
                Method::POST,
                "/users/sso/redeem",
                &[("origin", ORIGIN)],
                Some(body),
            )
            .await
    }
}
