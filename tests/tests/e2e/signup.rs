//! Sign-up, part 1 end to end (README "People", sign-up): the same answers whatever the
//! address, the modes an administrator sets at run time, unique accounts under races,
//! the quotas, and password login switched off.

use std::sync::Arc;

use gatehouse::credentials::users::settings::{
    Changed, LoginSettings, SettingsStore, SignupMode, SignupSettings,
};
use gatehouse::credentials::users::{Email, Identifier, User, UserStatus, UserStore};
use gatehouse::primitives::crypto::random_base62;
use gatehouse_e2e::{Answer, ORIGIN, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(super) const PASSWORD: &str = "Signed-Up-Person-Chose-This-Passw0rd";

/// A fresh address (tests share one moto and read mail by recipient).
pub(super) fn address(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        random_base62(10).to_ascii_lowercase()
    )
}

pub(super) async fn signup(s: &Stack, body: Value) -> Answer {
    s.post("/users/signup", &[("origin", ORIGIN)], Some(body))
        .await
}

pub(super) async fn signup_as(s: &Stack, email: &str, username: Option<&str>) -> Answer {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(u) = username {
        body["username"] = json!(u);
    }
    signup(s, body).await
}

/// Stores the sign-up settings directly (the admin API's own tests cover the routes).
pub(super) async fn set_signup(s: &Stack, change: impl FnOnce(&mut SignupSettings)) {
    let mut v = SignupSettings::defaults(SignupMode::Open);
    change(&mut v);
    let by = Changed { by: "test", at: 0 };
    s.store.put_signup_settings(&v, &by).await.unwrap();
}

/// The user holding `email`, if any.
pub(super) async fn holder(s: &Stack, email: &str) -> Option<User> {
    let id = s
        .store
        .find_user_id(&Identifier::Email(Email::parse(email).unwrap()))
        .await
        .unwrap()?;
    s.store.get_user(&id).await.unwrap()
}

/// A stack reading the settings on every request, with mail on.
pub(super) async fn stack(extra: &[(&str, &str)]) -> Stack {
    let mut env = vec![("SETTINGS_CACHE_TTL", "0")];
    env.extend_from_slice(extra);
    Stack::builder().env(&env).start().await
}

/// A 403 saying `reason`.
fn refused_as(a: &Answer, reason: &str) {
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.body["message"], reason, "{}", a.text);
}

fn accepted(a: &Answer) {
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_eq!(a.body["accepted"], true, "{}", a.text);
}

#[tokio::test]
async fn without_verification_a_sign_up_is_active_unverified_and_both_branches_answer_alike() {
    let s = stack(&[]).await;
    set_signup(&s, |v| v.require_email_verification = false).await;
    let email = address("open");
    let first = signup_as(&s, &email, Some(&format!("n{}", &email[5..15]))).await;
    accepted(&first);
    let user = holder(&s, &email).await.unwrap();
    assert_eq!(user.status, UserStatus::Active);
    assert!(!user.email_verified && user.expires_at.is_none());
    assert_eq!(
        (user.kind.as_str(), user.created_by.as_str()),
        ("creator", "signup")
    );
    assert_eq!(s.user_signin(&email, PASSWORD).await.status, StatusCode::OK);
    // The same address in another case: the same answer, no second account.
    let again = signup_as(&s, &email.to_uppercase(), None).await;
    accepted(&again);
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    assert_eq!(holder(&s, &email).await.unwrap().id, user.id);
    // Without a user name one is generated, never from the address.
    let other = address("gen");
    accepted(&signup_as(&s, &other, None).await);
    let generated = holder(&s, &other).await.unwrap().username.unwrap();
    assert!(generated.as_str().starts_with("user-"), "{generated:?}");
    assert!(!generated.as_str().contains("gen"), "{generated:?}");
}

#[tokio::test]
async fn a_weak_password_is_the_same_400_for_a_registered_and_a_new_address() {
    let s = stack(&[]).await;
    set_signup(&s, |v| v.require_email_verification = false).await;
    let registered = address("weak");
    accepted(&signup_as(&s, &registered, None).await);
    let mut answers = Vec::new();
    for email in [registered.clone(), address("weak")] {
        for password in [
            "short",
            "passwordpassword",
            "weakling-chose-a-long-password",
        ] {
            let a = signup(
                &s,
                json!({"email": email, "password": password, "username": "weakling"}),
            )
            .await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
            assert!(!a.text.contains(password), "{}", a.text);
            answers.push((password, a.body));
        }
    }
    let (registered_answers, new_answers) = answers.split_at(3);
    assert_eq!(registered_answers, new_answers);
}

#[tokio::test]
async fn a_taken_username_is_409_whatever_the_address() {
    let s = stack(&[]).await;
    set_signup(&s, |v| v.require_email_verification = false).await;
    let name = format!("taken{}", random_base62(6).to_ascii_lowercase());
    accepted(&signup_as(&s, &address("first"), Some(&name)).await);
    for email in [address("second"), address("third")] {
        let a = signup_as(&s, &email, Some(&name.to_uppercase())).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
        assert_eq!(a.body["message"], "username_taken");
        assert!(holder(&s, &email).await.is_none(), "nothing was written");
    }
}

#[tokio::test]
async fn closed_and_domain_modes_refuse_from_the_next_request() {
    let s = stack(&[]).await;
    set_signup(&s, |v| {
        v.mode = SignupMode::Closed;
        v.require_email_verification = false;
    })
    .await;
    let email = address("closed");
    let a = signup_as(&s, &email, None).await;
    refused_as(&a, "signup_disabled");
    assert!(holder(&s, &email).await.is_none());
    set_signup(&s, |v| {
        v.mode = SignupMode::Domain;
        v.allowed_domains = vec!["allowed.example".into()];
        v.require_email_verification = false;
    })
    .await;
    let config = s.get("/users/signup/config", &[("origin", ORIGIN)]).await;
    assert_eq!(config.body["mode"], "domain", "{}", config.text);
    assert_eq!(config.body["allowed_domains"], json!(["allowed.example"]));
    let inside = format!("in-{}@Allowed.EXAMPLE", random_base62(8));
    accepted(&signup_as(&s, &inside, None).await);
    for outside in [
        address("out"),
        format!("x-{}@sub.allowed.example", random_base62(8)),
    ] {
        let a = signup_as(&s, &outside, None).await;
        refused_as(&a, "domain_not_allowed");
    }
}

#[tokio::test]
async fn without_email_from_a_verified_sign_up_is_refused_and_an_unverified_one_works() {
    let s = stack(&[("EMAIL_FROM", "")]).await;
    let email = address("nomail");
    let a = signup_as(&s, &email, None).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.body["message"], "email_not_configured");
    assert!(holder(&s, &email).await.is_none());
    set_signup(&s, |v| v.require_email_verification = false).await;
    accepted(&signup_as(&s, &email, None).await);
    assert_eq!(holder(&s, &email).await.unwrap().status, UserStatus::Active);
}

#[tokio::test]
async fn twenty_concurrent_sign_ups_with_one_address_make_one_user() {
    let s = Arc::new(
        stack(&[
            ("SIGNUP_EMAIL_LIMIT", "100"),
            ("EMAIL_RECIPIENT_LIMIT", "100"),
            ("SIGNUP_IP_LIMIT", "100"),
            ("EMAIL_IP_LIMIT", "100"),
        ])
        .await,
    );
    set_signup(&s, |v| v.require_email_verification = false).await;
    let email = address("race");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (s, email) = (s.clone(), email.clone());
            tokio::spawn(async move {
                let name = format!("racer{i}-{}", &email[5..12]);
                let case = if i % 2 == 0 {
                    email.clone()
                } else {
                    email.to_uppercase()
                };
                signup_as(&s, &case, Some(&name)).await
            })
        })
        .collect();
    // Each answers the same 202, or (on a loaded machine: the hasher's turn or the
    // write's retries ran out) a fail-closed 503 that wrote nothing.
    let mut answered = 0;
    for t in tasks {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::ACCEPTED => answered += 1,
            StatusCode::SERVICE_UNAVAILABLE => {}
            other => panic!("{other}: {}", a.text),
        }
    }
    assert!(answered > 0);
    let user = holder(&s, &email).await.unwrap();
    // Exactly one account took the address; the others left no user name behind.
    let mut names = 0;
    for i in 0..20 {
        let name = format!("racer{i}-{}", &email[5..12]);
        let id = s
            .store
            .find_user_id(&Identifier::parse(&name).unwrap())
            .await
            .unwrap();
        if let Some(id) = id {
            assert_eq!(id, user.id);
            names += 1;
        }
    }
    assert_eq!(names, 1);
}

#[tokio::test]
async fn the_quotas_answer_429_identically_for_new_and_registered_addresses() {
    let s = stack(&[("SIGNUP_IP_LIMIT", "100")]).await;
    set_signup(&s, |v| v.require_email_verification = false).await;
    let registered = address("quota");
    accepted(&signup_as(&s, &registered, None).await);
    let fresh = address("quota");
    // Three per address and hour: the registered one has used one.
    accepted(&signup_as(&s, &fresh, None).await);
    for _ in 0..2 {
        accepted(&signup_as(&s, &registered, None).await);
    }
    accepted(&signup_as(&s, &fresh, None).await);
    accepted(&signup_as(&s, &fresh, None).await);
    let a = signup_as(&s, &registered, None).await;
    let b = signup_as(&s, &fresh, None).await;
    for x in [&a, &b] {
        assert_eq!(x.status, StatusCode::TOO_MANY_REQUESTS, "{}", x.text);
        let retry: i64 = x.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry), "{retry}");
    }
    assert_eq!(a.body, b.body);
    // Per source IP: SIGNUP_IP_LIMIT sign-ups, whatever the addresses.
    let s = stack(&[("SIGNUP_IP_LIMIT", "2")]).await;
    set_signup(&s, |v| v.require_email_verification = false).await;
    accepted(&signup_as(&s, &address("ip"), None).await);
    accepted(&signup_as(&s, &address("ip"), None).await);
    let third = address("ip");
    assert_eq!(
        signup_as(&s, &third, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(holder(&s, &third).await.is_none());
}

#[tokio::test]
async fn with_password_login_off_passwords_are_refused_and_sessions_stay_open() {
    let s = stack(&[]).await;
    let person = s
        .person(gatehouse::credentials::users::UserKind::Creator)
        .await;
    let name = person.username.clone().unwrap();
    let signed_in = s
        .user_signin(name.as_str(), gatehouse_e2e::USER_PASSWORD)
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let cookie = signed_in.cookie().unwrap();
    // Written to the table directly: the admin API refuses to switch passwords off
    // while they are the only way to sign in.
    let off = LoginSettings {
        password_login: false,
    };
    let by = Changed { by: "test", at: 0 };
    s.store.put_login_settings(&off, &by).await.unwrap();
    let a = s
        .user_signin(name.as_str(), gatehouse_e2e::USER_PASSWORD)
        .await;
    refused_as(&a, "password_login_disabled");
    let change = json!({"current_password": gatehouse_e2e::USER_PASSWORD, "new_password": "Another-Long-Passw0rd-For-Change"});
    let headers = [("origin", ORIGIN), ("cookie", cookie.as_str())];
    let a = s
        .post("/users/password/change", &headers, Some(change))
        .await;
    refused_as(&a, "password_login_disabled");
    let accept =
        json!({"token": "x".repeat(43), "new_password": "Another-Long-Passw0rd-For-Change"});
    let a = s
        .post("/users/invite/accept", &[("origin", ORIGIN)], Some(accept))
        .await;
    refused_as(&a, "password_login_disabled");
    // The session opened before stays open.
    let me = s.get("/users/me", &headers).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}
