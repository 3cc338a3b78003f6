//! People, part 1 end to end: password sign-in through the local gateway (cookie,
//! identical refusals, lockout with an injected clock, the per-IP limit, parallel
//! attempts), the signed-in routes, sign-out, disabling, unique names under races, the
//! session cap and rehashing (README "People").

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse::credentials::password::{PasswordSettings, Passwords};
use gatehouse::credentials::users::{
    Email, MAX_SESSIONS, NewUser, User, UserKind, UserStore, Username, create_user, disable_user,
};
use gatehouse::error::Error;
use gatehouse::records::lockout::LockoutStore;
use gatehouse_e2e::{Answer, ORIGIN, Stack, send, send_json, test_clock};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub(super) const PASSWORD: &str = "correct horse battery staple";

pub(super) fn passwords() -> Passwords {
    Passwords::new(&PasswordSettings::default())
}

fn new_user(username: Option<&str>, email: &str, password: Option<&str>) -> NewUser {
    NewUser {
        username: username.map(|u| Username::parse(u).unwrap()),
        email: Some(Email::parse(email).unwrap()),
        email_verified: true,
        display_name: None,
        kind: UserKind::Creator,
        roles: vec!["analyst".into()],
        password: password.map(|p| p.to_owned().into()),
        created_by: "test".into(),
    }
}

/// A creator `name` (e-mail `<name>@example.com`) with [`PASSWORD`].
pub(super) async fn person(s: &Stack, name: &str) -> User {
    let email = format!("{name}@Example.com");
    create_user(
        &s.store,
        &passwords(),
        new_user(Some(name), &email, Some(PASSWORD)),
        0,
    )
    .await
    .unwrap()
}

async fn signin_from(
    http: &reqwest::Client,
    s: &Stack,
    identifier: &str,
    password: &str,
) -> Answer {
    let body = json!({"identifier": identifier, "password": password});
    let url = format!("{}/users/signin", s.url);
    send_json(http, Method::POST, &url, &[("origin", ORIGIN)], Some(body)).await
}

pub(super) async fn signin(s: &Stack, identifier: &str, password: &str) -> Answer {
    signin_from(&s.http, s, identifier, password).await
}

/// `method path` with the user cookie from an allowed Origin.
pub(super) async fn with_cookie(s: &Stack, method: Method, path: &str, cookie: &str) -> Answer {
    let url = format!("{}{path}", s.url);
    let headers = [("origin", ORIGIN), ("cookie", cookie)];
    send(&s.http, method, &url, &headers, None).await
}

/// An answer without the headers every answer varies in (`date`).
pub(super) fn bytes(a: &Answer) -> (StatusCode, Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = a
        .headers
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (a.status, headers, a.text.clone())
}

#[tokio::test]
async fn signin_sets_the_exact_cookie_and_the_session_works_until_sign_out() {
    let s = Stack::builder().start().await;
    let ann = person(&s, "ann").await;
    let stored = s.store.get_user(&ann.id).await.unwrap().unwrap();
    let phc = stored.password.unwrap().0;
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    let a = signin(&s, "ANN@example.com", PASSWORD).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let set = a.set_cookie().unwrap();
    let (pair, attributes) = set.split_once("; ").unwrap();
    let id = pair.strip_prefix("__Host-gh_user=").unwrap();
    assert_eq!(id.len(), 43, "a 256-bit random id");
    assert_eq!(
        attributes,
        "Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=28800"
    );
    assert_eq!(a.body["user"]["id"], ann.id.as_str());
    assert_eq!(a.body["user"]["email"], "ann@Example.com");
    assert_eq!(a.body["user"]["kind"], "creator");
    assert!(a.body["user"].get("password").is_none());
    let cookie = a.cookie().unwrap();

    let me = with_cookie(&s, Method::GET, "/users/me", &cookie).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["user"]["username"], "ann");
    assert_eq!(me.body["expires_at"], a.body["expires_at"]);

    let out = with_cookie(&s, Method::POST, "/users/signout", &cookie).await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(
        out.set_cookie().unwrap(),
        "__Host-gh_user=; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=0"
    );
    let after = with_cookie(&s, Method::GET, "/users/me", &cookie).await;
    assert_eq!(after.status, 403, "the session is gone");
    let user = s.store.get_user(&ann.id).await.unwrap().unwrap();
    assert!(user.sessions.is_empty(), "unlisted with the delete");
}

#[tokio::test]
async fn a_wrong_password_an_unknown_identifier_and_an_invited_user_answer_the_same_bytes() {
    let s = Stack::builder().start().await;
    person(&s, "bob").await;
    let invited = new_user(Some("carol"), "carol@example.com", None);
    create_user(&s.store, &passwords(), invited, 0)
        .await
        .unwrap();
    let wrong = signin(&s, "bob", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    for other in ["nobody", "nobody@example.com", "carol"] {
        let a = signin(&s, other, "not the password at all").await;
        assert_eq!(bytes(&a), bytes(&wrong), "{other}");
    }
    assert!(!wrong.text.contains("bob"));
}

#[tokio::test]
async fn the_sixth_attempt_is_refused_identically_and_the_lock_lifts_on_time() {
    let (now, read) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder().clock(read).start().await;
    person(&s, "dora").await;
    for identifier in ["dora", "nobody"] {
        for _ in 0..5 {
            assert_eq!(
                signin(&s, identifier, "wrong password, long enough")
                    .await
                    .status,
                401
            );
        }
    }
    let known = signin(&s, "dora", "wrong password, long enough").await;
    let unknown = signin(&s, "nobody", "wrong password, long enough").await;
    assert_eq!(known.status, 429);
    assert_eq!(known.headers["retry-after"], "1");
    assert_eq!(bytes(&known), bytes(&unknown));
    // The right password is refused while locked, before it is checked; refusals
    // during the lock neither count nor extend it.
    for _ in 0..5 {
        assert_eq!(signin(&s, "dora", PASSWORD).await.status, 429);
    }
    now.fetch_add(1, Ordering::SeqCst);
    let ok = signin(&s, "dora", PASSWORD).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    // The success reset the counters: five more failures before the next lock.
    for _ in 0..5 {
        assert_eq!(
            signin(&s, "dora", "wrong password, long enough")
                .await
                .status,
            401
        );
    }
    assert_eq!(signin(&s, "dora", PASSWORD).await.status, 429);
    // The sixth failure after the lock lifts doubles it.
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(
        signin(&s, "dora", "wrong password, long enough")
            .await
            .status,
        401
    );
    let locked = signin(&s, "dora", PASSWORD).await;
    assert_eq!(locked.headers["retry-after"], "2");
}

#[tokio::test]
async fn the_user_counter_locks_every_identifier_of_the_account() {
    // A fixed clock: the first lock lasts one second, which a busy machine can outlast.
    let (_now, read) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder()
        .clock(read)
        .env(&[("USER_LOCKOUT_THRESHOLD", "3")])
        .start()
        .await;
    person(&s, "erin").await;
    for identifier in ["erin", "erin@example.com", "ERIN"] {
        assert_eq!(
            signin(&s, identifier, "wrong password, long enough")
                .await
                .status,
            401
        );
    }
    let by_email = signin(&s, "erin@EXAMPLE.com", PASSWORD).await;
    assert_eq!(by_email.status, 429, "the account's own counter");
}

#[tokio::test]
async fn the_per_ip_limit_refuses_a_source_and_malformed_bodies_count_for_nothing() {
    // A fixed clock: the test never straddles the end of a window.
    let (_now, read) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder()
        .clock(read)
        .env(&[("USER_SIGNIN_IP_LIMIT", "3")])
        .start()
        .await;
    person(&s, "finn").await;
    let url = format!("{}/users/signin", s.url);
    for bad in [
        json!({"identifier": "finn"}),
        json!({"identifier": "a b", "password": "x"}),
    ] {
        let a = send_json(
            &s.http,
            Method::POST,
            &url,
            &[("origin", ORIGIN)],
            Some(bad),
        )
        .await;
        assert_eq!(a.status, 400);
    }
    let foreign = [("origin", "https://evil.example")];
    let body = json!({"identifier": "finn", "password": PASSWORD});
    let a = send_json(&s.http, Method::POST, &url, &foreign, Some(body.clone())).await;
    assert_eq!(a.status, 403, "login CSRF: an allowed Origin is required");
    let a = send_json(&s.http, Method::POST, &url, &[], Some(body)).await;
    assert_eq!(a.status, 403);
    for who in ["user1", "user2", "user3"] {
        assert_eq!(
            signin(&s, who, "wrong password, long enough").await.status,
            401
        );
    }
    let refused = signin(&s, "finn", PASSWORD).await;
    assert_eq!(refused.status, 429, "the source's slots are used up");
    assert!(refused.headers.contains_key("retry-after"));
    let elsewhere = signin_from(&s.other_ip, &s, "finn", PASSWORD).await;
    assert_eq!(elsewhere.status, 200, "another source");
}

/// Fifty sign-ins at once from `http`, for `identifier(i)`: their statuses.
async fn fifty_at_once(
    s: &Arc<Stack>,
    other_ip: bool,
    identifier: fn(usize) -> String,
) -> Vec<u16> {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let http = if other_ip { &s.other_ip } else { &s.http };
                let who = identifier(i);
                let a = signin_from(http, &s, &who, "wrong password, long enough").await;
                a.status.as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn fifty_parallel_failures_never_exceed_the_limits() {
    // A fixed clock: the first lock lasts one second, which fifty attempts on a busy
    // machine can outlast (the next failure would then be a counted sixth).
    let (_now, read) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder()
        .clock(read)
        .env(&[("USER_SIGNIN_IP_LIMIT", "20")])
        .start()
        .await;
    person(&s, "gail").await;
    let s = Arc::new(s);
    // Refusals are 401 (checked), 429 (limited) or, when DynamoDB Local times out
    // under fifty parallel transactions, 503: fail closed, never an allow.
    let refused = |c: &u16| [401, 429, 503].contains(c);
    // One identifier: the lockout lets at most 5 attempts reach the password check,
    // and its counter holds at most 5 failures.
    let one = fifty_at_once(&s, false, |_| "gail".to_owned()).await;
    let checked = one.iter().filter(|c| **c == 401).count();
    assert!((1..=5).contains(&checked), "{one:?}");
    assert!(one.iter().all(refused), "{one:?}");
    let key = gatehouse::records::lockout::identifier_key("u:gail");
    let stored = s.store.lockout_read(&[key], 0).await.unwrap();
    assert!(stored[0].is_some_and(|c| c.count <= 5), "{stored:?}");
    // Fifty identifiers from another source: at most its 20 slots are checked.
    let many = fifty_at_once(&s, true, |i| format!("user{i}")).await;
    let checked = many.iter().filter(|c| **c == 401).count();
    assert!((1..=20).contains(&checked), "{many:?}");
    assert!(many.iter().all(refused), "{many:?}");
}

#[tokio::test]
async fn twenty_concurrent_creations_with_one_name_make_exactly_one_user() {
    let s = Stack::builder().start().await;
    let store = Arc::new(s.store.clone());
    for same_email in [true, false] {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let (name, email) = if same_email {
                        (format!("racer{i}"), "race@example.com".to_owned())
                    } else {
                        ("racer".to_owned(), format!("racer{i}@example.com"))
                    };
                    let new = new_user(Some(&name), &email, None);
                    create_user(&*store, &passwords(), new, 0).await
                })
            })
            .collect();
        let mut created = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => created += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(created, 1, "same email: {same_email}");
    }
}

#[tokio::test]
async fn disabling_a_user_stops_its_session_at_the_next_request() {
    let s = Stack::builder().start().await;
    let hana = person(&s, "hana").await;
    let cookie = signin(&s, "hana", PASSWORD).await.cookie().unwrap();
    assert_eq!(
        with_cookie(&s, Method::GET, "/users/me", &cookie)
            .await
            .status,
        200
    );
    assert!(disable_user(&s.store, &hana.id).await.unwrap());
    assert_eq!(
        with_cookie(&s, Method::GET, "/users/me", &cookie)
            .await
            .status,
        403
    );
    let user = s.store.get_user(&hana.id).await.unwrap().unwrap();
    assert!(user.sessions.is_empty());
    // A disabled user learns so only after the right password.
    let right = signin(&s, "hana", PASSWORD).await;
    assert_eq!(
        (right.status, right.body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert!(right.set_cookie().is_none());
    assert_eq!(
        signin(&s, "hana", "wrong password, long enough")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_twenty_first_session_deletes_the_oldest() {
    let s = Stack::builder()
        .env(&[("USER_SIGNIN_IP_LIMIT", "100")])
        .start()
        .await;
    let ivy = person(&s, "ivy").await;
    let mut cookies = Vec::new();
    for _ in 0..=MAX_SESSIONS {
        let a = signin(&s, "ivy", PASSWORD).await;
        assert_eq!(a.status, 200, "{}", a.text);
        cookies.push(a.cookie().unwrap());
    }
    let user = s.store.get_user(&ivy.id).await.unwrap().unwrap();
    assert_eq!(user.sessions.len(), MAX_SESSIONS);
    let oldest = with_cookie(&s, Method::GET, "/users/me", &cookies[0]).await;
    assert_eq!(oldest.status, 403, "deleted, not just unlisted");
    let second = with_cookie(&s, Method::GET, "/users/me", &cookies[1]).await;
    assert_eq!(second.status, 200);
}

#[tokio::test]
async fn a_weaker_stored_hash_is_replaced_at_sign_in() {
    let s = Stack::builder()
        .env(&[("ARGON2_ITERATIONS", "3")])
        .start()
        .await;
    let jo = person(&s, "josh").await;
    assert_eq!(signin(&s, "josh", PASSWORD).await.status, 200);
    let phc = s
        .store
        .get_user(&jo.id)
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap()
        .0;
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=3,p=1$"), "{phc}");
    assert_eq!(
        signin(&s, "josh", PASSWORD).await.status,
        200,
        "the new hash verifies"
    );
}

#[tokio::test]
async fn the_password_policy_is_public() {
    let s = Stack::builder().start().await;
    let url = format!("{}/users/password-policy", s.url);
    let a = send(&s.http, Method::GET, &url, &[], None).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        json!({"min_length": 15, "max_length": 128, "blocklist": true, "context_words": true})
    );
}
