//! Password reset end to end (README "People", password reset): the link read back from
//! moto's SES, every session ended in the reset's transaction, the "changed" notice, the
//! same 202 whatever the address, single use under a race, expiry at the second, the
//! quotas, password login switched off.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse::credentials::users::settings::{Changed, LoginSettings, SettingsStore};
use gatehouse::credentials::users::{User, UserKind, UserStore};
use gatehouse_e2e::mail::{link, link_token, sent_to, wait_for};
use gatehouse_e2e::{Answer, ORIGIN, Stack, USER_PASSWORD, test_clock};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::signup::{address, holder, signup_as};
use crate::users::{bytes, with_cookie};

const RESET_INVALID: &str = "reset_invalid_expired_or_used";
const NEW: &str = "A-Brand-New-Reset-Passw0rd-For-Ann";

async fn forgot(s: &Stack, email: &str) -> Answer {
    s.post(
        "/users/password/forgot",
        &[("origin", ORIGIN)],
        Some(json!({"email": email})),
    )
    .await
}

async fn reset(s: &Stack, token: &str, new_password: &str) -> Answer {
    s.post(
        "/users/password/reset",
        &[("origin", ORIGIN)],
        Some(json!({"token": token, "new_password": new_password})),
    )
    .await
}

fn accepted(a: &Answer) {
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"accepted": true, "message": "If this address has an account, it will receive a message."})
    );
}

fn invalid(a: &Answer) {
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert_eq!(a.body["message"], RESET_INVALID, "{}", a.text);
}

/// The token of the newest reset link sent to `email`, after checking the message: one
/// link to the user page, valid 30 minutes, no password.
async fn mailed_token(email: &str, count: usize) -> String {
    let mail = wait_for(email, count).await.pop().unwrap();
    assert_eq!(mail.subject, "Reset your password");
    assert!(mail.text.contains("30 minutes"), "{}", mail.text);
    assert!(!mail.text.contains(USER_PASSWORD), "{}", mail.text);
    let url = link(&mail.text, "reset").unwrap();
    assert!(url.starts_with(&format!("{ORIGIN}#reset=")), "{url}");
    let token = link_token(&mail.text, "reset").unwrap();
    assert_eq!(token.len(), 43, "a 256-bit token");
    token
}

/// A fresh active person's e-mail address.
fn email_of(u: &User) -> String {
    u.email.as_ref().unwrap().shown().to_owned()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_the_mailed_link_and_every_session_ends() {
    let s = Stack::builder().start().await;
    let ann = s.person(UserKind::Creator).await;
    let name = ann.username.clone().unwrap();
    let mut cookies = Vec::new();
    for _ in 0..2 {
        let a = s.user_signin(name.as_str(), USER_PASSWORD).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        cookies.push(a.cookie().unwrap());
    }
    // The address in another case finds the same account.
    accepted(&forgot(&s, &email_of(&ann).to_uppercase()).await);
    let token = mailed_token(&email_of(&ann), 1).await;
    // A foreign or missing Origin is refused before the token is looked at.
    for headers in [vec![("origin", "https://evil.example")], vec![]] {
        let body = Some(json!({"token": token, "new_password": NEW}));
        let a = s.post("/users/password/reset", &headers, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    // The policy refuses a weak password, naming the field; the token stays usable.
    let weak = reset(&s, &token, "short").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.text);
    assert!(
        weak.body["message"]
            .as_str()
            .unwrap()
            .starts_with("new_password: "),
        "{}",
        weak.text
    );
    let ok = reset(&s, &token, NEW).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body, json!({"reset": true, "signed_out_sessions": 2}));
    assert!(ok.set_cookie().is_none(), "a reset signs nothing in");
    for cookie in &cookies {
        let me = with_cookie(&s, Method::GET, "/users/me", cookie).await;
        assert_eq!(me.status, StatusCode::FORBIDDEN, "signed out: {}", me.text);
    }
    let user = s.store.get_user(&ann.id).await.unwrap().unwrap();
    assert!(user.sessions.is_empty());
    assert!(s.items_of("etoken#").await.iter().all(|i| {
        gatehouse_e2e::pk(i)
            != format!(
                "etoken#{}",
                gatehouse::primitives::crypto::sha256_hex(token.as_bytes())
            )
    }));
    let old = s.user_signin(name.as_str(), USER_PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.user_signin(name.as_str(), NEW).await.status,
        StatusCode::OK
    );
    let notice = wait_for(&email_of(&ann), 2).await.pop().unwrap();
    assert_eq!(notice.subject, "Your password was changed");
    assert!(
        !notice.text.contains("http") && !notice.text.contains('#'),
        "{}",
        notice.text
    );
    invalid(&reset(&s, &token, "Another-Reset-Passw0rd-Try").await);
}

#[tokio::test]
async fn an_unknown_or_inactive_address_gets_the_identical_202_and_no_mail() {
    let s = Stack::builder().start().await;
    let ann = s.person(UserKind::Creator).await;
    let known = forgot(&s, &email_of(&ann)).await;
    accepted(&known);
    mailed_token(&email_of(&ann), 1).await;
    let unknown_address = address("nobody");
    let unknown = forgot(&s, &unknown_address).await;
    assert_eq!(bytes(&unknown), bytes(&known), "the same bytes");
    // A pending sign-up gets no reset link (it has its verification link).
    let pending = address("pending");
    signup_as(&s, &pending, None).await;
    wait_for(&pending, 1).await;
    assert_eq!(bytes(&forgot(&s, &pending).await), bytes(&known));
    // A disabled account gets none either.
    let bob = s.person(UserKind::EndUser).await;
    let disabled = s.store.get_user(&bob.id).await.unwrap().unwrap();
    assert!(s.store.change_sessions(&disabled.disable()).await.unwrap());
    assert_eq!(bytes(&forgot(&s, &email_of(&bob)).await), bytes(&known));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sent_to(&unknown_address).await.is_empty());
    assert_eq!(
        sent_to(&pending).await.len(),
        1,
        "only the verification link"
    );
    assert!(sent_to(&email_of(&bob)).await.is_empty());
    assert_eq!(
        s.items_of("etoken#").await.len(),
        2,
        "Ann's reset token and the sign-up's verification token"
    );
    // Without EMAIL_FROM nothing is ever sent, and the answer is the same.
    let quiet = Stack::builder().env(&[("EMAIL_FROM", "")]).start().await;
    let carl = quiet.person(UserKind::Creator).await;
    assert_eq!(
        bytes(&forgot(&quiet, &email_of(&carl)).await),
        bytes(&known)
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sent_to(&email_of(&carl)).await.is_empty());
    assert!(quiet.items_of("etoken#").await.is_empty());
}

#[tokio::test]
async fn a_reset_token_works_once_under_a_fifty_way_race() {
    let s = Arc::new(Stack::builder().start().await);
    let ann = s.person(UserKind::Creator).await;
    accepted(&forgot(&s, &email_of(&ann)).await);
    let token = mailed_token(&email_of(&ann), 1).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (s, token) = (s.clone(), token.clone());
            tokio::spawn(async move { reset(&s, &token, &format!("{NEW}-{i:02}")).await })
        })
        .collect();
    // Every request hashes its new password before it tries the token: on two cores,
    // fifty Argon2id hashes can outlast the hasher's bounded wait, and a request that
    // gets no turn is refused with the hasher's 503 before it touches the token
    // (README "Configuration", `ARGON2_MAX_CONCURRENT`). Every other loser is the one 400.
    let mut winners = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::OK => winners.push(i),
            StatusCode::BAD_REQUEST => assert_eq!(a.body["message"], RESET_INVALID),
            StatusCode::SERVICE_UNAVAILABLE => assert_eq!(
                a.body,
                json!({"error": "temporarily_unavailable", "message": "server busy: retry shortly"})
            ),
            other => panic!("{other}: {}", a.text),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    invalid(&reset(&s, &token, "One-More-Reset-Passw0rd-Try").await);
    let name = ann.username.clone().unwrap();
    let won = format!("{NEW}-{:02}", winners[0]);
    assert_eq!(
        s.user_signin(name.as_str(), &won).await.status,
        StatusCode::OK
    );
    assert_eq!(wait_for(&email_of(&ann), 2).await.len(), 2, "one notice");
}

#[tokio::test]
async fn a_reset_link_expires_at_its_second_and_dies_when_another_reset_lands() {
    let start = gatehouse::primitives::time::now_epoch();
    let (now, clock) = test_clock(start);
    let s = Stack::builder().clock(clock).start().await;
    let ann = s.person(UserKind::Creator).await;
    let mut tokens = Vec::new();
    for n in 1..=3 {
        accepted(&forgot(&s, &email_of(&ann)).await);
        tokens.push(mailed_token(&email_of(&ann), n).await);
    }
    // 30 minutes: the link's last usable second is start + 1799.
    now.store(start + 30 * 60, Ordering::SeqCst);
    invalid(&reset(&s, &tokens[0], NEW).await);
    now.store(start + 30 * 60 - 1, Ordering::SeqCst);
    let ok = reset(&s, &tokens[1], NEW).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // The password it was sent for is gone: the third link is dead, though live.
    invalid(&reset(&s, &tokens[2], "Yet-Another-Reset-Passw0rd").await);
    let name = ann.username.clone().unwrap();
    assert_eq!(
        s.user_signin(name.as_str(), NEW).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn forgot_quotas_answer_429_identically_for_known_and_unknown_addresses() {
    let s = Stack::builder()
        .env(&[("FORGOT_IP_LIMIT", "100")])
        .start()
        .await;
    let ann = s.person(UserKind::Creator).await;
    let unknown = address("quota");
    // Three per address and hour, whatever the address.
    for _ in 0..3 {
        accepted(&forgot(&s, &email_of(&ann)).await);
        accepted(&forgot(&s, &unknown).await);
    }
    let a = forgot(&s, &email_of(&ann)).await;
    let b = forgot(&s, &unknown).await;
    for x in [&a, &b] {
        assert_eq!(x.status, StatusCode::TOO_MANY_REQUESTS, "{}", x.text);
        let retry: i64 = x.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry), "{retry}");
    }
    assert_eq!(a.body, b.body);
    assert_eq!(
        wait_for(&email_of(&ann), 3).await.len(),
        3,
        "no fourth link"
    );
    // Per source IP: FORGOT_IP_LIMIT requests, whatever the addresses.
    let s = Stack::builder()
        .env(&[("FORGOT_IP_LIMIT", "2")])
        .start()
        .await;
    let bob = s.person(UserKind::Creator).await;
    accepted(&forgot(&s, &address("ip")).await);
    accepted(&forgot(&s, &address("ip")).await);
    let third = forgot(&s, &email_of(&bob)).await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.text
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sent_to(&email_of(&bob)).await.is_empty());
}

#[tokio::test]
async fn with_password_login_off_forgot_and_reset_are_refused() {
    let s = Stack::builder()
        .env(&[("SETTINGS_CACHE_TTL", "0")])
        .start()
        .await;
    let ann = s.person(UserKind::Creator).await;
    accepted(&forgot(&s, &email_of(&ann)).await);
    let token = mailed_token(&email_of(&ann), 1).await;
    let off = LoginSettings {
        password_login: false,
    };
    let by = Changed { by: "test", at: 0 };
    s.store.put_login_settings(&off, &by).await.unwrap();
    for a in [
        forgot(&s, &email_of(&ann)).await,
        reset(&s, &token, NEW).await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert_eq!(a.body["message"], "password_login_disabled");
    }
    assert_eq!(sent_to(&email_of(&ann)).await.len(), 1);
    // The account is untouched.
    let user = holder(&s, &email_of(&ann)).await.unwrap();
    assert_eq!(user.password_changed_at, ann.password_changed_at);
}

#[tokio::test]
async fn ses_failing_fails_a_known_request_closed_and_never_undoes_a_done_reset() {
    use gatehouse_e2e::faults::{Fault, Wiring, ses_error, ses_proxy};
    let proxy = ses_proxy();
    let s = Stack::builder()
        .via(Wiring::ses_through(&proxy).await)
        .start()
        .await;
    let ann = s.person(UserKind::Creator).await;
    proxy.set(ses_error(503, "ServiceUnavailable"), None);
    // A known active address needs the mail: 503, never a 202 that sent nothing.
    let a = forgot(&s, &email_of(&ann)).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
    assert!(!a.text.contains(&email_of(&ann)), "{}", a.text);
    assert!(sent_to(&email_of(&ann)).await.is_empty());
    // An unknown one sends nothing, so it is the usual 202 (docs/DECISIONS.md
    // "Password reset": the accepted residual).
    accepted(&forgot(&s, &address("nobody")).await);
    proxy.set(Fault::None, None);
    accepted(&forgot(&s, &email_of(&ann)).await);
    let token = mailed_token(&email_of(&ann), 1).await;
    // The notice fails after the transaction: the reset stands and says so.
    proxy.set(ses_error(500, "InternalFailure"), None);
    let ok = reset(&s, &token, NEW).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    proxy.set(Fault::None, None);
    let name = ann.username.clone().unwrap();
    assert_eq!(
        s.user_signin(name.as_str(), NEW).await.status,
        StatusCode::OK
    );
    assert_eq!(
        sent_to(&email_of(&ann)).await.len(),
        1,
        "no notice was sent"
    );
}
