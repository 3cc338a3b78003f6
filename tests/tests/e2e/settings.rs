//! Runtime settings through the admin API and the CLI (README "Admin API", settings):
//! what is in force and where it comes from, a change stored whole, strict bodies, the
//! two refusals that write nothing (verification without `EMAIL_FROM`, password login
//! off), the admin session, CSRF and Origin rules, and sign-up obeying a change at once.

use gatehouse::credentials::users::UserKind;
use gatehouse_e2e::admin::{Admin, keys_body};
use gatehouse_e2e::{self as common, Answer, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin_e2e::{cli, cli_ok};

/// No sender: the harness sets `EMAIL_FROM` (the sender moto's SES verified).
const NO_MAIL: (&str, &str) = ("EMAIL_FROM", "");

async fn stack(env: &[(&str, &str)]) -> Stack {
    Stack::builder().admin_signin().env(env).start().await
}

async fn admin(s: &Stack) -> Admin {
    s.admin(&common::iam_user(true).await).await
}

async fn get(s: &Stack, admin: &Admin) -> Answer {
    s.call(admin, Method::GET, "/admin/settings", None).await
}

async fn set(s: &Stack, admin: &Admin, group: &str, body: Value) -> Answer {
    let path = format!("/admin/settings/{group}");
    s.call(admin, Method::POST, &path, Some(body)).await
}

fn signup_body() -> Value {
    json!({"mode": "domain", "allowed_domains": ["Example.COM", "example.com", "b.org"],
        "require_email_verification": true, "default_kind": "end_user",
        "default_roles": ["analyst", "viewer"]})
}

/// The settings items in the table.
async fn stored(s: &Stack) -> Vec<common::Item> {
    s.items_of("settings#").await
}

fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    &a.body
}

#[tokio::test]
async fn nothing_stored_shows_the_defaults_with_the_signup_mode_parameter() {
    let s = stack(&[
        NO_MAIL,
        ("SIGNUP_MODE", "closed"),
        ("SETTINGS_CACHE_TTL", "7"),
    ])
    .await;
    let admin = admin(&s).await;
    assert_eq!(
        ok(&get(&s, &admin).await),
        &json!({
            "signup": {"mode": "closed", "allowed_domains": [],
                "require_email_verification": true, "default_kind": "creator",
                "default_roles": [], "source": "default"},
            "login": {"password_login": true, "source": "default"},
            "email_configured": false,
            "settings_cache_ttl_seconds": 7,
        })
    );
    assert!(stored(&s).await.is_empty(), "a read writes nothing");
}

#[tokio::test]
async fn a_change_is_stored_whole_and_read_back_as_stored() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let admin = s.admin(&member).await;
    let a = set(&s, &admin, "signup", signup_body()).await;
    let expected = json!({"mode": "domain", "allowed_domains": ["example.com", "b.org"],
        "require_email_verification": true, "default_kind": "end_user",
        "default_roles": ["analyst", "viewer"], "source": "stored"});
    assert_eq!(ok(&a), &expected);
    let now = ok(&get(&s, &admin).await).clone();
    assert_eq!(now["signup"], expected);
    assert_eq!(now["login"]["source"], "default");
    assert_eq!(now["email_configured"], true);
    let items = stored(&s).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(common::pk(item), "settings#signup");
    assert_eq!(item["mode"].as_s().unwrap(), "domain");
    assert_eq!(item["updated_by"].as_s().unwrap(), &member.name);
    // Login: true is stored (false is refused, below).
    let a = set(&s, &admin, "login", json!({"password_login": true})).await;
    assert_eq!(ok(&a), &json!({"password_login": true, "source": "stored"}));
    let now = ok(&get(&s, &admin).await).clone();
    assert_eq!(
        now["login"],
        json!({"password_login": true, "source": "stored"})
    );
    assert_eq!(stored(&s).await.len(), 2);
    // A second write replaces the first whole.
    let mut open = signup_body();
    open["mode"] = json!("open");
    open["allowed_domains"] = json!([]);
    open["default_roles"] = json!([]);
    let a = set(&s, &admin, "signup", open).await;
    assert_eq!(ok(&a)["allowed_domains"], json!([]));
    assert_eq!(ok(&get(&s, &admin).await)["signup"]["mode"], "open");
}

#[tokio::test]
async fn bad_bodies_are_400s_naming_the_field_and_write_nothing() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let with = |field: &str, value: Value| {
        let mut b = signup_body();
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = signup_body();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases = [
        ("extra", with("extra", json!(1))),
        ("default_roles", without("default_roles")),
        ("mode", without("mode")),
        ("allowed_domains", with("allowed_domains", json!([]))),
        (
            "allowed_domains",
            with("allowed_domains", json!(["not a domain"])),
        ),
        (
            "allowed_domains",
            with("allowed_domains", json!(["a.com."])),
        ),
        ("mode", with("mode", json!("Open"))),
        ("default_kind", with("default_kind", json!("admin"))),
        ("default_roles", with("default_roles", json!(["Bad Role"]))),
        (
            "require_email_verification",
            with("require_email_verification", json!("yes")),
        ),
    ];
    for (field, body) in cases {
        let a = set(&s, &admin, "signup", body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text);
        assert_eq!(a.body["error"], "invalid_request");
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains(field), "{field}: {message}");
    }
    for body in [json!({}), json!({"password_login": true, "sso": true})] {
        let a = set(&s, &admin, "login", body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    }
    assert!(stored(&s).await.is_empty());
}

#[tokio::test]
async fn verification_without_email_from_is_409_email_not_configured() {
    let s = stack(&[NO_MAIL]).await;
    let admin = admin(&s).await;
    let a = set(&s, &admin, "signup", signup_body()).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"error": "conflict", "message": "email_not_configured"})
    );
    assert!(stored(&s).await.is_empty(), "nothing written");
    // Verification off needs no sender.
    let mut off = signup_body();
    off["require_email_verification"] = json!(false);
    assert_eq!(set(&s, &admin, "signup", off).await.status, StatusCode::OK);
}

#[tokio::test]
async fn turning_password_login_off_is_409_no_sign_in_method() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let a = set(&s, &admin, "login", json!({"password_login": false})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.body["error"], "conflict");
    let message = a.body["message"].as_str().unwrap();
    assert_eq!(message, "no_sign_in_method");
    assert!(stored(&s).await.is_empty(), "nothing written");
    let now = ok(&get(&s, &admin).await).clone();
    assert_eq!(
        now["login"],
        json!({"password_login": true, "source": "default"})
    );
}

/// `method path` with exactly these headers (and a valid body on a POST).
async fn raw(s: &Stack, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let body = (method == Method::POST).then(|| match path {
        "/admin/settings/login" => json!({"password_login": true}),
        _ => signup_body(),
    });
    s.send_json(method, path, headers, body).await
}

#[tokio::test]
async fn the_routes_need_an_admin_session_its_csrf_token_and_no_foreign_origin() {
    let s = Stack::builder().admin_signin().api_key().start().await;
    let admin = admin(&s).await;
    let user = s.user_cookie(UserKind::Creator).await;
    let routes = [
        (Method::GET, "/admin/settings"),
        (Method::POST, "/admin/settings/signup"),
        (Method::POST, "/admin/settings/login"),
    ];
    for (method, path) in routes {
        // No admin session: nothing, another principal's credential.
        for headers in [
            vec![],
            vec![("x-api-key", s.key.as_str())],
            vec![("cookie", user.as_str())],
        ] {
            let a = raw(&s, method.clone(), path, &headers).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}: {}", a.text);
            assert_eq!(a.body["error"], "unauthorized", "{path}");
        }
        let foreign = [
            ("cookie", admin.cookie.as_str()),
            ("x-csrf-token", admin.csrf.as_str()),
            ("origin", "https://evil.example"),
        ];
        let a = raw(&s, method.clone(), path, &foreign).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.text);
        assert_eq!(a.body["error"], "foreign_origin");
        if method == Method::POST {
            for csrf in [None, Some("wrong")] {
                let mut headers = vec![("cookie", admin.cookie.as_str())];
                headers.extend(csrf.map(|c| ("x-csrf-token", c)));
                let a = raw(&s, method.clone(), path, &headers).await;
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.text);
                assert_eq!(a.body["message"], "csrf_token_missing_or_wrong");
            }
        }
    }
    // Someone outside the admin group gets no admin session at all.
    let outsider = s.signin(keys_body(&common::iam_user(false).await)).await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN, "{}", outsider.text);
    assert!(stored(&s).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn sign_up_obeys_a_change_made_through_the_api_at_once() {
    let s = stack(&[("SETTINGS_CACHE_TTL", "0")]).await;
    let admin = admin(&s).await;
    let mut closed = signup_body();
    closed["mode"] = json!("closed");
    closed["require_email_verification"] = json!(false);
    ok(&set(&s, &admin, "signup", closed.clone()).await);
    let a = crate::signup::signup_as(&s, &crate::signup::address("closed"), None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.body["message"], "signup_disabled");
    let mut domain = closed;
    domain["mode"] = json!("domain");
    ok(&set(&s, &admin, "signup", domain).await);
    let a = crate::signup::signup_as(&s, &crate::signup::address("in"), None).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let a = crate::signup::signup_as(&s, "someone@elsewhere.org", None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.body["message"], "domain_not_allowed");
}

#[tokio::test]
async fn cli_settings_get_and_set_change_only_the_named_keys() {
    let s = stack(&[NO_MAIL]).await;
    let member = common::iam_user(true).await;
    let run = async |args: &[&str]| -> Value {
        let out = cli_ok(&member, &s.url, args).await;
        serde_json::from_str(&out).unwrap()
    };
    let now = run(&["settings", "get"]).await;
    assert_eq!(now["signup"]["source"], "default");
    assert_eq!(now["email_configured"], false);
    let args = [
        "settings",
        "set",
        "signup",
        "mode=domain",
        "allowed_domains=A.com, b.com",
        "require_email_verification=false",
    ];
    let set = run(&args).await;
    assert_eq!(
        set,
        json!({"mode": "domain", "allowed_domains": ["a.com", "b.com"],
            "require_email_verification": false, "default_kind": "creator",
            "default_roles": [], "source": "stored"})
    );
    // Only the named key changes: the domains stay.
    let set = run(&["settings", "set", "signup", "default_roles=analyst,viewer"]).await;
    assert_eq!(set["allowed_domains"], json!(["a.com", "b.com"]));
    assert_eq!(set["default_roles"], json!(["analyst", "viewer"]));
    assert_eq!(run(&["settings", "get"]).await["signup"], set);
    let set = run(&["settings", "set", "login", "password_login=true"]).await;
    assert_eq!(set, json!({"password_login": true, "source": "stored"}));
    // Refusals: the server's message, a failure exit, nothing changed.
    let base = [
        "--url",
        s.url.as_str(),
        "--server-id",
        common::admin::SERVER_ID,
    ];
    for (args, message) in [
        (
            &["settings", "set", "login", "password_login=false"][..],
            "no_sign_in_method",
        ),
        (
            &[
                "settings",
                "set",
                "signup",
                "require_email_verification=true",
            ][..],
            "email_not_configured",
        ),
        (
            &["settings", "set", "signup", "allowed_domains="][..],
            "allowed_domains",
        ),
    ] {
        let out = cli(&member, &[&base[..], args].concat()).await;
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // A key the group lacks is refused before anything is sent.
    let out = cli(
        &member,
        &[&base[..], &["settings", "set", "login", "sso=true"]].concat(),
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key `sso`"));
    assert_eq!(
        run(&["settings", "get"]).await["signup"]["default_roles"],
        json!(["analyst", "viewer"])
    );
}
