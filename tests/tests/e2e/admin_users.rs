//! People, part 2: administrators search, disable, enable and delete users through the
//! admin API and the CLI, against the local stack (README "People").

use std::collections::HashSet;

use common::admin::{Admin, SERVER_ID, stack};
use common::{Answer, ORIGIN, Stack};
use gatehouse::credentials::password::{PasswordSettings, Passwords};
use gatehouse::credentials::users::{
    Email, NewUser, User, UserKind, UserStore, Username, create_user,
};
use gatehouse_e2e as common;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin_e2e::{cli, cli_ok};

const PASSWORD: &str = "correct horse battery staple";

/// A user through the library, as an administrator would create it; with a password
/// it is active, without one invited.
async fn user(
    s: &Stack,
    name: Option<&str>,
    email: &str,
    kind: UserKind,
    password: Option<&str>,
) -> User {
    let new = NewUser {
        username: name.map(|n| Username::parse(n).unwrap()),
        email: Some(Email::parse(email).unwrap()),
        email_verified: true,
        display_name: None,
        kind,
        roles: Vec::new(),
        password: password.map(|p| p.to_owned().into()),
        created_by: "test".into(),
    };
    let passwords = Passwords::new(&PasswordSettings::default());
    create_user(&s.store, &passwords, new, 0).await.unwrap()
}

/// `GET /admin/users?<query>`.
async fn list(s: &Stack, admin: &Admin, query: &str) -> Answer {
    let path = format!("/admin/users?{query}");
    s.call(admin, Method::GET, &path, None).await
}

/// Every page of a search: the ids in order, and how many pages it took.
async fn all_pages(s: &Stack, admin: &Admin, query: &str) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let a = list(s, admin, &q).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.text);
        let users = a.body["users"].as_array().unwrap();
        assert!(users.len() <= 50, "a page holds at most 50");
        for u in users {
            assert!(u.get("phc").is_none() && u.get("sessions").is_none(), "{u}");
            ids.push(u["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        match a.body["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (ids, pages),
        }
        assert!(pages < 10, "the search never ends");
    }
}

async fn post(s: &Stack, admin: &Admin, path: &str, id: &str) -> Answer {
    s.call(admin, Method::POST, path, Some(json!({ "user_id": id })))
        .await
}

async fn signin(s: &Stack, identifier: &str) -> Answer {
    let body = json!({"identifier": identifier, "password": PASSWORD});
    s.send_json(
        Method::POST,
        "/users/signin",
        &[("origin", ORIGIN)],
        Some(body),
    )
    .await
}

async fn me(s: &Stack, cookie: &str) -> StatusCode {
    let headers = [("origin", ORIGIN), ("cookie", cookie)];
    s.send_json(Method::GET, "/users/me", &headers, None)
        .await
        .status
}

#[tokio::test]
async fn search_pages_through_gsi1_by_a_prefix_of_the_username_or_email() {
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let mut expected = HashSet::new();
    let mut end_users = HashSet::new();
    for i in 0..60 {
        let kind = if i % 3 == 0 {
            UserKind::EndUser
        } else {
            UserKind::Creator
        };
        let name = format!("page{i:02}");
        let u = user(&s, Some(&name), &format!("p{i:02}@Example.com"), kind, None).await;
        if kind == UserKind::EndUser {
            end_users.insert(u.id.clone());
        }
        expected.insert(u.id);
    }
    // Matched by the e-mail only (no username, or another one), and by both.
    for (name, email) in [
        (None, "Page.Mail1@example.com"),
        (None, "pagemail2@example.com"),
        (Some("zed"), "page.zed@example.com"),
        (Some("pageboth"), "pageboth@example.com"),
    ] {
        expected.insert(user(&s, name, email, UserKind::Creator, None).await.id);
    }
    let other = user(
        &s,
        Some("other"),
        "other@example.com",
        UserKind::Creator,
        None,
    )
    .await;

    let (ids, pages) = all_pages(&s, &admin, "q=page").await;
    assert!(pages >= 2, "64 users take more than one page of 50");
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "no user is listed twice");
    assert_eq!(unique, expected);
    // Everyone, with no q; lower-cased prefixes; an e-mail prefix; a non-prefix.
    let (everyone, _) = all_pages(&s, &admin, "").await;
    assert_eq!(everyone.len(), 65);
    assert!(everyone.contains(&other.id));
    assert_eq!(all_pages(&s, &admin, "q=PAGE0").await.0.len(), 10);
    assert_eq!(all_pages(&s, &admin, "q=p05%40").await.0.len(), 1);
    assert_eq!(all_pages(&s, &admin, "q=page.").await.0.len(), 2);
    assert!(all_pages(&s, &admin, "q=age").await.0.is_empty());
    // The kind filter.
    let (ids, _) = all_pages(&s, &admin, "q=page&kind=end_user").await;
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), end_users);
    // An entry: the user, its status and creation time.
    let a = list(&s, &admin, "q=page00").await;
    let entry = &a.body["users"][0];
    assert_eq!(
        (entry["username"].as_str(), entry["status"].as_str()),
        (Some("page00"), Some("invited"))
    );
    assert_eq!(entry["email"], "p00@Example.com");
    assert_eq!(entry["kind"], "end_user");
    assert!(entry["created_at"].is_i64());
    // Bad input: 400, including a cursor of another search.
    let first = list(&s, &admin, "q=page").await;
    let cursor = first.body["cursor"].as_str().unwrap();
    for bad in [
        "q=a%20b".to_owned(),
        "kind=admin".to_owned(),
        "cursor=not-a-cursor".to_owned(),
        "q=a&q=b".to_owned(),
        "limit=5".to_owned(),
        format!("q=zed&cursor={cursor}"),
    ] {
        let a = list(&s, &admin, &bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {}", a.text);
        assert!(a.body["message"].is_string());
    }
}

#[tokio::test]
async fn disable_stops_a_session_at_the_next_request_and_enable_restores_sign_in() {
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let ann = user(
        &s,
        Some("ann"),
        "ann@example.com",
        UserKind::Creator,
        Some(PASSWORD),
    )
    .await;
    let cookie = signin(&s, "ann").await.cookie().unwrap();
    assert_eq!(me(&s, &cookie).await, StatusCode::OK);

    let a = post(&s, &admin, "/admin/users/disable", &ann.id).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, json!({"user_id": ann.id, "status": "disabled"}));
    assert_eq!(me(&s, &cookie).await, StatusCode::FORBIDDEN);
    let stored = s.store.get_user(&ann.id).await.unwrap().unwrap();
    assert!(stored.sessions.is_empty());
    assert_eq!(signin(&s, "ann").await.status, StatusCode::FORBIDDEN);

    let a = post(&s, &admin, "/admin/users/enable", &ann.id).await;
    assert_eq!(a.body, json!({"user_id": ann.id, "status": "active"}));
    let again = signin(&s, "ann").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(me(&s, &again.cookie().unwrap()).await, StatusCode::OK);
    // The old session stays gone; an invited user stays invited.
    assert_eq!(me(&s, &cookie).await, StatusCode::FORBIDDEN);
    let bob = user(&s, Some("bob"), "bob@example.com", UserKind::EndUser, None).await;
    post(&s, &admin, "/admin/users/disable", &bob.id).await;
    let a = post(&s, &admin, "/admin/users/enable", &bob.id).await;
    assert_eq!(a.body["status"], "invited");
}

#[tokio::test]
async fn delete_frees_the_username_and_email_and_ends_the_sessions() {
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let cy = user(
        &s,
        Some("cyd"),
        "Cyd@example.com",
        UserKind::Creator,
        Some(PASSWORD),
    )
    .await;
    let cookie = signin(&s, "cyd").await.cookie().unwrap();
    let a = post(&s, &admin, "/admin/users/delete", &cy.id).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, json!({"user_id": cy.id, "deleted": true}));
    assert!(s.store.get_user(&cy.id).await.unwrap().is_none());
    assert_ne!(me(&s, &cookie).await, StatusCode::OK);
    assert_eq!(signin(&s, "cyd").await.status, StatusCode::UNAUTHORIZED);
    assert!(all_pages(&s, &admin, "q=cyd").await.0.is_empty());
    // Name and e-mail are free: a new user takes both.
    let again = user(&s, Some("cyd"), "cyd@EXAMPLE.com", UserKind::EndUser, None).await;
    assert_ne!(again.id, cy.id);
    assert_eq!(
        all_pages(&s, &admin, "q=cyd").await.0,
        vec![again.id.clone()]
    );
    // Deleted, unknown and malformed ids.
    for path in [
        "/admin/users/disable",
        "/admin/users/enable",
        "/admin/users/delete",
    ] {
        assert_eq!(
            post(&s, &admin, path, &cy.id).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(&s, &admin, path, "AAAAAAAAAAAAAAAA").await.status,
            StatusCode::NOT_FOUND
        );
        let a = post(&s, &admin, path, "user#1").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}");
        let extra = json!({"user_id": again.id, "also": 1});
        let a = s.call(&admin, Method::POST, path, Some(extra)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: unknown field");
    }
}

#[tokio::test]
async fn user_routes_need_the_csrf_token_and_refuse_foreign_origins() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let dee = user(&s, Some("dee"), "dee@example.com", UserKind::Creator, None).await;
    let body = Some(json!({ "user_id": dee.id }));
    for path in [
        "/admin/users/disable",
        "/admin/users/enable",
        "/admin/users/delete",
    ] {
        for headers in [
            vec![("cookie", admin.cookie.as_str())],
            vec![("cookie", admin.cookie.as_str()), ("x-csrf-token", "nope")],
        ] {
            let a = s
                .send_json(Method::POST, path, &headers, body.clone())
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.text);
        }
        let foreign = [
            ("cookie", admin.cookie.as_str()),
            ("x-csrf-token", admin.csrf.as_str()),
            ("origin", "https://evil.example"),
        ];
        let a = s
            .send_json(Method::POST, path, &foreign, body.clone())
            .await;
        assert_eq!(a.body["error"], "foreign_origin", "{path}");
        let none = s.send_json(Method::POST, path, &[], body.clone()).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let stored = s.store.get_user(&dee.id).await.unwrap().unwrap();
    assert_eq!(stored.rev, 0, "no refused call changed the user");
    // The listing needs no CSRF token, but a session and the API's own origin.
    let read = [("cookie", admin.cookie.as_str())];
    let a = s.send_json(Method::GET, "/admin/users", &read, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let foreign = [read[0], ("origin", "https://evil.example")];
    let a = s
        .send_json(Method::GET, "/admin/users", &foreign, None)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = s.send_json(Method::GET, "/admin/users", &[], None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cli_lists_disables_enables_and_deletes_users() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let eve = user(
        &s,
        Some("eve"),
        "eve@example.com",
        UserKind::EndUser,
        Some(PASSWORD),
    )
    .await;
    user(
        &s,
        Some("evan"),
        "evan@example.com",
        UserKind::Creator,
        None,
    )
    .await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let run = async |args: &[&str]| cli_ok(&member, &s.url, args).await;
    let table = run(&["users", "list", "--q", "ev"]).await;
    assert!(table.contains("eve") && table.contains("evan"), "{table}");
    assert!(
        table.contains("status") && table.contains("invited"),
        "{table}"
    );
    let json = run(&[
        "--json", "users", "list", "--q", "eve", "--kind", "end_user",
    ])
    .await;
    let page: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(page["users"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["users"][0]["id"], eve.id.as_str());

    let id = eve.id.as_str();
    let cookie = signin(&s, "eve").await.cookie().unwrap();
    let fields = run(&["users", "disable", id]).await;
    assert!(fields.contains("status: disabled"), "{fields}");
    assert_eq!(me(&s, &cookie).await, StatusCode::FORBIDDEN);
    let fields = run(&["users", "enable", id]).await;
    assert!(fields.contains("status: active"), "{fields}");
    assert_eq!(signin(&s, "eve").await.status, StatusCode::OK);
    let fields = run(&["users", "delete", id]).await;
    assert!(fields.contains("deleted: true"), "{fields}");
    assert!(s.store.get_user(id).await.unwrap().is_none());
    // An unknown id fails with the API's status.
    let out = cli(&member, &[&base[..], &["users", "delete", id]].concat()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"));
}

#[tokio::test]
async fn cli_creates_and_resets_users_with_invite_links() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let run = async |args: &[&str]| cli_ok(&member, &s.url, args).await;
    let accept = async |link: &str| {
        let (page, token) = link.split_once("#invite=").unwrap();
        assert_eq!(page, ORIGIN, "the link points at USER_UI_URL: {link}");
        let body = json!({"token": token, "new_password": PASSWORD});
        s.post("/users/invite/accept", &[("origin", ORIGIN)], Some(body))
            .await
            .status
    };
    let created = run(&[
        "--json",
        "users",
        "create",
        "--email",
        "ivy@example.com",
        "--kind",
        "creator",
        "--username",
        "ivy",
        "--display-name",
        "Ivy",
        "--roles",
        "analyst,editor",
    ])
    .await;
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(created["user"]["username"], "ivy", "{created}");
    assert_eq!(created["user"]["roles"], json!(["analyst", "editor"]));
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    let first = created["invite_link"].as_str().unwrap().to_owned();
    assert_eq!(accept(&first).await, StatusCode::OK);
    let cookie = signin(&s, "ivy").await.cookie().unwrap();
    assert_eq!(me(&s, &cookie).await, StatusCode::OK);

    // The table form shows the new link once; the sessions and the old link are dead.
    let fields = run(&["users", "reset", &id]).await;
    let link = fields
        .lines()
        .find_map(|l| l.strip_prefix("invite_link: "))
        .unwrap_or_else(|| panic!("{fields}"))
        .to_owned();
    assert_ne!(link, first);
    assert_eq!(me(&s, &cookie).await, StatusCode::FORBIDDEN);
    assert_eq!(signin(&s, "ivy").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(accept(&first).await, StatusCode::BAD_REQUEST);
    assert_eq!(accept(&link).await, StatusCode::OK);
    assert_eq!(signin(&s, "ivy").await.status, StatusCode::OK);
    // A taken e-mail fails with the API's status.
    let args = [
        "users",
        "create",
        "--email",
        "IVY@example.com",
        "--kind",
        "end_user",
    ];
    let out = cli(&member, &[&base[..], &args[..]].concat()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("409"));
}

#[tokio::test]
async fn cli_invites_by_email_and_prints_where_the_link_went_never_the_link() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let run = async |args: &[&str]| cli_ok(&member, &s.url, args).await;
    let email = common::mail::address("cli-mailed");
    let help = run(&["users", "create", "--help"]).await;
    assert!(
        help.contains("--delivery") && help.contains("mails the link"),
        "{help}"
    );
    let help = run(&["users", "reset", "--help"]).await;
    assert!(
        help.contains("--delivery") && help.contains("EMAIL_FROM"),
        "{help}"
    );
    let args = [
        "--json",
        "users",
        "create",
        "--email",
        &email,
        "--kind",
        "end_user",
        "--delivery",
        "email",
    ];
    let created: Value = serde_json::from_str(&run(&args).await).unwrap();
    assert_eq!(created["delivery"], "email", "{created}");
    assert_eq!(created["invite_sent_to"], email.as_str(), "{created}");
    assert!(created.get("invite_link").is_none(), "{created}");
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    let token = |count| {
        let email = email.clone();
        async move {
            let mail = common::mail::wait_for(&email, count).await.pop().unwrap();
            common::mail::link_token(&mail.text, "invite").unwrap()
        }
    };
    let first = token(1).await;
    // The table form of a reset by e-mail: where it went, no link.
    let fields = run(&["users", "reset", &id, "--delivery", "email"]).await;
    assert!(
        fields.contains(&format!("invite_sent_to: {email}")),
        "{fields}"
    );
    assert!(
        !fields.contains("#invite=") && !fields.contains("invite_link"),
        "{fields}"
    );
    let second = token(2).await;
    let accept = async |token: &str| {
        let body = json!({"token": token, "new_password": PASSWORD});
        s.post("/users/invite/accept", &[("origin", ORIGIN)], Some(body))
            .await
            .status
    };
    assert_eq!(accept(&first).await, StatusCode::BAD_REQUEST);
    assert_eq!(accept(&second).await, StatusCode::OK);
    assert!(s.store.get_user(&id).await.unwrap().unwrap().email_verified);
    // An unknown delivery never reaches the API.
    let args = ["users", "reset", &id, "--delivery", "sms"];
    let out = cli(&member, &[&base[..], &args[..]].concat()).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("link") && err.contains("email"), "{err}");
}
