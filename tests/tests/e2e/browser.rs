//! A real browser: headless Chromium loads the demo page from another site
//! (`http://localhost:<port>`) than the gateway (`http://127.0.0.1:<port>`) and completes
//! the cookie flow, the API-key flow and the security-token flow with credentialed
//! cross-site `fetch`, and the composer panel's sign-in, `/users/me`, sign-out, invite
//! acceptance, and sign-up, verification and password reset from the mailed links; the
//! same page from a disallowed origin fails (README "Running locally", "Embedding
//! widgets", "People").

use std::sync::Arc;

use gatehouse::credentials::users::{
    Email, NewUser, UserKind, UserStatus, UserStore, Username, create_invited_user,
    reset_credentials,
};
use gatehouse::records::prefix;
use gatehouse_e2e::{self as common, Stack, USER_PASSWORD};
use gatehouse_local::demo::DemoApp;
use serde_json::Value;

/// A stack whose `ALLOWED_ORIGINS` (and `USER_UI_URL`) is exactly the demo page it
/// serves, and the same page served on a second, disallowed origin.
pub(crate) struct Pages {
    pub(crate) s: Stack,
    /// `http://localhost:<port>`, in `ALLOWED_ORIGINS`.
    pub(crate) allowed: String,
    /// `http://localhost:<another port>`, not in it.
    disallowed: String,
}

/// Serves the demo page and its app server on `listener`: its URL.
fn serve_demo(
    listener: tokio::net::TcpListener,
    api: &str,
    issuer_key: &str,
    dev_key: &str,
) -> String {
    let port = listener.local_addr().unwrap().port();
    let app = DemoApp::new(api.to_owned(), issuer_key.to_owned(), dev_key.to_owned());
    let app = Arc::new(app.with_idp(gatehouse_local::idp::DEV_IDP_ID));
    tokio::spawn(app.serve(listener));
    format!("http://localhost:{port}")
}

async fn free_listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

async fn pages() -> Pages {
    pages_on(Stack::builder()).await
}

/// [`Pages`] on a stack built by `builder`.
pub(crate) async fn pages_on(builder: common::StackBuilder) -> Pages {
    // The page's port must be known before the gateway (its ALLOWED_ORIGINS).
    let page_listener = free_listener().await;
    let page_port = page_listener.local_addr().unwrap().port();
    let allowed_origin = format!("http://localhost:{page_port}");
    let s = builder
        .env(&[
            ("ALLOWED_ORIGINS", &allowed_origin),
            ("USER_UI_URL", &allowed_origin),
            ("ISSUER", "{gateway}"),
        ])
        .start()
        .await;
    let issuer_key = common::api_key(&s.store, None, None).await;
    let dev_key = common::api_key(&s.store, Some(&["client"]), None).await;
    let allowed = serve_demo(page_listener, &s.url, &issuer_key, &dev_key);
    let disallowed = serve_demo(free_listener().await, &s.url, &issuer_key, &dev_key);
    assert_eq!(allowed, allowed_origin);
    Pages {
        s,
        allowed,
        disallowed,
    }
}

/// Runs the driver `tests/browser/<script>` with `args` in Chromium: the JSON it prints
/// (checked for Chromium's version).
pub(crate) async fn drive(script: &str, args: &[&str]) -> Value {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: `make test` installs it (apt chromium)"
    );
    let mut argv = vec![format!("{}/browser/{script}", env!("CARGO_MANIFEST_DIR"))];
    argv.extend(args.iter().map(|a| a.to_string()));
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new("node").args(argv).output())
            .await
            .unwrap()
            .unwrap();
    assert!(
        out.status.success(),
        "browser driver {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("driver prints JSON");
    eprintln!("Chromium version: {}", r["version"]);
    println!("Chromium version: {}", r["version"]);
    assert!(r["version"].as_str().is_some_and(|v| !v.is_empty()));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_modes_work_in_chromium_from_an_allowed_origin_only() {
    let p = pages().await;
    let r = drive("widget.mjs", &[&p.allowed, &p.disallowed]).await;
    for mode in ["cookie", "apikey", "token"] {
        assert_eq!(
            r["allowed"][mode]["ok"], true,
            "{mode} from {}: {}",
            p.allowed, r["allowed"][mode]
        );
        assert_eq!(
            r["disallowed"][mode]["ok"], false,
            "{mode} from {}: {}",
            p.disallowed, r["disallowed"][mode]
        );
    }
    assert_eq!(
        r["allowed"]["cookie"]["whoami"]["body"]["principal_type"],
        "widget_session"
    );
    assert_eq!(
        r["allowed"]["token"]["whoami"]["body"]["principal_type"],
        "widget_token"
    );
    assert_eq!(
        r["allowed"]["apikey"]["whoami"]["body"]["scopes"], "client",
        "mode 2 uses a client-only key"
    );
}

/// The user sessions in the table (every `usess#` item).
async fn user_sessions(s: &Stack) -> usize {
    s.items_of(prefix::USER_SESSION).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composer_signs_in_reads_me_and_signs_out_in_chromium_from_an_allowed_origin_only() {
    let p = pages().await;
    let person = p.s.person(UserKind::Creator).await;
    let name = person.username.clone().unwrap();
    let args = [
        "signin",
        &p.allowed,
        &p.disallowed,
        name.as_str(),
        USER_PASSWORD,
    ];
    let r = drive("composer.mjs", &args).await;

    let a = &r["allowed"];
    assert_eq!(a["signin"]["status"], 200, "{}", a["signin"]);
    assert_eq!(a["signin"]["body"]["user"]["id"], person.id.as_str());
    assert_eq!(
        a["signin"]["password_field_after"], "",
        "the page keeps no password"
    );
    assert_eq!(a["me"]["status"], 200, "{}", a["me"]);
    assert_eq!(a["me"]["body"]["user"]["id"], person.id.as_str());
    assert_eq!(a["me"]["body"]["user"]["username"], name.as_str());
    assert_eq!(a["me"]["body"]["user"]["kind"], "creator");
    assert_eq!(a["me"]["principal_type"], "creator", "{}", a["me"]);
    assert_eq!(a["signout"]["status"], 200, "{}", a["signout"]);
    let after = a["me_after_signout"]["status"].as_u64();
    assert!(
        matches!(after, Some(401 | 403)),
        "the session is gone: {}",
        a["me_after_signout"]
    );
    assert_eq!(user_sessions(&p.s).await, 0, "signed out");

    // From a page on another origin: the gateway's preflight answer carries no CORS
    // headers for it, so Chromium never sends the sign-in (a network error, status 0).
    let d = &r["disallowed"];
    eprintln!("sign-in from {}: {}", p.disallowed, d["signin"]);
    assert_eq!(d["signin"]["ok"], false, "{}", d["signin"]);
    assert_eq!(d["signin"]["status"], 0, "a CORS failure: {}", d["signin"]);
    assert!(
        d["signin"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "{}",
        d["signin"]
    );
    let mut said = d["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str);
    let why = "/users/signin' from origin '".to_owned()
        + &p.disallowed
        + "' has been blocked by CORS policy: Response to preflight request";
    assert!(
        said.any(|m| m.contains(&why)),
        "Chromium says why: {}",
        d["console"]
    );
    assert_eq!(d["cookies_after_signin"], serde_json::json!([]));
    assert_eq!(d["me"]["ok"], false, "{}", d["me"]);
    let stored = p.s.store.get_user(&person.id).await.unwrap().unwrap();
    assert!(stored.sessions.is_empty(), "no session was opened");
    assert_eq!(user_sessions(&p.s).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composer_changes_the_password_and_only_the_new_one_signs_in() {
    const NEW_PASSWORD: &str = "Changed-In-The-Browser-Passw0rd";
    let p = pages().await;
    let person = p.s.person(UserKind::EndUser).await;
    let name = person.username.clone().unwrap();
    let args = [
        "password",
        &p.allowed,
        name.as_str(),
        USER_PASSWORD,
        NEW_PASSWORD,
    ];
    let r = drive("composer.mjs", &args).await;

    assert_eq!(r["signin"]["status"], 200, "{}", r["signin"]);
    let wrong = &r["wrong_current"];
    assert_eq!(wrong["status"], 400, "{wrong}");
    assert_eq!(wrong["body"]["message"], "current_password: incorrect");
    assert_eq!(r["change"]["status"], 200, "{}", r["change"]);
    assert_eq!(r["change"]["body"]["changed"], true);
    for step in ["wrong_current", "change"] {
        assert_eq!(
            r[step]["fields_after"],
            serde_json::json!(["", ""]),
            "the page keeps no password"
        );
    }
    assert_eq!(r["me"]["status"], 200, "this session stays: {}", r["me"]);
    assert_eq!(r["me"]["principal_type"], "end_user");
    assert_eq!(r["signout"]["status"], 200, "{}", r["signout"]);
    assert_eq!(r["old_password"]["status"], 401, "{}", r["old_password"]);
    assert_eq!(r["new_password"]["status"], 200, "{}", r["new_password"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composer_accepts_an_invite_from_the_url_fragment() {
    const NEW_PASSWORD: &str = "Chosen-In-The-Browser-Passw0rd";
    let p = pages().await;
    let new = NewUser {
        username: Some(Username::parse("invitee").unwrap()),
        email: Some(Email::parse("invitee@example.com").unwrap()),
        email_verified: false,
        display_name: None,
        kind: UserKind::EndUser,
        roles: Vec::new(),
        password: None,
        created_by: "test".into(),
    };
    let now = gatehouse::primitives::time::now_epoch();
    let (user, _invite, token) = create_invited_user(&p.s.store, new, now).await.unwrap();
    let mut token = token.expose().to_owned();
    // A token with `-` or `_` (base64url), so the page reads every character it can hold
    // (each reset issues a new one and kills the old).
    while !token.contains(['-', '_']) {
        let (_, t) = reset_credentials(&p.s.store, &user.id, now)
            .await
            .unwrap()
            .unwrap();
        token = t.expose().to_owned();
    }
    let args = ["invite", &p.allowed, &token, "invitee", NEW_PASSWORD];
    let r = drive("composer.mjs", &args).await;

    assert_eq!(
        r["url_after_load"],
        format!("{}/", p.allowed),
        "the fragment is dropped"
    );
    assert_eq!(r["hash_after_load"], "");
    assert_eq!(r["invite"]["status"], 200, "{}", r["invite"]);
    assert_eq!(r["invite"]["body"], serde_json::json!({"accepted": true}));
    assert_eq!(r["invite"]["password_field_after"], "");
    posted_in_the_body_only(&r, &format!("{}/users/invite/accept", p.s.url), &token);
    let stored = p.s.store.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Active);

    assert_eq!(r["signin"]["status"], 200, "{}", r["signin"]);
    assert_eq!(r["me"]["status"], 200, "{}", r["me"]);
    assert_eq!(r["me"]["body"]["user"]["id"], user.id.as_str());
    assert_eq!(r["me"]["principal_type"], "end_user", "{}", r["me"]);
}

/// Writes an IAM user's name and keys to a file the console driver reads.
fn keys_file(u: &common::IamUser) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!("gatehouse-console-{}.json", u.name));
    let keys = serde_json::json!({"name": u.name, "key_id": u.key_id, "secret": u.secret});
    std::fs::write(&file, keys.to_string()).unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_console_signs_in_both_ways_resumes_and_runs_each_views_main_action_in_chromium()
{
    // Another site's page, even one in ALLOWED_ORIGINS (the worst case).
    let page_listener = free_listener().await;
    let foreign = format!(
        "http://localhost:{}",
        page_listener.local_addr().unwrap().port()
    );
    let s = common::admin::stack(&[
        ("ISSUER", "{gateway}"),
        ("API_KEY_CACHE_TTL", "0"),
        ("ALLOWED_ORIGINS", &foreign),
        ("USER_UI_URL", &foreign),
    ])
    .await;
    let issuer_key = common::api_key(&s.store, None, None).await;
    serve_demo(page_listener, &s.url, &issuer_key, &issuer_key);
    let (member, outsider) = (common::iam_user(true).await, common::iam_user(false).await);
    let (m, o) = (keys_file(&member), keys_file(&outsider));
    // The CLI's hand-off link (`gatehouse-admin console --no-open`).
    let console = ["--json", "console", "--no-open"];
    let out = crate::admin_e2e::cli_ok(&member, &s.url, &console).await;
    let printed: Value = serde_json::from_str(&out).unwrap();
    let link = printed["link"].as_str().unwrap().to_owned();
    let mailed_to = common::mail::address("console-mailed");
    let args = [
        s.url.as_str(),
        m.to_str().unwrap(),
        o.to_str().unwrap(),
        &foreign,
        &link,
        &mailed_to,
    ];
    let r = drive("console.mjs", &args).await;
    let _ = (std::fs::remove_file(m), std::fs::remove_file(o));
    let who = format!("Signed in as {}", member.name);
    assert_eq!(r["signed"]["who"], who.as_str(), "{r}");
    assert_eq!(
        r["signed"]["secret_posted"], false,
        "signed in the browser: {r}"
    );
    assert_eq!(r["signed"]["secret_field"], "");
    assert_eq!(
        r["reload"]["who"],
        who.as_str(),
        "resumed after a reload: {r}"
    );
    let key = r["key"]["value"].as_str().unwrap();
    assert!(key.starts_with("gk_"), "{r}");
    assert_eq!(
        r["key"]["rows_hold_value"], false,
        "the list never shows the value"
    );
    assert_eq!(r["key"]["rows_hold_last4"], true);
    // Its life: it works at the authorizer, is disabled in the console, and is refused
    // (API_KEY_CACHE_TTL 0).
    assert_eq!(
        r["key"]["whoami_before"], 200,
        "the console's key works: {r}"
    );
    let disabled = r["key"]["disable"].as_str().unwrap();
    assert!(disabled.ends_with(" disabled."), "{disabled}");
    assert_eq!(
        r["key"]["whoami_after"], 403,
        "the disabled key is refused: {r}"
    );
    // Every view's main action, once.
    let v = &r["views"];
    assert_eq!(v["client"], "Client added.", "{v}");
    assert_eq!(v["client_secret_shown"], true);
    assert_eq!(v["revoke_user"], "Revoked 0 session(s) of nobody.", "{v}");
    assert_eq!(v["force"], "Rotated.", "{v}");
    assert!(
        v["rotation"]
            .as_str()
            .unwrap()
            .starts_with("outcome emergency_rotated"),
        "{v}"
    );
    assert_eq!(
        v["create_user"], "User console-person@example.com created.",
        "{v}"
    );
    assert!(v["invite"].as_str().unwrap().contains("#invite="), "{v}");
    // Delivery "email": the page says where the invite went and shows no link; the
    // message is in the mailbox.
    let created = format!("User {mailed_to} created.");
    assert_eq!(v["create_user_email"], created.as_str(), "{v}");
    let said = v["invite_email"].as_str().unwrap();
    assert!(said.contains(&format!("sent to {mailed_to}")), "{v}");
    assert_eq!(v["invite_email_link_shown"], false, "{v}");
    assert_eq!(v["invite_email_code_shown"], false, "{v}");
    let mail = common::mail::newest_to(&mailed_to).await;
    assert!(common::mail::link_token(&mail.text, "invite").is_some());
    assert_eq!(
        v["disable_user"], "console-person@example.com disabled.",
        "{v}"
    );
    assert!(v["user_row"].as_str().unwrap().contains("disabled"), "{v}");
    assert_eq!(r["signout"]["status"], "Signed out.");
    assert_eq!(r["keys_form"]["who"], who.as_str(), "{r}");
    assert_eq!(r["keys_form"]["secret_field"], "", "cleared after the post");
    assert_eq!(
        r["outsider"]["status"],
        "That IAM user is not in the admin group."
    );
    assert_eq!(r["outsider"]["signed_in"], false);
    assert_eq!(r["violations"], serde_json::json!([]), "no CSP violation");
    // The probe context: an HTML string write throws, and is reported exactly once.
    assert_eq!(r["probe"]["thrown"], "TypeError", "{r}");
    assert_eq!(r["probe"]["reports"], 1, "{r}");
    // Tab, typing and Enter only: sign in and create a key.
    assert_eq!(
        r["keyboard"]["reached"],
        serde_json::json!([true, true, true]),
        "{r}"
    );
    assert_eq!(r["keyboard"]["created_key"], true);
    // At 375 px the page does not scroll sideways.
    assert!(
        r["phone"]["scroll"].as_i64() <= r["phone"]["viewport"].as_i64(),
        "{r}"
    );
    // The hand-off: signed in, the code gone from the address bar; used once.
    let h = &r["handoff"];
    assert_eq!(h["who"], who.as_str(), "{h}");
    assert_eq!(h["url"], format!("{}/admin/console", s.url), "{h}");
    assert_eq!(h["again"]["signed_in"], false, "{h}");
    assert!(
        h["again"]["status"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{h}"
    );
    // axe (its own context): no serious or critical violation, signed out or in.
    assert_eq!(r["axe"]["signin"], serde_json::json!([]), "{}", r["axe"]);
    assert_eq!(r["axe"]["signed_in"], serde_json::json!([]), "{}", r["axe"]);
    assert!(
        r["axe"]["rules_passed"].as_u64() > Some(10),
        "axe ran: {}",
        r["axe"]
    );
    // Another site's page: no admin answer read, no admin write done.
    let f = &r["foreign"];
    println!(
        "foreign page: {f}; phone: {}; axe: {}",
        r["phone"], r["axe"]
    );
    for attempt in ["read", "write", "simple_write"] {
        let a = &f[attempt];
        let readable = a["read"].as_str().is_some_and(|t| t.contains("keys"));
        assert!(!readable, "{attempt} read an admin answer: {f}");
        assert_ne!(a["status"], 200, "{attempt}: {f}");
    }
    use gatehouse::credentials::admin::AdminStore;
    let keys = s.store.list_api_keys().await.unwrap();
    assert!(
        keys.iter().all(|k| k.name != "foreign"),
        "no key was created from the page"
    );
}

/// `make screenshots`: regenerates the README's two pictures of the admin console under
/// `docs/img/` (not part of `make test`: the pictures change with the page).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "make screenshots regenerates docs/img"]
async fn console_screenshots() {
    let s = common::admin::stack(&[("ISSUER", "{gateway}")]).await;
    let member = common::iam_user(true).await;
    let m = keys_file(&member);
    let dir = format!("{}/../docs/img", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let r = drive("screenshots.mjs", &[&s.url, m.to_str().unwrap(), &dir]).await;
    let _ = std::fs::remove_file(m);
    for f in r["files"].as_array().unwrap() {
        let bytes = f["bytes"].as_u64().unwrap();
        println!("{}: {bytes} bytes", f["path"]);
        assert!(bytes <= 200 * 1024, "{f}: over 200 KB");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_console_says_removed_from_the_admin_group_after_the_recheck() {
    let s = common::admin::stack(&[("ISSUER", "{gateway}"), ("ADMIN_RECHECK", "1")]).await;
    let member = common::iam_user(true).await;
    let m = keys_file(&member);
    let dir = std::env::temp_dir().join(format!("gatehouse-removed-{}", member.name));
    std::fs::create_dir_all(&dir).unwrap();
    let (api, file, marks) = (
        s.url.clone(),
        m.to_str().unwrap().to_owned(),
        dir.to_str().unwrap().to_owned(),
    );
    let driver =
        tokio::spawn(async move { drive("console.mjs", &["removed", &api, &file, &marks]).await });
    // Once the page is signed in: out of the group, and past the re-check period.
    for _ in 0..300 {
        if dir.join("signed-in").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(dir.join("signed-in").exists(), "the page signed in");
    common::operator_iam()
        .await
        .remove_user_from_group()
        .group_name(common::ADMIN_GROUP)
        .user_name(&member.name)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    std::fs::write(dir.join("removed"), "1").unwrap();
    let r = driver.await.unwrap();
    let _ = (std::fs::remove_file(m), std::fs::remove_dir_all(&dir));
    assert_eq!(r["status"], "You were removed from the admin group.", "{r}");
    assert_eq!(r["signin_shown"], true, "{r}");
}

/// The whole self-service life in one stack (one sign-up): sign up, verify from the
/// mailed link, sign in, forget the password, reset it from the mailed link, sign in with
/// the new one.
#[tokio::test]
async fn composer_signs_up_resets_a_forgotten_password_and_signs_in_again_in_chromium() {
    const PASSWORD: &str = "Signed-Up-In-The-Browser-Passw0rd";
    const NEW_PASSWORD: &str = "Reset-In-The-Browser-Passw0rd";
    let p = pages().await;
    let email = common::mail::address("cr");
    let r = drive("composer.mjs", &["signup", &p.allowed, &email, PASSWORD]).await;
    assert_eq!(r["signup"]["status"], 202, "{}", r["signup"]);
    assert_eq!(r["signup"]["password_field_after"], "");
    let mail = common::mail::newest_to(&email).await;
    let link = common::mail::link(&mail.text, "verify").unwrap();
    assert!(
        link.starts_with(&format!("{}#verify=", p.allowed)),
        "{link}"
    );
    let token = common::mail::link_token(&mail.text, "verify").unwrap();
    let r = drive(
        "composer.mjs",
        &["verify", &p.allowed, &token, &email, PASSWORD],
    )
    .await;
    assert_eq!(
        r["url_after_load"],
        format!("{}/", p.allowed),
        "the fragment is dropped"
    );
    assert_eq!(r["hash_after_load"], "");
    assert_eq!(r["verify"]["status"], 200, "{}", r["verify"]);
    assert_eq!(r["verify"]["body"], serde_json::json!({"verified": true}));
    assert_eq!(r["signin"]["status"], 200, "{}", r["signin"]);
    assert_eq!(r["me"]["principal_type"], "creator", "{}", r["me"]);
    posted_in_the_body_only(&r, &format!("{}/users/verify-email", p.s.url), &token);

    // Forgotten: the form asks for a link, which arrives as the newest message.
    let r = drive("composer.mjs", &["forgot", &p.allowed, &email]).await;
    assert_eq!(r["forgot"]["status"], 202, "{}", r["forgot"]);
    assert_eq!(
        r["forgot"]["body"],
        serde_json::json!({
            "accepted": true,
            "message": "If this address has an account, it will receive a message."
        })
    );
    let mail = common::mail::wait_for(&email, 2).await.pop().unwrap();
    assert_eq!(mail.subject, "Reset your password");
    let link = common::mail::link(&mail.text, "reset").unwrap();
    assert!(link.starts_with(&format!("{}#reset=", p.allowed)), "{link}");
    let token = common::mail::link_token(&mail.text, "reset").unwrap();
    let r = drive(
        "composer.mjs",
        &["reset", &p.allowed, &token, &email, NEW_PASSWORD],
    )
    .await;
    assert_eq!(
        r["url_after_load"],
        format!("{}/", p.allowed),
        "the fragment is dropped"
    );
    assert_eq!(r["hash_after_load"], "");
    assert_eq!(r["reset"]["status"], 200, "{}", r["reset"]);
    assert_eq!(
        r["reset"]["body"],
        serde_json::json!({"reset": true, "signed_out_sessions": 1}),
        "the verify step's session is signed out"
    );
    assert_eq!(r["reset"]["password_field_after"], "");
    posted_in_the_body_only(&r, &format!("{}/users/password/reset", p.s.url), &token);
    assert_eq!(r["signin"]["status"], 200, "{}", r["signin"]);
    assert_eq!(r["me"]["status"], 200, "{}", r["me"]);
    assert_eq!(r["me"]["principal_type"], "creator", "{}", r["me"]);
    assert_eq!(user_sessions(&p.s).await, 1, "the new sign-in's only");
    let old = serde_json::json!({"identifier": email, "password": PASSWORD});
    let origin = [("origin", p.allowed.as_str())];
    let old = p.s.post("/users/signin", &origin, Some(old)).await;
    assert_eq!(old.status, 401, "the old password is refused: {}", old.text);
    let mail = common::mail::wait_for(&email, 3).await.pop().unwrap();
    assert_eq!(mail.subject, "Your password was changed");
}

/// The page posted to `url`, and no request it made carried `token` in its URL (a
/// token from a link's fragment travels in a body only).
fn posted_in_the_body_only(r: &Value, url: &str, token: &str) {
    let requests: Vec<&str> = r["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        requests.contains(&format!("POST {url}").as_str()),
        "{requests:?}"
    );
    assert!(
        requests.iter().all(|r| !r.contains(token)),
        "the token is never in a URL: {requests:?}"
    );
}
