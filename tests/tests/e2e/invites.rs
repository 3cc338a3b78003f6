//! Invites end to end (README "People"): an administrator creates a user and gets a
//! link `<USER_UI_URL>#invite=<token>`; the person sets a password with it, once, before
//! it expires (injected clock), and then signs in; a reset kills the old link and the
//! sessions.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse::credentials::users::{UserStatus, UserStore};
use gatehouse_e2e::admin::Admin;
use gatehouse_e2e::{self as common, Answer, ORIGIN, Stack, test_clock};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "Invited-Person-Chose-This-Passw0rd";
const INVALID: &str = "invite_invalid_expired_or_used";

async fn admin(s: &Stack) -> Admin {
    s.admin(&common::iam_user(true).await).await
}

/// `POST /admin/users` for `username` (e-mail `<username>@example.com`).
async fn create(s: &Stack, admin: &Admin, username: &str) -> Answer {
    let body = json!({
        "email": format!("{username}@example.com"),
        "username": username,
        "display_name": "Invited Person",
        "kind": "creator",
        "roles": ["analyst"],
    });
    s.call(admin, Method::POST, "/admin/users", Some(body))
        .await
}

/// The token of an answer's invite link, after checking the link's form.
fn token_of(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let link = a.body["invite_link"].as_str().unwrap();
    let (base, token) = link.split_once("#invite=").unwrap();
    assert_eq!(base, ORIGIN, "{link}");
    assert!(!link.contains('?'), "{link}");
    assert_eq!(token.len(), 43, "a 256-bit token: {link}");
    token.to_owned()
}

async fn accept_from(s: &Stack, origin: Option<&str>, token: &str, password: &str) -> Answer {
    let body = json!({"token": token, "new_password": password});
    let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
    s.post("/users/invite/accept", &headers, Some(body)).await
}

async fn accept(s: &Stack, token: &str, password: &str) -> Answer {
    accept_from(s, Some(ORIGIN), token, password).await
}

fn refused_as_invalid(a: &Answer) {
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert_eq!(a.body["message"], INVALID, "{}", a.text);
}

#[tokio::test]
async fn an_admin_invites_a_user_who_sets_a_password_once_and_signs_in() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let a = create(&s, &admin, "invitee").await;
    let token = token_of(&a);
    let now = gatehouse::primitives::time::now_epoch();
    let expires = a.body["invite_expires_at"].as_i64().unwrap();
    assert!((expires - now - 72 * 3600).abs() <= 5, "{}", a.text);
    assert_eq!(a.body["user"]["username"], "invitee");
    assert_eq!(a.body["user"]["email_verified"], false);
    let id = a.body["user"]["id"].as_str().unwrap().to_owned();
    // Invited: no password yet, so it signs in like an unknown user.
    assert_eq!(s.user_signin("invitee", PASSWORD).await.status, 401);
    // The same name again is taken.
    assert_eq!(create(&s, &admin, "invitee").await.status, 409);
    // A foreign or missing Origin is refused before anything is read.
    for origin in [Some("https://evil.example"), None] {
        let a = accept_from(&s, origin, &token, PASSWORD).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    let a = accept(&s, &token, PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, json!({"accepted": true}));
    assert!(a.set_cookie().is_none(), "accepting signs nothing in");
    // Single use.
    refused_as_invalid(&accept(&s, &token, PASSWORD).await);
    let stored = s.store.get_user(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Active);
    assert!(
        !stored.email_verified,
        "a handed-over link proves nothing about the e-mail"
    );
    assert!(stored.invite.is_none() && stored.password.is_some());
    assert!(stored.password_changed_at.is_some());
    let a = s.user_signin("invitee", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // An unknown token gets the same answer.
    refused_as_invalid(&accept(&s, &"A".repeat(43), PASSWORD).await);
}

#[tokio::test]
async fn fifty_parallel_acceptances_of_one_invite_make_exactly_one() {
    let s = Stack::builder()
        .admin_signin()
        .env(&[("ARGON2_MAX_CONCURRENT", "16")])
        .start()
        .await;
    let admin = admin(&s).await;
    let token = token_of(&create(&s, &admin, "racer").await);
    let s = Arc::new(s);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, token) = (s.clone(), token.clone());
            tokio::spawn(async move { accept(&s, &token, PASSWORD).await.status.as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|c| **c == 200).count(),
        1,
        "{statuses:?}"
    );
    // The others: the invite is used (or, under DynamoDB Local's load, 503: never an
    // allow).
    assert!(
        statuses.iter().all(|c| [200, 400, 503].contains(c)),
        "{statuses:?}"
    );
    assert_eq!(s.user_signin("racer", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn an_invite_expires_at_the_second_boundary() {
    let (now, read) = test_clock(0);
    let s = Stack::builder().admin_signin().clock(read).start().await;
    let admin = admin(&s).await;
    let a = create(&s, &admin, "late").await;
    let token = token_of(&a);
    let expires = a.body["invite_expires_at"].as_i64().unwrap();
    now.store(expires, Ordering::SeqCst);
    refused_as_invalid(&accept(&s, &token, PASSWORD).await);
    now.store(expires - 1, Ordering::SeqCst);
    let a = accept(&s, &token, PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

async fn reset(s: &Stack, admin: &Admin, user_id: &str) -> Answer {
    let body = json!({"user_id": user_id});
    s.call(
        admin,
        Method::POST,
        "/admin/users/reset-credentials",
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_reset_kills_the_old_link_and_the_sessions_and_the_new_link_works() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let a = create(&s, &admin, "resettee").await;
    let first = token_of(&a);
    let id = a.body["user"]["id"].as_str().unwrap().to_owned();
    // Reset before use: the first link is dead, the second works.
    let r = reset(&s, &admin, &id).await;
    let second = token_of(&r);
    assert_eq!(r.body["user_id"], id.as_str());
    refused_as_invalid(&accept(&s, &first, PASSWORD).await);
    assert_eq!(accept(&s, &second, PASSWORD).await.status, 200);
    let signed_in = s.user_signin("resettee", PASSWORD).await;
    let cookie = signed_in.cookie().unwrap();
    let me = |cookie: String| {
        let s = &s;
        async move {
            let headers = [("origin", ORIGIN), ("cookie", cookie.as_str())];
            s.send_json(Method::GET, "/users/me", &headers, None).await
        }
    };
    assert_eq!(me(cookie.clone()).await.status, 200);
    // Reset after use: no password, no session, a new link.
    let third = token_of(&reset(&s, &admin, &id).await);
    assert_eq!(me(cookie).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.user_signin("resettee", PASSWORD).await.status, 401);
    let stored = s.store.get_user(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Invited);
    assert!(stored.password.is_none() && stored.sessions.is_empty());
    refused_as_invalid(&accept(&s, &second, PASSWORD).await);
    let other = "Another-Chosen-Passw0rd-After-Reset";
    assert_eq!(accept(&s, &third, other).await.status, 200);
    assert_eq!(s.user_signin("resettee", other).await.status, 200);
    // Unknown user.
    let a = reset(&s, &admin, "AAAAAAAAAAAAAAAA").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
}

#[tokio::test]
async fn a_weak_new_password_is_refused_saying_why_and_the_invite_survives() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let token = token_of(&create(&s, &admin, "weakling").await);
    for (weak, why) in [
        ("short", "at least"),
        ("weakling-is-my-name-and-password", "user"),
    ] {
        let a = accept(&s, &token, weak).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        let message = a.body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("new_password: "), "{message}");
        assert!(message.contains(why), "{message}");
        assert!(
            !message.contains(weak),
            "the password is never echoed: {message}"
        );
    }
    assert_eq!(accept(&s, &token, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn without_user_ui_url_an_admin_gets_no_link() {
    let s = Stack::builder()
        .admin_signin()
        .env(&[("USER_UI_URL", "")])
        .start()
        .await;
    let admin = admin(&s).await;
    let a = create(&s, &admin, "nolink").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.body["message"], "user_ui_not_configured");
    let prefixes = [
        gatehouse::records::prefix::USER,
        gatehouse::records::prefix::INVITE,
    ];
    for prefix in prefixes {
        assert!(s.items_of(prefix).await.is_empty(), "nothing was written");
    }
}

// ---- Invites by e-mail (README "People", invites by e-mail) ----

/// `POST /admin/users` for `username` at `email`, delivered as `delivery` (none: the
/// field left out).
async fn create_for(
    s: &Stack,
    admin: &Admin,
    username: &str,
    email: &str,
    delivery: Option<&str>,
) -> Answer {
    let mut body = json!({"email": email, "username": username, "kind": "end_user"});
    if let Some(d) = delivery {
        body["delivery"] = json!(d);
    }
    s.call(admin, Method::POST, "/admin/users", Some(body))
        .await
}

async fn reset_by(s: &Stack, admin: &Admin, user_id: &str, delivery: &str) -> Answer {
    let body = json!({"user_id": user_id, "delivery": delivery});
    let path = "/admin/users/reset-credentials";
    s.call(admin, Method::POST, path, Some(body)).await
}

/// The answer's field names, in order.
fn fields(a: &Answer) -> Vec<String> {
    a.body.as_object().unwrap().keys().cloned().collect()
}

/// An e-mailed invite's answer to `email`: where it went, never the link or a token.
fn mailed_answer(a: &Answer, first: &str, email: &str) {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let want = [first, "delivery", "invite_sent_to", "invite_expires_at"];
    assert_eq!(fields(a), want, "{}", a.text);
    assert_eq!(a.body["delivery"], "email");
    assert_eq!(a.body["invite_sent_to"], email);
    assert!(!a.text.contains("#invite="), "{}", a.text);
}

/// The token of the newest invite mailed to `email` (the `count`-th message), after
/// checking the message: from `EMAIL_FROM`, its link on `USER_UI_URL`.
async fn mailed_token(email: &str, count: usize) -> String {
    let mail = common::mail::wait_for(email, count).await.pop().unwrap();
    assert_eq!(mail.from, common::EMAIL_FROM);
    assert_eq!(mail.subject, "You are invited");
    let link = common::mail::link(&mail.text, "invite").unwrap();
    assert!(link.starts_with(&format!("{ORIGIN}#invite=")), "{link}");
    common::mail::link_token(&mail.text, "invite").unwrap()
}

/// The user `username` as the admin API lists it.
async fn listed(s: &Stack, admin: &Admin, username: &str) -> serde_json::Value {
    let path = format!("/admin/users?q={username}");
    let a = s.call(admin, Method::GET, &path, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let users = a.body["users"].as_array().unwrap();
    let user = users.iter().find(|u| u["username"] == username);
    user.unwrap_or_else(|| panic!("{username} listed: {}", a.text))
        .clone()
}

async fn holder(s: &Stack, email: &str) -> Option<String> {
    use gatehouse::credentials::users::{Email, Identifier};
    let e = Identifier::Email(Email::parse(email).unwrap());
    s.store.find_user_id(&e).await.unwrap()
}

fn name(prefix: &str) -> String {
    let tail = gatehouse::primitives::crypto::random_base62(10).to_lowercase();
    format!("{prefix}{tail}")
}

#[tokio::test]
async fn an_emailed_invite_arrives_verifies_the_address_when_accepted_and_signs_in() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let (username, email) = (name("mailed"), common::mail::address("Mailed"));
    let a = create_for(&s, &admin, &username, &email, Some("email")).await;
    mailed_answer(&a, "user", &email);
    assert_eq!(a.body["user"]["email_verified"], false);
    let now = gatehouse::primitives::time::now_epoch();
    let expires = a.body["invite_expires_at"].as_i64().unwrap();
    assert!((expires - now - 72 * 3600).abs() <= 5, "{}", a.text);
    let token = mailed_token(&email, 1).await;
    assert!(!a.text.contains(&token));
    assert_eq!(listed(&s, &admin, &username).await["status"], "invited");
    let a = accept(&s, &token, PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let user = listed(&s, &admin, &username).await;
    assert_eq!(
        user["email_verified"], true,
        "the link reached the mailbox: {user}"
    );
    assert_eq!(user["status"], "active", "{user}");
    refused_as_invalid(&accept(&s, &token, PASSWORD).await);
    for identifier in [&username, &email] {
        let a = s.user_signin(identifier, PASSWORD).await;
        assert_eq!(a.status, StatusCode::OK, "{identifier}: {}", a.text);
    }
}

#[tokio::test]
async fn a_resent_invite_kills_the_old_emailed_link_and_the_new_one_works() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let (username, email) = (name("resent"), common::mail::address("resent"));
    let a = create_for(&s, &admin, &username, &email, Some("email")).await;
    mailed_answer(&a, "user", &email);
    let id = a.body["user"]["id"].as_str().unwrap().to_owned();
    let first = mailed_token(&email, 1).await;
    let r = reset_by(&s, &admin, &id, "email").await;
    mailed_answer(&r, "user_id", &email);
    assert_eq!(r.body["user_id"], id.as_str());
    let second = mailed_token(&email, 2).await;
    assert_ne!(first, second);
    refused_as_invalid(&accept(&s, &first, PASSWORD).await);
    assert_eq!(accept(&s, &second, PASSWORD).await.status, 200);
    assert_eq!(listed(&s, &admin, &username).await["email_verified"], true);
    assert_eq!(s.user_signin(&username, PASSWORD).await.status, 200);
    // An unknown user: 404, and nothing is sent.
    let a = reset_by(&s, &admin, "AAAAAAAAAAAAAAAA", "email").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
}

#[tokio::test]
async fn delivery_email_without_email_from_is_409_and_writes_nothing() {
    let s = Stack::builder()
        .admin_signin()
        .env(&[("EMAIL_FROM", "")])
        .start()
        .await;
    let admin = admin(&s).await;
    let (username, email) = (name("nomail"), common::mail::address("nomail"));
    let a = create_for(&s, &admin, &username, &email, Some("email")).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.body["message"], "email_not_configured", "{}", a.text);
    assert!(holder(&s, &email).await.is_none(), "no user written");
    for prefix in [
        gatehouse::records::prefix::USER,
        gatehouse::records::prefix::INVITE,
    ] {
        assert!(s.items_of(prefix).await.is_empty(), "nothing was written");
    }
    // A link still works without a sender; a reset by e-mail is refused and changes
    // nothing (the link it would have replaced still works).
    let a = create_for(&s, &admin, &username, &email, None).await;
    let token = token_of(&a);
    let id = a.body["user"]["id"].as_str().unwrap().to_owned();
    let r = reset_by(&s, &admin, &id, "email").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["message"], "email_not_configured");
    assert_eq!(accept(&s, &token, PASSWORD).await.status, 200);
    assert!(common::mail::sent_to(&email).await.is_empty());
}

#[tokio::test]
async fn a_link_invite_answers_as_before_and_leaves_email_verified_false() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    for delivery in [None, Some("link")] {
        let (username, email) = (name("linked"), common::mail::address("linked"));
        let a = create_for(&s, &admin, &username, &email, delivery).await;
        let token = token_of(&a);
        assert_eq!(fields(&a), ["user", "invite_link", "invite_expires_at"]);
        let id = a.body["user"]["id"].as_str().unwrap().to_owned();
        let r = reset_by(&s, &admin, &id, "link").await;
        let token_r = token_of(&r);
        assert_eq!(fields(&r), ["user_id", "invite_link", "invite_expires_at"]);
        refused_as_invalid(&accept(&s, &token, PASSWORD).await);
        assert_eq!(accept(&s, &token_r, PASSWORD).await.status, 200);
        let user = listed(&s, &admin, &username).await;
        assert_eq!(user["email_verified"], false, "{delivery:?}: {user}");
        assert!(common::mail::sent_to(&email).await.is_empty(), "no mail");
    }
}

#[tokio::test]
async fn an_unknown_delivery_is_a_400_naming_the_field() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let email = common::mail::address("sms");
    for bad in ["sms", "EMAIL", ""] {
        let a = create_for(&s, &admin, &name("sms"), &email, Some(bad)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {}", a.text);
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains("`delivery`"), "{message}");
        let r = reset_by(&s, &admin, "AAAAAAAAAAAAAAAA", bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert!(r.body["message"].as_str().unwrap().contains("`delivery`"));
    }
    assert!(holder(&s, &email).await.is_none());
}

#[tokio::test]
async fn a_failed_send_is_503_the_user_stays_invited_and_a_reset_by_email_sends_again() {
    use gatehouse_e2e::faults::{Fault, Wiring, ses_error, ses_proxy};
    let proxy = ses_proxy();
    let s = Stack::builder()
        .admin_signin()
        .via(Wiring::ses_through(&proxy).await)
        .start()
        .await;
    let admin = admin(&s).await;
    let (username, email) = (name("unsent"), common::mail::address("unsent"));
    proxy.set(ses_error(429, "TooManyRequestsException"), None);
    let a = create_for(&s, &admin, &username, &email, Some("email")).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
    assert!(
        !a.text.contains(&email) && !a.text.contains("#invite="),
        "{}",
        a.text
    );
    let id = holder(&s, &email).await.expect("the user was written");
    assert!(common::mail::sent_to(&email).await.is_empty());
    assert_eq!(listed(&s, &admin, &username).await["status"], "invited");
    proxy.set(Fault::None, None);
    let r = reset_by(&s, &admin, &id, "email").await;
    mailed_answer(&r, "user_id", &email);
    let token = mailed_token(&email, 1).await;
    assert_eq!(accept(&s, &token, PASSWORD).await.status, 200);
    assert_eq!(listed(&s, &admin, &username).await["email_verified"], true);
}

#[tokio::test]
async fn an_invite_record_without_its_delivery_reads_as_a_link() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = admin(&s).await;
    let (username, email) = (name("legacy"), common::mail::address("legacy"));
    let a = create_for(&s, &admin, &username, &email, Some("email")).await;
    mailed_answer(&a, "user", &email);
    let token = mailed_token(&email, 1).await;
    // As an invite written before invites were mailed: no `delivery`.
    let hash = gatehouse::primitives::crypto::sha256_hex(token.as_bytes());
    let pk = gatehouse::records::key::Key::Invite(&hash).pk();
    s.store
        .client()
        .update_item()
        .table_name(s.store.table())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .update_expression("REMOVE delivery")
        .send()
        .await
        .unwrap();
    assert_eq!(accept(&s, &token, PASSWORD).await.status, 200);
    let user = listed(&s, &admin, &username).await;
    assert_eq!(user["email_verified"], false, "{user}");
}
