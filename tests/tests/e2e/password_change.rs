//! Password change end to end (README "People", password change): the new password
//! works and every other session of the user is signed out in the same transaction;
//! wrong current passwords count toward the user's lockout, and a locked user cannot
//! change (injected clock); parallel changes with one current password make exactly
//! one; a refused body counts for nothing.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse::credentials::users::UserStore;
use gatehouse_e2e::{Answer, ORIGIN, Stack, send_json, test_clock};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::users::{PASSWORD, person, signin, with_cookie};

const NEW: &str = "a brand new passphrase, 2026";

/// A session cookie of `name` signed in with `password`.
async fn session(s: &Stack, name: &str, password: &str) -> String {
    let a = signin(s, name, password).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.cookie().unwrap()
}

async fn change(s: &Stack, cookie: &str, current: &str, new: &str) -> Answer {
    let body = json!({"current_password": current, "new_password": new});
    let url = format!("{}/users/password/change", s.url);
    let headers = [("origin", ORIGIN), ("cookie", cookie)];
    send_json(&s.http, Method::POST, &url, &headers, Some(body)).await
}

#[tokio::test]
async fn a_change_signs_out_every_other_session_and_only_the_new_password_works() {
    let s = Stack::builder().start().await;
    let ann = person(&s, "pcann").await;
    let mine = session(&s, "pcann", PASSWORD).await;
    let others = [
        session(&s, "pcann", PASSWORD).await,
        session(&s, "pcann", PASSWORD).await,
    ];
    let a = change(&s, &mine, PASSWORD, NEW).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, json!({"changed": true, "signed_out_sessions": 2}));
    for other in &others {
        let me = with_cookie(&s, Method::GET, "/users/me", other).await;
        assert_eq!(me.status, StatusCode::FORBIDDEN, "signed out: {}", me.text);
    }
    let me = with_cookie(&s, Method::GET, "/users/me", &mine).await;
    assert_eq!(me.status, StatusCode::OK, "the caller's session stays");
    let user = s.store.get_user(&ann.id).await.unwrap().unwrap();
    assert_eq!(user.sessions.len(), 1, "only the caller's is listed");
    assert!(user.password_changed_at.is_some());
    assert_eq!(signin(&s, "pcann", PASSWORD).await.status, 401);
    assert_eq!(signin(&s, "pcann", NEW).await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_lockout_and_a_locked_user_cannot_change() {
    let (now, read) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder()
        .clock(read)
        .env(&[("USER_LOCKOUT_THRESHOLD", "3")])
        .start()
        .await;
    let bob = person(&s, "pcbob").await;
    let cookie = session(&s, "pcbob", PASSWORD).await;
    for _ in 0..3 {
        let a = change(&s, &cookie, "not the current one at all", NEW).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        assert_eq!(a.body["message"], "current_password: incorrect");
    }
    // The user's counter is the sign-in's: the right password is refused there too.
    let locked = signin(&s, "pcbob", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    let refused = change(&s, &cookie, PASSWORD, NEW).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert!(refused.headers.contains_key("retry-after"));
    let stored = s.store.get_user(&bob.id).await.unwrap().unwrap();
    assert_eq!(stored.password, bob.password, "nothing changed");
    // The lock lifts (the first lock at the threshold lasts one second).
    now.fetch_add(1, Ordering::SeqCst);
    let a = change(&s, &cookie, PASSWORD, NEW).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(
        s.items_of(gatehouse::records::prefix::RATE)
            .await
            .iter()
            .all(|i| !i["pk"].as_s().unwrap().contains("usr-lock#user")),
        "a success clears the user's counter"
    );
}

#[tokio::test]
async fn parallel_changes_with_one_current_password_make_exactly_one() {
    let s = Stack::builder()
        .env(&[("USER_LOCKOUT_THRESHOLD", "50")])
        .start()
        .await;
    person(&s, "pccid").await;
    let cookie = session(&s, "pccid", PASSWORD).await;
    let s = Arc::new(s);
    let tries: Vec<_> = (0..10)
        .map(|i| {
            let (s, cookie) = (s.clone(), cookie.clone());
            tokio::spawn(async move {
                let new = format!("{NEW} number {i}");
                (change(&s, &cookie, PASSWORD, &new).await.status, new)
            })
        })
        .collect();
    let mut won = Vec::new();
    for t in tries {
        let (status, new) = t.await.unwrap();
        match status {
            StatusCode::OK => won.push(new),
            StatusCode::BAD_REQUEST | StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one change wins");
    assert_eq!(signin(&s, "pccid", &won[0]).await.status, StatusCode::OK);
    assert_eq!(signin(&s, "pccid", PASSWORD).await.status, 401);
}

#[tokio::test]
async fn a_refused_body_counts_for_nothing_and_other_credentials_are_denied() {
    let s = Stack::builder()
        .env(&[("USER_LOCKOUT_THRESHOLD", "3")])
        .start()
        .await;
    person(&s, "pcdee").await;
    let cookie = session(&s, "pcdee", PASSWORD).await;
    let before = s.items_of(gatehouse::records::prefix::RATE).await;
    let wrong = "wrong, but never checked";
    for (new, why) in [
        ("short", "new_password:"),
        (wrong, "must differ from current_password"),
        ("pcdee's passphrase, 2026", "new_password:"),
    ] {
        let a = change(&s, &cookie, wrong, new).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains(why), "{message}");
        assert!(!message.contains("wrong, but"), "{message}");
    }
    assert_eq!(
        s.items_of(gatehouse::records::prefix::RATE).await,
        before,
        "nothing counted"
    );
    // An API key is no user session: the authorizer denies it before the function.
    let url = format!("{}/users/password/change", s.url);
    let body = json!({"current_password": PASSWORD, "new_password": NEW});
    let headers = [("x-api-key", s.key.as_str())];
    let a = send_json(&s.http, Method::POST, &url, &headers, Some(body)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(signin(&s, "pcdee", PASSWORD).await.status, StatusCode::OK);
}
