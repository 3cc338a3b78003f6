//! Applications and sharing through the local gateway (README "Applications and
//! sharing"): creators create, rename and share their apps; another creator's app
//! answers as if absent; grants by id or verified e-mail, refused for an unverified
//! address, an unknown id and the owner; an unknown address is invited by e-mail when
//! mail is on and the sign-up settings admit it, else 404; `GET /users/me/apps` is
//! exactly public + granted + owned.

use gatehouse::credentials::users::{User, UserKind};
use gatehouse_e2e::{ORIGIN, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A call from the allowed origin with a user cookie.
async fn call(
    s: &Stack,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> gatehouse_e2e::Answer {
    let headers = [("origin", ORIGIN), ("cookie", cookie)];
    s.send_json(method, path, &headers, body).await
}

/// The ids `GET /users/me/apps` lists, with why, sorted.
async fn my_apps(s: &Stack, cookie: &str) -> Vec<(String, String)> {
    let a = call(s, cookie, Method::GET, "/users/me/apps", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let mut out: Vec<(String, String)> = a.body["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["app_id"].as_str().unwrap().into(),
                a["access"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The expected (id, access) pairs, sorted as [`my_apps`] sorts what it lists (a
/// generated id may sort before or after a chosen one).
fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creators_share_their_apps_and_users_list_exactly_public_granted_and_owned() {
    let s = Stack::builder().start().await;
    let (owner, a) = s.signed_in(UserKind::Creator).await;
    let (_, other) = s.signed_in(UserKind::Creator).await;
    let (viewer, v) = s.signed_in(UserKind::EndUser).await;
    let (_, nobody) = s.signed_in(UserKind::EndUser).await;

    // Create: a given id or a generated one; a taken id is 409; end users may not.
    let made = call(
        &s,
        &a,
        Method::POST,
        "/apps",
        Some(json!({"app_id": "sales-1", "name": "Sales"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert_eq!(made.body["visibility"], "shared");
    assert_eq!(made.body["owner"], owner.id.as_str());
    let public = call(
        &s,
        &a,
        Method::POST,
        "/apps",
        Some(json!({"name": "Open", "visibility": "public"})),
    )
    .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text);
    let public_id = public.body["app_id"].as_str().unwrap().to_owned();
    assert_eq!(public_id.len(), 16);
    let taken = call(
        &s,
        &other,
        Method::POST,
        "/apps",
        Some(json!({"app_id": "sales-1", "name": "Mine"})),
    )
    .await;
    assert_eq!(
        (taken.status, taken.body["message"].as_str()),
        (StatusCode::CONFLICT, Some("app_exists"))
    );
    let refused = call(&s, &v, Method::POST, "/apps", Some(json!({"name": "Nope"}))).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "the authorizer: {}",
        refused.text
    );

    // Another creator's app is not found, whatever the route.
    let rename = json!({"app_id": "sales-1", "name": "Renamed"});
    let theirs = call(
        &s,
        &other,
        Method::POST,
        "/apps/update",
        Some(rename.clone()),
    )
    .await;
    assert_eq!(
        (theirs.status, theirs.body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("app_not_found"))
    );
    let grants = call(&s, &other, Method::GET, "/apps/grants?app_id=sales-1", None).await;
    assert_eq!(grants.status, StatusCode::NOT_FOUND);
    let mine = call(&s, &a, Method::POST, "/apps/update", Some(rename)).await;
    assert_eq!(
        (mine.status, &mine.body["name"]),
        (StatusCode::OK, &json!("Renamed"))
    );

    // Grants: by id with permissions, by verified e-mail; refusals.
    let by_id = json!({"app_id": "sales-1", "user_id": viewer.id,
        "permissions": [{"dataset_id": "d1", "record_permissions": [
            {"security_name": "region", "values": ["EU"]}]}]});
    let g = call(&s, &a, Method::POST, "/apps/grants/add", Some(by_id)).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body["permissions"][0]["dataset_id"], "d1");
    assert_eq!(g.body["granted_by"], owner.id.as_str());
    let verified = s.person(UserKind::EndUser).await;
    let email = verified.email.as_ref().unwrap().shown().to_owned();
    let by_email = json!({"app_id": "sales-1", "email": email.to_uppercase()});
    let g = call(&s, &a, Method::POST, "/apps/grants/add", Some(by_email)).await;
    assert_eq!(
        (g.status, &g.body["user_id"]),
        (StatusCode::OK, &json!(verified.id)),
        "{}",
        g.text
    );
    for (body, status, message) in [
        (
            json!({"app_id": "sales-1", "user_id": "AAAAAAAAAAAAAAAA"}),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            json!({"app_id": "sales-1", "user_id": owner.id}),
            StatusCode::CONFLICT,
            "owner_has_access",
        ),
        (
            json!({"app_id": "no-such-app", "user_id": viewer.id}),
            StatusCode::NOT_FOUND,
            "app_not_found",
        ),
    ] {
        let r = call(&s, &a, Method::POST, "/apps/grants/add", Some(body.clone())).await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (status, Some(message)),
            "{body}"
        );
    }
    let listed = call(&s, &a, Method::GET, "/apps/grants?app_id=sales-1", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["grants"].as_array().unwrap().len(), 2);

    // Exactly public + granted + owned.
    let open = public_id.as_str();
    assert_eq!(
        my_apps(&s, &a).await,
        pairs(&[(open, "owner"), ("sales-1", "owner")])
    );
    assert_eq!(
        my_apps(&s, &v).await,
        pairs(&[(open, "public"), ("sales-1", "grant")])
    );
    assert_eq!(my_apps(&s, &nobody).await, pairs(&[(open, "public")]));
    assert_eq!(my_apps(&s, &other).await, pairs(&[(open, "public")]));

    // A removed grant is gone from the list; removing it again is 404.
    let remove = json!({"app_id": "sales-1", "user_id": viewer.id});
    let r = call(
        &s,
        &a,
        Method::POST,
        "/apps/grants/remove",
        Some(remove.clone()),
    )
    .await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"removed": true})),
        "{}",
        r.text
    );
    let r = call(&s, &a, Method::POST, "/apps/grants/remove", Some(remove)).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("grant_not_found"))
    );
    assert_eq!(my_apps(&s, &v).await, pairs(&[(open, "public")]));

    // A public app made shared leaves the others' lists.
    let hide = json!({"app_id": open, "visibility": "shared"});
    let r = call(&s, &a, Method::POST, "/apps/update", Some(hide)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(my_apps(&s, &nobody).await, pairs(&[]));
}

/// A grant by e-mail reaches only a verified address: an account that never verified
/// its address is 409 `email_not_verified`, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_email_needs_a_verified_account() {
    use crate::signup::{set_signup, signup_as};
    let s = Stack::builder()
        .env(&[("SETTINGS_CACHE_TTL", "0")])
        .start()
        .await;
    let (_, a) = s.signed_in(UserKind::Creator).await;
    let made = call(
        &s,
        &a,
        Method::POST,
        "/apps",
        Some(json!({"app_id": "fin", "name": "Finance"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    set_signup(&s, |v| v.require_email_verification = false).await;
    let email = format!(
        "unverified-{}@example.com",
        gatehouse::primitives::crypto::random_base62(8).to_lowercase()
    );
    let up = signup_as(&s, &email, None).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.text);
    let g = call(
        &s,
        &a,
        Method::POST,
        "/apps/grants/add",
        Some(json!({"app_id": "fin", "email": email})),
    )
    .await;
    assert_eq!(
        (g.status, g.body["message"].as_str()),
        (StatusCode::CONFLICT, Some("email_not_verified")),
        "{}",
        g.text
    );
    assert!(
        s.items_of(gatehouse::records::prefix::GRANT)
            .await
            .is_empty()
    );
}

/// Deleting a user takes its grants with it, in the same transaction; a user who owns
/// apps is 409 `owns_apps` and stays (README "Applications and sharing").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_removes_its_grants_and_an_owner_is_refused() {
    use gatehouse::records::prefix;
    let s = Stack::builder().admin_signin().start().await;
    let admin = s.admin(&gatehouse_e2e::iam_user(true).await).await;
    let (owner, a) = s.signed_in(UserKind::Creator).await;
    let viewer = s.person(UserKind::EndUser).await;
    for id in ["one", "two"] {
        let made = call(
            &s,
            &a,
            Method::POST,
            "/apps",
            Some(json!({"app_id": id, "name": id})),
        )
        .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.text);
        let g = json!({"app_id": id, "user_id": viewer.id});
        let g = call(&s, &a, Method::POST, "/apps/grants/add", Some(g)).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    }
    assert_eq!(s.items_of(prefix::GRANT).await.len(), 2);
    assert_eq!(s.items_of(prefix::USER_GRANT).await.len(), 2);

    let delete = |id: &str| json!({"user_id": id});
    let refused = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/delete",
            Some(delete(&owner.id)),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["message"].as_str()),
        (StatusCode::CONFLICT, Some("owns_apps"))
    );
    use gatehouse::credentials::users::UserStore;
    let kept = s.store.get_user(&owner.id).await.unwrap();
    assert!(kept.is_some(), "the owner stays");
    let gone = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/delete",
            Some(delete(&viewer.id)),
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    assert!(
        s.items_of(prefix::GRANT).await.is_empty(),
        "its grants went with it"
    );
    assert!(s.items_of(prefix::USER_GRANT).await.is_empty());
}

/// One transaction holds at most 35 grants besides the user's own items.
#[test]
fn a_users_deletion_fits_one_transaction() {
    use gatehouse::credentials::apps::{MAX_GRANTS_ON_DELETE, grants_fit_deletion};
    let mut u = User {
        id: "AAAAAAAAAAAAAAAA".into(),
        username: None,
        email: None,
        email_verified: false,
        display_name: None,
        kind: UserKind::EndUser,
        roles: vec![],
        status: gatehouse::credentials::users::UserStatus::Active,
        password: None,
        password_changed_at: None,
        invite: None,
        sessions: vec!["s".into(); 20],
        identities: vec![],
        rev: 0,
        created_at: 0,
        created_by: "t".into(),
        expires_at: None,
    };
    assert!(grants_fit_deletion(&u, MAX_GRANTS_ON_DELETE));
    assert!(!grants_fit_deletion(&u, MAX_GRANTS_ON_DELETE + 1));
    u.identities = vec!["p#h".into(); 20];
    assert!(
        !grants_fit_deletion(&u, MAX_GRANTS_ON_DELETE),
        "79 + 70 > 100"
    );
    assert!(grants_fit_deletion(&u, 18));
}

/// Administrators list every app and give one to another creator: the old owner loses
/// it (404), the new one manages it, an end user cannot own one, and the old owner can
/// then be deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_list_apps_and_transfer_them_to_a_creator() {
    let s = Stack::builder().admin_signin().start().await;
    let admin = s.admin(&gatehouse_e2e::iam_user(true).await).await;
    let (owner, a) = s.signed_in(UserKind::Creator).await;
    let (heir, b) = s.signed_in(UserKind::Creator).await;
    let viewer = s.person(UserKind::EndUser).await;
    let made = call(
        &s,
        &a,
        Method::POST,
        "/apps",
        Some(json!({"app_id": "ops", "name": "Ops"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);

    let listed = s.call(&admin, Method::GET, "/admin/apps", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["apps"][0]["app_id"], "ops");
    assert_eq!(listed.body["apps"][0]["owner"], owner.id.as_str());

    let transfer = |to: &str, app: &str| json!({"app_id": app, "new_owner": to});
    for (body, status, message) in [
        (
            transfer(&viewer.id, "ops"),
            StatusCode::CONFLICT,
            "not_a_creator",
        ),
        (
            transfer("AAAAAAAAAAAAAAAA", "ops"),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            transfer(&heir.id, "nope"),
            StatusCode::NOT_FOUND,
            "app_not_found",
        ),
    ] {
        let r = s
            .call(
                &admin,
                Method::POST,
                "/admin/apps/transfer",
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (status, Some(message)),
            "{body}"
        );
    }
    let moved = s
        .call(
            &admin,
            Method::POST,
            "/admin/apps/transfer",
            Some(transfer(&heir.id, "ops")),
        )
        .await;
    assert_eq!(
        (moved.status, &moved.body["owner"]),
        (StatusCode::OK, &json!(heir.id)),
        "{}",
        moved.text
    );

    let rename = json!({"app_id": "ops", "name": "Operations"});
    let old = call(&s, &a, Method::POST, "/apps/update", Some(rename.clone())).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND, "the old owner lost it");
    let new = call(&s, &b, Method::POST, "/apps/update", Some(rename)).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text);
    assert_eq!(my_apps(&s, &b).await, pairs(&[("ops", "owner")]));
    let deleted = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/delete",
            Some(json!({"user_id": owner.id})),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
}

// ---- Grants by e-mail to an address without an account (README "Applications and
// sharing") ----

/// A signed-in creator's cookie and a new app `app` of theirs.
async fn creator_with_app(s: &Stack, app: &str) -> (User, String) {
    let (owner, a) = s.signed_in(UserKind::Creator).await;
    let made = call(
        s,
        &a,
        Method::POST,
        "/apps",
        Some(json!({"app_id": app, "name": app})),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    (owner, a)
}

async fn grant_by_email(s: &Stack, cookie: &str, app: &str, email: &str) -> gatehouse_e2e::Answer {
    let body = json!({"app_id": app, "email": email,
        "permissions": [{"dataset_id": "d1", "record_permissions": []}]});
    call(s, cookie, Method::POST, "/apps/grants/add", Some(body)).await
}

/// The id of the user holding `email`, if any.
async fn holder(s: &Stack, email: &str) -> Option<String> {
    use gatehouse::credentials::users::{Email, Identifier, UserStore};
    let e = Identifier::Email(Email::parse(email).unwrap());
    s.store.find_user_id(&e).await.unwrap()
}

/// 404 `user_not_found`, and nothing written for `email`: no user, no invite, no
/// grant, no mail.
async fn not_invited(s: &Stack, a: &gatehouse_e2e::Answer, email: &str, why: &str) {
    use gatehouse::records::prefix;
    assert_eq!(
        (a.status, a.body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_not_found")),
        "{why}: {}",
        a.text
    );
    assert!(holder(s, email).await.is_none(), "{why}: no user");
    for p in [prefix::INVITE, prefix::GRANT, prefix::USER_GRANT] {
        assert!(s.items_of(p).await.is_empty(), "{why}: no {p} item");
    }
    assert!(
        gatehouse_e2e::mail::sent_to(email).await.is_empty(),
        "{why}: no mail"
    );
}

const INVITED_PASSWORD: &str = "Invited-By-A-Grant-Chose-This-Passw0rd";

/// Current-thread runtime: the gateway's tasks run on this thread, so the subscriber
/// set here sees every line the users function logs.
#[tokio::test]
async fn a_grant_by_email_to_an_unknown_address_invites_an_end_user_who_then_holds_it() {
    let logs = gatehouse_e2e::logs::Captured::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let s = Stack::builder()
        .env(&[("SETTINGS_CACHE_TTL", "0")])
        .start()
        .await;
    let (owner, a) = creator_with_app(&s, "invited-app").await;
    let email = gatehouse_e2e::mail::address("Grantee");
    let g = grant_by_email(&s, &a, "invited-app", &email).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body["invited"], true, "{}", g.text);
    assert_eq!(g.body["app_id"], "invited-app");
    assert_eq!(g.body["granted_by"], owner.id.as_str());
    assert_eq!(g.body["permissions"][0]["dataset_id"], "d1");
    let user_id = g.body["user_id"].as_str().unwrap().to_owned();
    assert_eq!(holder(&s, &email).await.as_deref(), Some(user_id.as_str()));

    // The mail: from EMAIL_FROM, a link on USER_UI_URL; the token is nowhere else.
    let mail = gatehouse_e2e::mail::newest_to(&email).await;
    assert_eq!(mail.from, gatehouse_e2e::EMAIL_FROM);
    assert_eq!(mail.subject, "An application was shared with you");
    let link = gatehouse_e2e::mail::link(&mail.text, "invite").unwrap();
    assert!(link.starts_with(&format!("{ORIGIN}#invite=")), "{link}");
    let token = gatehouse_e2e::mail::link_token(&mail.text, "invite").unwrap();
    assert!(
        !g.text.contains(&token) && !g.text.contains("#invite="),
        "{}",
        g.text
    );
    let logged = logs.text();
    assert!(!logged.contains(&token), "the token is never logged");
    assert!(!logged.contains(&email), "the address is never logged");
    let invite_line = logged
        .lines()
        .find(|l| l.contains("grant_invite") && l.contains(&user_id) && l.contains("\"sent\""));
    assert!(
        invite_line.is_some(),
        "the invite is logged with the new user's id"
    );

    // An invited end user, not verified, until the mailed invite is accepted.
    use gatehouse::credentials::users::{UserStatus, UserStore};
    let user = s.store.get_user(&user_id).await.unwrap().unwrap();
    assert_eq!(
        (user.kind, user.status, user.email_verified),
        (UserKind::EndUser, UserStatus::Invited, false)
    );
    // Until then it is an unverified account: a second grant by e-mail is 409.
    let made = json!({"app_id": "second-app", "name": "Second"});
    let made = call(&s, &a, Method::POST, "/apps", Some(made)).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let again = grant_by_email(&s, &a, "second-app", &email).await;
    assert_eq!(
        (again.status, again.body["message"].as_str()),
        (StatusCode::CONFLICT, Some("email_not_verified")),
        "{}",
        again.text
    );
    assert_eq!(gatehouse_e2e::mail::sent_to(&email).await.len(), 1);

    let body = json!({"token": token, "new_password": INVITED_PASSWORD});
    let accepted = s
        .post("/users/invite/accept", &[("origin", ORIGIN)], Some(body))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let user = s.store.get_user(&user_id).await.unwrap().unwrap();
    assert!(user.email_verified, "the link reached the mailbox");
    let signin = s.user_signin(&email, INVITED_PASSWORD).await;
    assert_eq!(signin.status, StatusCode::OK, "{}", signin.text);
    let cookie = signin.cookie().unwrap();
    assert_eq!(
        my_apps(&s, &cookie).await,
        pairs(&[("invited-app", "grant")])
    );
    // Now verified: a grant by e-mail finds the account and invites nobody.
    let again = grant_by_email(&s, &a, "second-app", &email).await;
    assert_eq!(
        (again.status, &again.body["invited"], &again.body["user_id"]),
        (StatusCode::OK, &json!(false), &json!(user_id)),
        "{}",
        again.text
    );
    assert_eq!(
        gatehouse_e2e::mail::sent_to(&email).await.len(),
        1,
        "no second mail"
    );
}

/// The sign-up settings decide which addresses a grant may invite, by the sign-up's own
/// rule: `domain` admits only its domains, `closed` none; password sign-in switched off
/// invites nobody (nobody could accept). Each refusal is the old 404 and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_email_invites_only_an_address_the_signup_settings_admit() {
    use crate::signup::set_signup;
    use gatehouse::credentials::users::settings::{
        Changed, LoginSettings, SettingsStore, SignupMode,
    };
    let s = Stack::builder()
        .env(&[("SETTINGS_CACHE_TTL", "0")])
        .start()
        .await;
    let (_, a) = creator_with_app(&s, "gated").await;
    let email = gatehouse_e2e::mail::address("gated");
    set_signup(&s, |v| {
        v.mode = SignupMode::Domain;
        v.allowed_domains = vec!["elsewhere.org".into()];
    })
    .await;
    let g = grant_by_email(&s, &a, "gated", &email).await;
    not_invited(&s, &g, &email, "another domain").await;
    set_signup(&s, |v| {
        v.mode = SignupMode::Closed;
        v.allowed_domains = vec!["example.com".into()];
    })
    .await;
    let g = grant_by_email(&s, &a, "gated", &email).await;
    not_invited(&s, &g, &email, "closed").await;
    set_signup(&s, |v| {
        v.mode = SignupMode::Domain;
        v.allowed_domains = vec!["example.com".into()];
    })
    .await;
    let off = LoginSettings {
        password_login: false,
    };
    let by = Changed { by: "test", at: 0 };
    s.store.put_login_settings(&off, &by).await.unwrap();
    let g = grant_by_email(&s, &a, "gated", &email).await;
    not_invited(&s, &g, &email, "password sign-in off").await;
    s.store
        .put_login_settings(&LoginSettings::DEFAULT, &by)
        .await
        .unwrap();
    // Its own domain admitted: invited.
    let g = grant_by_email(&s, &a, "gated", &email).await;
    assert_eq!(
        (g.status, &g.body["invited"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        g.text
    );
    assert_eq!(gatehouse_e2e::mail::wait_for(&email, 1).await.len(), 1);
}

/// Without a sender (`EMAIL_FROM`) or a page for the link (`USER_UI_URL`) no invite can
/// be mailed: an unknown address is 404 `user_not_found`, as before invites.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_email_without_email_from_or_user_ui_url_is_404_and_writes_nothing() {
    for var in ["EMAIL_FROM", "USER_UI_URL"] {
        let s = Stack::builder().env(&[(var, "")]).start().await;
        let (_, a) = creator_with_app(&s, "no-mail").await;
        let email = gatehouse_e2e::mail::address("nomail");
        let g = grant_by_email(&s, &a, "no-mail", &email).await;
        not_invited(&s, &g, &email, var).await;
    }
}

/// A mail that cannot be sent is a 503 and undoes the transaction: no user, no invite,
/// no grant is left that nobody was told of, and the same grant then succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_invite_mail_is_503_and_leaves_no_user_and_no_grant() {
    use gatehouse::records::prefix;
    use gatehouse_e2e::faults::{Fault, Wiring, ses_error, ses_proxy};
    let proxy = ses_proxy();
    let s = Stack::builder()
        .via(Wiring::ses_through(&proxy).await)
        .start()
        .await;
    let (_, a) = creator_with_app(&s, "unsent").await;
    let email = gatehouse_e2e::mail::address("unsent");
    proxy.set(ses_error(429, "TooManyRequestsException"), None);
    let g = grant_by_email(&s, &a, "unsent", &email).await;
    assert_eq!(g.status, StatusCode::SERVICE_UNAVAILABLE, "{}", g.text);
    assert!(!g.text.contains("#invite="), "{}", g.text);
    assert!(holder(&s, &email).await.is_none(), "the user was undone");
    for p in [prefix::INVITE, prefix::GRANT, prefix::USER_GRANT] {
        assert!(s.items_of(p).await.is_empty(), "no {p} item is left");
    }
    proxy.set(Fault::None, None);
    let g = grant_by_email(&s, &a, "unsent", &email).await;
    assert_eq!(
        (g.status, &g.body["invited"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        g.text
    );
    assert_eq!(gatehouse_e2e::mail::wait_for(&email, 1).await.len(), 1);
}
