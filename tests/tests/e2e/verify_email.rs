//! Sign-up with e-mail verification end to end (README "People", sign-up): the link read
//! back from moto's SES, verification once, pending accounts refused at sign-in and
//! replaced once expired, the "already registered" message.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_dynamodb::types::AttributeValue;
use gatehouse::credentials::users::{UserStatus, UserStore};
use gatehouse_e2e::mail::{link_token, newest_to, sent_to, wait_for};
use gatehouse_e2e::{ORIGIN, Stack, test_clock};
use reqwest::StatusCode;
use serde_json::json;

use crate::signup::{PASSWORD, address, holder, signup_as};

const VERIFY_INVALID: &str = "verification_invalid_expired_or_used";

async fn verify(s: &Stack, token: &str) -> gatehouse_e2e::Answer {
    s.post(
        "/users/verify-email",
        &[("origin", ORIGIN)],
        Some(json!({"token": token})),
    )
    .await
}

/// The token of the newest verification link sent to `email`, after checking the
/// message: one link to the user page, no password.
async fn mailed_token(email: &str) -> String {
    let mail = newest_to(email).await;
    assert_eq!(mail.subject, "Confirm your e-mail address");
    assert!(!mail.text.contains(PASSWORD), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("{ORIGIN}#verify=")),
        "{}",
        mail.text
    );
    let token = link_token(&mail.text, "verify").unwrap();
    assert_eq!(token.len(), 43, "a 256-bit token");
    token
}

/// The `expires_at` of the item `pk`, read raw.
async fn expiry_of(s: &Stack, pk: &str) -> Option<String> {
    let got = s
        .store
        .client()
        .get_item()
        .table_name(s.store.table())
        .key("pk", AttributeValue::S(pk.into()))
        .send()
        .await
        .unwrap();
    let item = got.item.unwrap();
    item.get("expires_at").map(|v| v.as_n().unwrap().clone())
}

#[tokio::test]
async fn a_default_deploy_signs_up_verifies_by_the_mailed_link_and_signs_in() {
    let s = Stack::builder().start().await;
    let email = address("verify");
    let name = format!("v{}", &email[7..17]);
    let a = signup_as(&s, &email, Some(&name)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let pending = holder(&s, &email).await.unwrap();
    assert_eq!(pending.status, UserStatus::PendingVerification);
    let now = gatehouse::primitives::time::now_epoch();
    let expires = pending.expires_at.unwrap();
    assert!((expires - now - 7 * 86_400).abs() <= 5, "{expires}");
    for pk in [format!("uname#{name}"), format!("email#{email}")] {
        assert_eq!(expiry_of(&s, &pk).await, Some(expires.to_string()), "{pk}");
    }
    // Refused after the right password only; a wrong one is the usual 401.
    let early = s.user_signin(&email, PASSWORD).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "{}", early.text);
    assert_eq!(early.body["message"], "email_not_verified");
    assert!(early.set_cookie().is_none());
    let wrong = s.user_signin(&email, "a wrong password, long enough").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let token = mailed_token(&email).await;
    // A foreign or missing Origin is refused before the token is looked at.
    for headers in [vec![("origin", "https://evil.example")], vec![]] {
        let body = Some(json!({"token": token}));
        let a = s.post("/users/verify-email", &headers, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    let ok = verify(&s, &token).await;
    assert_eq!(
        (ok.status, &ok.body),
        (StatusCode::OK, &json!({"verified": true})),
        "{}",
        ok.text
    );
    assert!(ok.set_cookie().is_none(), "verification signs nothing in");
    let user = holder(&s, &email).await.unwrap();
    assert_eq!(
        (user.id.as_str(), user.status),
        (pending.id.as_str(), UserStatus::Active)
    );
    assert!(user.email_verified && user.expires_at.is_none());
    for pk in [
        format!("user#{}", user.id),
        format!("uname#{name}"),
        format!("email#{email}"),
    ] {
        assert_eq!(expiry_of(&s, &pk).await, None, "{pk} keeps no expiry");
    }
    assert_eq!(s.user_signin(&email, PASSWORD).await.status, StatusCode::OK);
    let again = verify(&s, &token).await;
    assert_eq!(
        (again.status, again.body["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some(VERIFY_INVALID))
    );
}

#[tokio::test]
async fn a_registered_address_gets_the_same_answer_and_only_a_verified_owner_a_message() {
    let s = Stack::builder().start().await;
    let email = address("again");
    let first = signup_as(&s, &email, None).await;
    let token = mailed_token(&email).await;
    // Pending, not verified: a second sign-up answers alike and sends nothing.
    let second = signup_as(&s, &email.to_uppercase(), None).await;
    assert_eq!((second.status, &second.body), (first.status, &first.body));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent_to(&email).await.len(), 1);
    assert_eq!(verify(&s, &token).await.status, StatusCode::OK);
    let id = holder(&s, &email).await.unwrap().id;
    // Verified: the owner is told, nothing else changes.
    let third = signup_as(&s, &email, Some(&format!("other{}", &email[6..14]))).await;
    assert_eq!((third.status, &third.body), (first.status, &first.body));
    let mail = wait_for(&email, 2).await.pop().unwrap();
    assert_eq!(mail.subject, "You already have an account");
    assert!(
        !mail.text.contains('#') && !mail.text.contains("http"),
        "{}",
        mail.text
    );
    assert_eq!(
        holder(&s, &email).await.unwrap().id,
        id,
        "no second account"
    );
}

#[tokio::test]
async fn a_verification_token_works_once_under_a_fifty_way_race() {
    let s = Arc::new(Stack::builder().start().await);
    let email = address("race");
    signup_as(&s, &email, None).await;
    let token = mailed_token(&email).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, token) = (s.clone(), token.clone());
            tokio::spawn(async move { verify(&s, &token).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::OK => ok += 1,
            StatusCode::BAD_REQUEST => assert_eq!(a.body["message"], VERIFY_INVALID),
            other => panic!("{other}: {}", a.text),
        }
    }
    assert_eq!(ok, 1);
    assert!(holder(&s, &email).await.unwrap().email_verified);
}

#[tokio::test]
async fn an_expired_unverified_holder_is_replaced_in_the_same_transaction() {
    let (now, clock) = test_clock(gatehouse::primitives::time::now_epoch());
    let s = Stack::builder()
        .clock(clock)
        .env(&[("SIGNUP_WINDOW", "60")])
        .start()
        .await;
    let email = address("squat");
    let squat_name = format!("squat{}", &email[6..14]);
    signup_as(&s, &email, Some(&squat_name)).await;
    let squatter = holder(&s, &email).await.unwrap();
    // Within its seven days the holder keeps the address and the name.
    let owner_name = format!("owner{}", &email[6..14]);
    signup_as(&s, &email, Some(&owner_name)).await;
    assert_eq!(holder(&s, &email).await.unwrap().id, squatter.id);
    now.fetch_add(7 * 86_400 + 1, Ordering::SeqCst);
    // Expired: it signs in like an unknown account, and the address is free.
    let gone = s.user_signin(&email, PASSWORD).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "{}", gone.text);
    let a = signup_as(&s, &email, Some(&owner_name)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let owner = holder(&s, &email).await.unwrap();
    assert_ne!(owner.id, squatter.id);
    assert_eq!(owner.username.unwrap().as_str(), owner_name);
    assert!(
        s.store.get_user(&squatter.id).await.unwrap().is_none(),
        "replaced"
    );
    // The squatter's name went with it.
    let other = address("free");
    let a = signup_as(&s, &other, Some(&squat_name)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_ne!(holder(&s, &other).await.unwrap().id, squatter.id);
}

#[tokio::test]
async fn an_administrator_cannot_activate_a_pending_sign_up_but_can_delete_it() {
    use reqwest::Method;
    let s = Stack::builder().admin_signin().start().await;
    let admin = s.admin(&gatehouse_e2e::iam_user(true).await).await;
    let email = address("pending");
    signup_as(&s, &email, None).await;
    let id = holder(&s, &email).await.unwrap().id;
    // Enabling or resetting would leave the expiry on the account: it would vanish.
    for path in ["/admin/users/enable", "/admin/users/reset-credentials"] {
        let a = s
            .call(&admin, Method::POST, path, Some(json!({"user_id": id})))
            .await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{path}: {}", a.text);
        assert_eq!(a.body["message"], "pending_verification");
    }
    assert_eq!(
        holder(&s, &email).await.unwrap().status,
        UserStatus::PendingVerification
    );
    let a = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/delete",
            Some(json!({"user_id": id})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(holder(&s, &email).await.is_none());
}

#[tokio::test]
async fn ses_throttling_or_a_5xx_fails_closed_with_503_and_writes_no_user() {
    use gatehouse_e2e::faults::{Fault, Wiring, ses_error, ses_proxy};
    let proxy = ses_proxy();
    let s = Stack::builder()
        .via(Wiring::ses_through(&proxy).await)
        .start()
        .await;
    let before = s.items().await;
    for fault in [
        ses_error(429, "TooManyRequestsException"),
        ses_error(500, "InternalFailure"),
        ses_error(503, "ServiceUnavailable"),
        Fault::Reset,
    ] {
        proxy.set(fault.clone(), None);
        let email = address("fault");
        let a = signup_as(&s, &email, None).await;
        assert_eq!(
            a.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{fault:?}: {}",
            a.text
        );
        assert!(!a.text.contains(&email), "{}", a.text);
        assert!(holder(&s, &email).await.is_none(), "{fault:?}: no user");
        assert!(
            s.items_of("etoken#").await.is_empty(),
            "{fault:?}: no token"
        );
        assert!(sent_to(&email).await.is_empty());
    }
    // Only the quota counters were written.
    let after = s.items().await;
    let added: Vec<_> = after.iter().filter(|i| !before.contains(i)).collect();
    assert!(
        added
            .iter()
            .all(|i| gatehouse_e2e::pk(i).starts_with("rate#usr-")),
        "{added:?}"
    );
    proxy.set(Fault::None, None);
    let email = address("fault");
    assert_eq!(
        signup_as(&s, &email, None).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        holder(&s, &email).await.unwrap().status,
        UserStatus::PendingVerification
    );
    mailed_token(&email).await;
}
