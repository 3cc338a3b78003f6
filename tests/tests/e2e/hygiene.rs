//! Input hygiene, as a table: every route of the API (the gateway's route table) gets a
//! valid request, and every kind of bad input is that request with one thing wrong.
//! Each bad request must get a 4xx with a JSON error body (never a 5xx or a dropped
//! connection) and leave the DynamoDB table exactly as it was: no record written,
//! consumed or counted (a malformed sign-in is no counted failure).
//!
//! | bad input | JSON routes | `POST /token` (form) | routes without a body |
//! |---|---|---|---|
//! | malformed body | 400 | 400 | — (never parsed) |
//! | wrong / no content type | 415 | 400 | — |
//! | body of 16 385 bytes | 413 | 413 | 413 |
//! | body of exactly 16 384 bytes (valid) | read: the route's normal answer | 200 | — |
//! | unknown field | 400 | ignored (RFC 6749 3.2): 200 | — |
//! | non-UTF-8 body | 400 | 400 | — |
//! | a header over the gateway's 10 KiB | 431 | 431 | 431 |
//! | a credential header of 9 000 bytes | 4xx | 4xx | 4xx |
//! | any header of the request sent twice | 4xx | 4xx | 4xx |

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::admin::keys_body;
use common::{CLIENT_SECRET, ORIGIN, Stack, full};
use gatehouse::requests::body::MAX_BODY_BYTES;
use gatehouse_e2e as common;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
/// Headers that carry or bind a credential: each gets the oversized-value case.
const CREDENTIAL_HEADERS: [&str; 5] = [
    "x-api-key",
    "authorization",
    "cookie",
    "origin",
    "x-csrf-token",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    NoBody,
    Json,
    Form,
}

/// A request of the suite (headers may repeat).
#[derive(Clone)]
struct Request {
    method: Method,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// A route's valid request, the kind of its body, and the status it gets.
struct Template {
    req: Request,
    kind: Kind,
    ok: StatusCode,
}

/// What a case must get: an exact status, or any 4xx; `bad` cases must also answer
/// with a JSON error and write nothing.
struct Case {
    what: String,
    req: Request,
    status: Option<StatusCode>,
    bad: bool,
}

impl Request {
    fn with_header(&self, name: &'static str, value: String) -> Request {
        let mut r = self.clone();
        r.headers.push((name, value));
        r
    }

    fn replacing(&self, name: &'static str, value: Option<&str>) -> Request {
        let mut r = self.clone();
        r.headers.retain(|(k, _)| *k != name);
        if let Some(v) = value {
            r.headers.push((name, v.to_owned()));
        }
        r
    }

    fn with_body(&self, body: Vec<u8>) -> Request {
        Request {
            body,
            ..self.clone()
        }
    }
}

/// `body` padded to exactly `len` bytes without changing its meaning: JSON gets
/// trailing white space, a form an ignored parameter.
fn padded(kind: Kind, body: &[u8], len: usize) -> Vec<u8> {
    let mut out = body.to_vec();
    match kind {
        Kind::Form => {
            out.extend_from_slice(b"&pad=");
            out.resize(len, b'a');
        }
        _ => out.resize(len, b' '),
    }
    assert_eq!(out.len(), len);
    out
}

fn bad(what: impl Into<String>, req: Request, status: Option<StatusCode>) -> Case {
    Case {
        what: what.into(),
        req,
        status,
        bad: true,
    }
}

fn good(what: &str, req: Request, status: StatusCode) -> Case {
    Case {
        what: what.into(),
        req,
        status: Some(status),
        bad: false,
    }
}

/// Every case for one route: header cases first, body cases after, the valid
/// exactly-16-384-byte body last (it may consume the route's one-time value).
fn cases(t: &Template) -> Vec<Case> {
    use StatusCode as S;
    let r = &t.req;
    let huge = "a".repeat(12 * 1024);
    let mut v = vec![bad(
        "a 12 KiB header",
        r.with_header("x-padding", huge),
        Some(S::REQUEST_HEADER_FIELDS_TOO_LARGE),
    )];
    for (name, value) in &r.headers {
        v.push(bad(
            format!("{name} sent twice"),
            r.with_header(name, value.clone()),
            None,
        ));
        if CREDENTIAL_HEADERS.contains(name) {
            let big = if *name == "cookie" {
                format!("{}={}", value.split('=').next().unwrap(), "A".repeat(9000))
            } else {
                "A".repeat(9000)
            };
            v.push(bad(
                format!("{name} of 9 000 bytes"),
                r.replacing(name, Some(&big)),
                None,
            ));
        }
    }
    let over = MAX_BODY_BYTES + 1;
    if t.kind == Kind::NoBody {
        let body = padded(Kind::Json, b"{}", over);
        let req = r.replacing("content-type", Some(JSON)).with_body(body);
        v.push(bad("a 16 385-byte body", req, Some(S::PAYLOAD_TOO_LARGE)));
        return v;
    }
    let (media_error, other_media) = match t.kind {
        Kind::Json => (S::UNSUPPORTED_MEDIA_TYPE, "text/plain"),
        _ => (S::BAD_REQUEST, JSON),
    };
    let valid = &r.body;
    let mut non_utf8 = valid.clone();
    non_utf8.insert(1, 0xff);
    v.extend([
        bad(
            "malformed body",
            r.with_body(br#"{"grant_type":"#.to_vec()),
            Some(S::BAD_REQUEST),
        ),
        bad(
            "wrong content type",
            r.replacing("content-type", Some(other_media)),
            Some(media_error),
        ),
        bad(
            "no content type",
            r.replacing("content-type", None),
            Some(media_error),
        ),
        bad(
            "a 16 385-byte body",
            r.with_body(padded(t.kind, valid, over)),
            Some(S::PAYLOAD_TOO_LARGE),
        ),
        bad(
            "non-UTF-8 body",
            r.with_body(non_utf8),
            Some(S::BAD_REQUEST),
        ),
    ]);
    if t.kind == Kind::Json {
        let mut extra: Value = serde_json::from_slice(valid).unwrap();
        extra["unexpected"] = json!(true);
        let body = extra.to_string().into_bytes();
        v.push(bad(
            "an unknown field",
            r.with_body(body),
            Some(S::BAD_REQUEST),
        ));
    } else {
        let mut body = valid.clone();
        body.extend_from_slice(b"&unexpected=1");
        v.push(good(
            "an unknown form parameter (ignored)",
            r.with_body(body),
            t.ok,
        ));
    }
    let exact = padded(t.kind, valid, MAX_BODY_BYTES);
    v.push(good(
        "a valid body of exactly 16 384 bytes",
        r.with_body(exact),
        t.ok,
    ));
    v
}

/// Sends the case and checks its answer (and, for bad input, that nothing was
/// written); what went wrong, if anything.
async fn run(s: &Stack, route: &str, c: &Case) -> Option<String> {
    let before = s.items().await;
    let headers: Vec<(&str, &str)> = c
        .req
        .headers
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let body = (!c.req.body.is_empty()).then(|| c.req.body.clone());
    // A `{param}` route is sent on the row's own app.
    let path = c.req.path.replace("{app_id}", "hygiene-app");
    let a = s.send(c.req.method.clone(), &path, &headers, body).await;
    let text: String = a.text.chars().take(200).collect();
    let what = format!("{route}, {}: got {} {text}", c.what, a.status);
    let json_error =
        a.headers.get("content-type").is_some_and(|v| v == JSON) && a.body["message"].is_string();
    let problem = if c.status.is_some_and(|st| st != a.status) {
        Some(format!("expected {}", c.status.unwrap()))
    } else if c.bad && !a.status.is_client_error() {
        Some("expected a 4xx".to_owned())
    } else if c.bad && !json_error {
        Some("expected a JSON error body".to_owned())
    } else if c.bad && s.items().await != before {
        Some("a record was written".to_owned())
    } else {
        None
    };
    problem.map(|p| format!("{what}\n    {p}"))
}

/// One row: `"METHOD /path"`, the valid request's headers, its body (`kind`, text;
/// the content type is added), and the status that valid request gets.
fn row(
    route: &'static str,
    headers: &[(&'static str, &str)],
    kind: Kind,
    body: &str,
    ok: StatusCode,
) -> Template {
    let (method, path) = route.split_once(' ').unwrap();
    let mut headers: Vec<(&'static str, String)> =
        headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
    match kind {
        Kind::Json => headers.push(("content-type", JSON.into())),
        Kind::Form => headers.push(("content-type", FORM.into())),
        Kind::NoBody => {}
    }
    let req = Request {
        method: method.parse().unwrap(),
        path,
        headers,
        body: body.as_bytes().to_vec(),
    };
    Template { req, kind, ok }
}

/// A signed-in admin: (cookie pair, CSRF token).
async fn admin(s: &Stack, member: &common::IamUser) -> (String, String) {
    let a = s.signin(keys_body(member)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    (
        a.cookie().unwrap(),
        a.body["csrfToken"].as_str().unwrap().to_owned(),
    )
}

/// A fresh console hand-off code of the signed-in admin (the redeem row's).
async fn handoff_code(s: &Stack, cookie: &str, csrf: &str) -> String {
    let headers = [("cookie", cookie), ("x-csrf-token", csrf)];
    let a = s
        .send(Method::POST, "/admin/console/handoff", &headers, None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["code"].as_str().unwrap().to_owned()
}

/// The user of the users routes' rows, and its password (the policy accepts it).
const USER: (&str, &str) = ("hygiene-user", "hygiene@example.com");
const USER_PASSWORD: &str = "plum-orbit-canvas-7204";

/// Creates [`USER`], an active creator, through the library as an administrator would.
async fn create_user(s: &Stack) {
    use gatehouse::credentials::password::{PasswordSettings, Passwords};
    use gatehouse::credentials::users::{self, Email, NewUser, UserKind, Username};
    let new = NewUser {
        username: Some(Username::parse(USER.0).unwrap()),
        email: Some(Email::parse(USER.1).unwrap()),
        email_verified: true,
        display_name: None,
        kind: UserKind::Creator,
        roles: Vec::new(),
        password: Some(USER_PASSWORD.to_owned().into()),
        created_by: "hygiene".into(),
    };
    let passwords = Passwords::new(&PasswordSettings::default());
    let now = gatehouse::primitives::time::now_epoch();
    users::create_user(&s.store, &passwords, new, now)
        .await
        .unwrap();
}

/// The token of a fresh invited user's invite (the accept row's).
async fn invite_token(s: &Stack) -> String {
    use gatehouse::credentials::users::{self, Email, NewUser, UserKind};
    let new = NewUser {
        username: None,
        email: Some(Email::parse("hygiene-invited@example.com").unwrap()),
        email_verified: false,
        display_name: None,
        kind: UserKind::EndUser,
        roles: Vec::new(),
        password: None,
        created_by: "hygiene".into(),
    };
    let now = gatehouse::primitives::time::now_epoch();
    let (_, _, token) = users::create_invited_user(&s.store, new, now)
        .await
        .unwrap();
    token.expose().to_owned()
}

/// A signed-in user's cookie pair (`__Host-gh_user=...`).
async fn user_cookie(s: &Stack, body: &str) -> String {
    let headers = [("origin", ORIGIN), ("content-type", JSON)];
    let a = s
        .send(Method::POST, "/users/signin", &headers, Some(body.into()))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.cookie().unwrap()
}

/// The valid request of every route, with fresh credentials: the table of the suite.
#[rustfmt::skip]
async fn templates(s: &Stack) -> Vec<Template> {
    use Kind::*;
    use StatusCode as S;
    let basic = format!("Basic {}", B64.encode(format!("1:{CLIENT_SECRET}")));
    let access = format!("Bearer {}", s.client_token().await);
    let code = format!("Bearer {}", s.code_token().await);
    let widget = format!("Bearer {}", s.security_token().await);
    let (cookie, logout_cookie) = (s.session_cookie().await, s.session_cookie().await);
    let login = json!({"token": s.temp_token().await}).to_string();
    let member = common::iam_user(true).await;
    let signin = keys_body(&member).to_string();
    let (admin_cookie, csrf) = admin(s, &member).await;
    let (signout_cookie, signout_csrf) = admin(s, &member).await;
    let (resume_cookie, _) = admin(s, &member).await;
    let redeem = json!({"code": handoff_code(s, &admin_cookie, &csrf).await}).to_string();
    let key = ("x-api-key", s.key.as_str());
    let origin = ("origin", ORIGIN);
    let admin_read = [("cookie", admin_cookie.as_str())];
    let admin_write = [admin_read[0], ("x-csrf-token", csrf.as_str())];
    let signout = [("cookie", signout_cookie.as_str()), ("x-csrf-token", signout_csrf.as_str())];
    let no_key = r#"{"id":"AAAAAAAAAAAAAAAA"}"#;
    let no_user = r#"{"user_id":"AAAAAAAAAAAAAAAA"}"#;
    let signup_settings = r#"{"mode":"open","allowed_domains":[],"require_email_verification":false,"default_kind":"creator","default_roles":[]}"#;
    create_user(s).await;
    let user_signin = json!({"identifier": USER.0, "password": USER_PASSWORD}).to_string();
    let (user, signout_user) = (user_cookie(s, &user_signin).await, user_cookie(s, &user_signin).await);
    let app = json!({"app_id": "hygiene-app", "name": "Hygiene"});
    let headers = [("cookie", user.as_str()), ("origin", ORIGIN)];
    let made = s.send_json(Method::POST, "/apps", &headers, Some(app)).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    // Its valid request signs the other two sessions out: its row runs after theirs.
    let change_user = user_cookie(s, &user_signin).await;
    let change = json!({"current_password": USER_PASSWORD, "new_password": "quartz-meadow-lantern-3391"}).to_string();
    let accept = json!({"token": invite_token(s).await, "new_password": USER_PASSWORD}).to_string();
    let new_user = r#"{"email":"hygiene-new@example.com","kind":"end_user","delivery":"link"}"#;
    let new_idp = r#"{"id":"hygiene","display_name":"Hygiene","issuer":"https://hygiene.idp.example.com","client_id":"gh","client_secret":"hygiene-client-secret-0123","provisioning":"auto_create","default_kind":"creator","allowed_email_domains":["corp.example"]}"#;
    let no_idp = r#"{"id":"nobody"}"#;
    let email = format!("hygiene-{}@example.com", gatehouse::primitives::crypto::random_base62(10));
    let signup = json!({"email": email, "password": USER_PASSWORD}).to_string();
    let verify = json!({"token": "A".repeat(43)}).to_string();
    let reset = json!({"token": "A".repeat(43), "new_password": "quartz-meadow-lantern-3391"}).to_string();
    vec![
        row("POST /token", &[("authorization", &basic)], Form, "grant_type=client_credentials", S::OK),
        row("POST /authorize", &[], NoBody, "", S::TEMPORARY_REDIRECT),
        row("GET /.well-known/jwks.json", &[], NoBody, "", S::OK),
        row("GET /.well-known/oauth-authorization-server", &[], NoBody, "", S::OK),
        row("GET /openapi.json", &[], NoBody, "", S::OK),
        row("GET /whoami", &[key], NoBody, "", S::OK),
        row("GET /display", &[("authorization", &widget), origin], NoBody, "", S::OK),
        row("GET /display/rules", &[("cookie", &cookie), origin], NoBody, "", S::OK),
        row("POST /comments", &[("authorization", &code)], NoBody, "", S::OK),
        row("GET /stats", &[("authorization", &access)], NoBody, "", S::OK),
        // The demo app route on the creator's own app (sent as `/apps/hygiene-app/data`).
        row("GET /apps/{app_id}/data", &[key], NoBody, "", S::OK),
        row("POST /widget/generateToken", &[key], Json, r#"{"userid":"u"}"#, S::OK),
        row("POST /widget/login/token", &[key], Json, r#"{"userid":"u","appid":"a"}"#, S::OK),
        row("POST /widget/loginToken", &[origin], Json, &login, S::OK),
        row("POST /widget/logout", &[("cookie", &logout_cookie), origin], NoBody, "", S::OK),
        row("POST /users/signin", &[origin], Json, &user_signin, S::OK),
        row("GET /users/password-policy", &[], NoBody, "", S::OK),
        row("GET /users/me", &[("cookie", &user), origin], NoBody, "", S::OK),
        // Applications (the creator's own app `hygiene-app`; no such grant; the grants
        // listing's query is required).
        row("GET /users/me/apps", &[("cookie", &user), origin], NoBody, "", S::OK),
        row("POST /apps", &[("cookie", &user), origin], Json, r#"{"name":"Hygiene"}"#, S::OK),
        row("POST /apps/update", &[("cookie", &user), origin], Json, r#"{"app_id":"hygiene-app","name":"Hygiene 2"}"#, S::OK),
        row("POST /apps/grants/add", &[("cookie", &user), origin], Json, r#"{"app_id":"hygiene-app","user_id":"AAAAAAAAAAAAAAAA"}"#, S::NOT_FOUND),
        row("POST /apps/grants/remove", &[("cookie", &user), origin], Json, r#"{"app_id":"hygiene-app","user_id":"AAAAAAAAAAAAAAAA"}"#, S::NOT_FOUND),
        row("GET /apps/grants", &[("cookie", &user), origin], NoBody, "", S::BAD_REQUEST),
        row("POST /users/signout", &[("cookie", &signout_user), origin], NoBody, "", S::OK),
        row("POST /users/password/change", &[("cookie", &change_user), origin], Json, &change, S::OK),
        row("POST /admin/signin", &[], Json, &signin, S::OK),
        row("POST /admin/signout", &signout, NoBody, "", S::OK),
        row("GET /admin/console", &[], NoBody, "", S::OK),
        row("GET /admin/console/app.js", &[], NoBody, "", S::OK),
        row("GET /admin/console/app.css", &[], NoBody, "", S::OK),
        row("GET /admin/console/sigv4.js", &[], NoBody, "", S::OK),
        row("GET /admin/console/config", &[], NoBody, "", S::OK),
        row("POST /admin/console/handoff", &admin_write, NoBody, "", S::OK),
        row("POST /admin/console/redeem", &[("origin", &s.url)], Json, &redeem, S::OK),
        row("POST /admin/console/resume", &[("cookie", resume_cookie.as_str()), ("origin", &s.url)], NoBody, "", S::OK),
        row("GET /admin/keys", &admin_read, NoBody, "", S::OK),
        row("POST /admin/keys", &admin_write, Json, r#"{"name":"k"}"#, S::OK),
        row("POST /admin/keys/disable", &admin_write, Json, no_key, S::NOT_FOUND),
        row("POST /admin/keys/delete", &admin_write, Json, no_key, S::NOT_FOUND),
        row("GET /admin/clients", &admin_read, NoBody, "", S::OK),
        row("POST /admin/clients", &admin_write, Json, "{}", S::OK),
        row("POST /admin/clients/disable", &admin_write, Json, r#"{"client_id":99}"#, S::NOT_FOUND),
        row("GET /admin/sessions", &admin_read, NoBody, "", S::OK),
        row("POST /admin/sessions/revoke", &admin_write, Json, r#"{"kind":"admin","id_hash":"00"}"#, S::NOT_FOUND),
        row("POST /admin/sessions/revoke-user", &admin_write, Json, r#"{"userid":"nobody"}"#, S::OK),
        row("POST /admin/signing-keys/rotate", &admin_write, Json, "{}", S::CONFLICT),
        // Invites.
        row("POST /users/invite/accept", &[origin], Json, &accept, S::OK),
        // Sign-up: every valid request answers alike (the first creates the account).
        row("POST /users/signup", &[origin], Json, &signup, S::ACCEPTED),
        row("GET /users/signup/config", &[origin], NoBody, "", S::OK),
        row("POST /users/verify-email", &[origin], Json, &verify, S::BAD_REQUEST),
        // Password reset: an unknown address is accepted like any other; no such token.
        row("POST /users/password/forgot", &[origin], Json, r#"{"email":"hygiene-nobody@example.com"}"#, S::ACCEPTED),
        row("POST /users/password/reset", &[origin], Json, &reset, S::BAD_REQUEST),
        // Single sign-on: with no query, start and callback redirect with invalid_request;
        // no such one-time code.
        row("GET /sso/providers", &[], NoBody, "", S::OK),
        row("GET /sso/start", &[], NoBody, "", S::FOUND),
        row("GET /sso/callback", &[], NoBody, "", S::FOUND),
        row("POST /users/sso/redeem", &[origin], Json, r#"{"code":"no-such-code"}"#, S::BAD_REQUEST),
        row("POST /admin/users", &admin_write, Json, new_user, S::OK),
        row("POST /admin/users/reset-credentials", &admin_write, Json, r#"{"user_id":"nobody","delivery":"email"}"#, S::NOT_FOUND),
        // People, managed by administrators.
        row("GET /admin/users", &admin_read, NoBody, "", S::OK),
        row("POST /admin/users/disable", &admin_write, Json, no_user, S::NOT_FOUND),
        row("POST /admin/users/enable", &admin_write, Json, no_user, S::NOT_FOUND),
        row("POST /admin/users/delete", &admin_write, Json, no_user, S::NOT_FOUND),
        row("GET /admin/apps", &admin_read, NoBody, "", S::OK),
        row("POST /admin/apps/transfer", &admin_write, Json, r#"{"app_id":"nobody","new_owner":"AAAAAAAAAAAAAAAA"}"#, S::NOT_FOUND),
        row("POST /admin/apps/explain", &admin_write, Json, r#"{"app_id":"nobody","user_id":"AAAAAAAAAAAAAAAA","route":"GET /apps/nobody/data"}"#, S::NOT_FOUND),
        row("POST /admin/users/link-identity", &admin_write, Json, r#"{"user_id":"AAAAAAAAAAAAAAAA","idp":"nobody","sub":"s"}"#, S::NOT_FOUND),
        // Runtime settings: last, so the sign-up rows run under the defaults.
        row("GET /admin/settings", &admin_read, NoBody, "", S::OK),
        row("POST /admin/settings/signup", &admin_write, Json, signup_settings, S::OK),
        row("POST /admin/settings/login", &admin_write, Json, r#"{"password_login":true}"#, S::OK),
        // Identity providers (no provider exists: the row's own add is the first).
        row("GET /admin/idps", &admin_read, NoBody, "", S::OK),
        row("POST /admin/idps", &admin_write, Json, new_idp, S::OK),
        row("POST /admin/idps/update", &admin_write, Json, no_idp, S::NOT_FOUND),
        row("POST /admin/idps/disable", &admin_write, Json, no_idp, S::NOT_FOUND),
        row("POST /admin/idps/delete", &admin_write, Json, no_idp, S::NOT_FOUND),
        row("POST /admin/idps/test", &admin_write, Json, no_idp, S::NOT_FOUND),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_bad_input_with_a_json_4xx_and_writes_nothing() {
    // A long API key cache: no `last_used` write can land in the middle of a case.
    let s = full(&[("API_KEY_CACHE_TTL", "3600")]).await;
    let templates = templates(&s).await;
    // Every route the gateway serves has its row.
    for r in gatehouse_local::routes::ROUTES {
        assert!(
            templates
                .iter()
                .any(|t| t.req.method.as_str() == r.method && t.req.path == r.path),
            "no hygiene row for {} {}",
            r.method,
            r.path
        );
    }
    let (mut requests, mut failures) = (0, Vec::new());
    for t in &templates {
        let route = format!("{} {}", t.req.method, t.req.path);
        for c in cases(t) {
            failures.extend(run(&s, &route, &c).await);
            requests += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The quotas of sign-up and password reset count their valid requests by design
    // (README "People", sign-up and password reset); nothing else may count.
    let counted: Vec<_> = s
        .items_of(gatehouse::records::prefix::RATE)
        .await
        .into_iter()
        .filter(|i| {
            !["rate#usr-signup#", "rate#usr-send#", "rate#usr-forgot#"]
                .iter()
                .any(|p| common::pk(i).starts_with(p))
        })
        .collect();
    assert!(
        counted.is_empty(),
        "no sign-in failure was counted: {counted:?}"
    );
    println!(
        "{} routes, {requests} requests: every bad one a JSON 4xx, nothing written",
        templates.len()
    );
}
