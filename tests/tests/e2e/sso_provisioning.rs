//! Single sign-on's provisioning rules end to end (README "Single sign-on",
//! provisioning), against the fake provider: each rule × a new identity, a verified
//! e-mail matching a verified account, an unverified or pending account, no e-mail,
//! `email_verified` false or missing, a domain outside the list, a user name
//! collision and a disabled user. Identities are keyed by (provider, iss, sub); an
//! e-mail only finds an account, and only when the id_token says it is verified.

use gatehouse::credentials::users::{User, UserKind, UserStore};
use gatehouse::primitives::crypto::random_base62;
use gatehouse_e2e::sso::{Sso, fragment, setup};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::idps::post;
use crate::signup::{address, holder, set_signup, signup_as};

/// A stack whose provider `fake` follows `rule` (every change read at once), new
/// accounts end users with the role `viewer`.
async fn with_rule(rule: &str) -> Sso {
    let sso = setup(&[("SETTINGS_CACHE_TTL", "0")]).await;
    configure(
        &sso,
        json!({"provisioning": rule, "default_kind": "end_user", "default_roles": ["viewer"]}),
    )
    .await;
    sso
}

/// `POST /admin/idps/update` of `fake` with `change`.
async fn configure(sso: &Sso, mut change: Value) {
    change["id"] = json!("fake");
    let a = post(&sso.s, &sso.admin, "/admin/idps/update", change).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

/// A fresh subject.
fn sub() -> String {
    format!("sub-{}", random_base62(10))
}

/// The provider's next id_token: `sub`, `email` and `email_verified` as given (absent
/// when `None`), `preferred_username` `name`.
fn profile(sub: &str, email: Option<&str>, verified: Option<bool>, name: &str) -> Value {
    json!({"sub": sub, "email": email, "email_verified": verified,
        "preferred_username": name, "name": "Provisioned Person"})
}

/// One sign-in as `profile`: the redeemed session's user, or the callback's error code.
async fn sign_in(sso: &Sso, profile: Value) -> Result<Value, String> {
    sso.idp.control(json!({ "profile": profile })).await;
    let started = sso.start("/").await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    if let Some(e) = fragment(&to, "sso_error") {
        return Err(e);
    }
    let code = fragment(&to, "sso_code").expect(&to);
    let a = sso.redeem(&code).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    Ok(a.body["user"].clone())
}

/// `sign_in`'s refusal, which must be `code`.
async fn refused(sso: &Sso, profile: Value, code: &str) {
    let got = sign_in(sso, profile.clone()).await;
    assert_eq!(got.err().as_deref(), Some(code), "{profile}");
}

/// A verified, active account (the e-mail `<name>@example.com`).
async fn verified(sso: &Sso) -> (User, String) {
    let u = sso.s.person(UserKind::Creator).await;
    let email = u.email.as_ref().unwrap().shown().to_owned();
    (u, email)
}

/// An account that signed up with `email`: active and unverified, or (`pending`)
/// waiting for its link.
async fn signed_up(sso: &Sso, email: &str, pending: bool) -> User {
    set_signup(&sso.s, |v| v.require_email_verification = pending).await;
    let name = format!("su{}", random_base62(10).to_ascii_lowercase());
    let a = signup_as(&sso.s, email, Some(&name)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    holder(&sso.s, email).await.unwrap()
}

/// An active account disabled by the administrator.
async fn disabled(sso: &Sso) -> (User, String) {
    let (u, email) = verified(sso).await;
    let body = json!({"user_id": u.id});
    let a = post(&sso.s, &sso.admin, "/admin/users/disable", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    (u, email)
}

#[tokio::test]
async fn auto_create_creates_links_verified_replaces_squatters_and_refuses_the_rest() {
    let sso = with_rule("auto_create").await;
    // A new identity: a new end user with the provider's roles, the verified e-mail,
    // and the name from the claim map; its next sign-in is the same account.
    let (id, email) = (sub(), address("sso-new"));
    let p = profile(&id, Some(&email), Some(true), "New.Person");
    let user = sign_in(&sso, p.clone()).await.unwrap();
    assert_eq!(user["email"], json!(email));
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["kind"], "end_user");
    assert_eq!(user["roles"], json!(["viewer"]));
    assert_eq!(user["username"], "new.person");
    assert_eq!(user["display_name"], "Provisioned Person");
    let again = sign_in(&sso, p).await.unwrap();
    assert_eq!(
        again["id"], user["id"],
        "the identity, not a second account"
    );

    // A verified e-mail matching a verified account: linked, not duplicated.
    let (ann, ann_email) = verified(&sso).await;
    let linked = sign_in(&sso, profile(&sub(), Some(&ann_email), Some(true), "x"))
        .await
        .unwrap();
    assert_eq!(linked["id"], json!(ann.id));
    assert_eq!(linked["kind"], "creator", "the account keeps its own kind");

    // An unverified account with that address is someone's: refused.
    let taken = address("sso-unverified");
    let bob = signed_up(&sso, &taken, false).await;
    refused(
        &sso,
        profile(&sub(), Some(&taken), Some(true), "x"),
        "account_exists",
    )
    .await;
    assert_eq!(holder(&sso.s, &taken).await.unwrap().id, bob.id);

    // A pending sign-up holding the address (a squatter) is replaced in the same
    // transaction: gone, its name freed, the address now the provider's user's.
    let squatted = address("sso-squatted");
    let squatter = signed_up(&sso, &squatted, true).await;
    let name = squatter.username.clone().unwrap();
    let p = profile(&sub(), Some(&squatted), Some(true), name.as_str());
    let owner = sign_in(&sso, p).await.unwrap();
    assert_ne!(owner["id"], json!(squatter.id));
    assert_eq!(owner["email"], json!(squatted));
    assert!(sso.s.store.get_user(&squatter.id).await.unwrap().is_none());
    assert_eq!(holder(&sso.s, &squatted).await.unwrap().id, owner["id"]);

    // No e-mail, or one the provider does not call verified: an account without an
    // address (the domain list is empty), never linked to the verified holder.
    let none = sign_in(&sso, profile(&sub(), None, None, "no-mail"))
        .await
        .unwrap();
    assert_eq!(none.get("email"), None, "{none}");
    assert_eq!(none["email_verified"], false);
    for flag in [Some(false), None] {
        let p = profile(&sub(), Some(&ann_email), flag, "unverified-claim");
        let other = sign_in(&sso, p).await.unwrap();
        assert_ne!(other["id"], json!(ann.id), "{flag:?}: not linked");
        assert_eq!(other.get("email"), None, "{flag:?}: {other}");
    }

    // A user name collision: the claimed name with `-` and 4 characters.
    let held = ann.username.clone().unwrap();
    let p = profile(
        &sub(),
        Some(&address("sso-collide")),
        Some(true),
        held.as_str(),
    );
    let collided = sign_in(&sso, p).await.unwrap();
    let got = collided["username"].as_str().unwrap();
    let (base, tail) = got.rsplit_once('-').unwrap();
    assert_eq!(base, held.as_str());
    assert_eq!(tail.len(), 4, "{got}");

    // A disabled account with the verified address, and a linked identity whose
    // account was disabled since: account_disabled.
    let (_, off) = disabled(&sso).await;
    let p = profile(&sub(), Some(&off), Some(true), "x");
    refused(&sso, p, "account_disabled").await;
    let body = json!({"user_id": user["id"]});
    let a = post(&sso.s, &sso.admin, "/admin/users/disable", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let p = profile(&id, Some(&email), Some(true), "New.Person");
    refused(&sso, p, "account_disabled").await;

    // A domain list: only a verified e-mail of its domains, new or linked.
    configure(&sso, json!({"allowed_email_domains": ["corp.example"]})).await;
    let outside = profile(&sub(), Some(&address("sso-outside")), Some(true), "x");
    refused(&sso, outside, "email_domain_not_allowed").await;
    let no_mail = profile(&sub(), None, None, "x");
    refused(&sso, no_mail, "email_domain_not_allowed").await;
    let linked_outside = profile(&id, Some(&email), Some(true), "x");
    refused(&sso, linked_outside, "email_domain_not_allowed").await;
    let unverified_inside = profile(&sub(), Some("eve@corp.example"), Some(false), "x");
    refused(&sso, unverified_inside, "email_domain_not_allowed").await;
    let inside = format!("in-{}@corp.example", random_base62(8).to_ascii_lowercase());
    let admitted = sign_in(&sso, profile(&sub(), Some(&inside), Some(true), "x"))
        .await
        .unwrap();
    assert_eq!(admitted["email"], json!(inside));
    assert_eq!(admitted["username"], "x00", "padded to 3");
}

#[tokio::test]
async fn link_verified_email_links_only_verified_accounts_and_never_creates() {
    let sso = with_rule("link_verified_email").await;
    // A new identity with nobody to link to: refused, nothing created.
    let fresh = address("sso-nobody");
    let p = profile(&sub(), Some(&fresh), Some(true), "nobody");
    refused(&sso, p, "link_requires_verified_account").await;
    assert!(holder(&sso.s, &fresh).await.is_none(), "never creates");

    // Both verified: linked, keeping the account's own name whatever the claim says
    // (a claimed name that collides changes nothing).
    let (ann, ann_email) = verified(&sso).await;
    let (other, _) = verified(&sso).await;
    let taken = other.username.unwrap();
    let id = sub();
    let linked = sign_in(
        &sso,
        profile(&id, Some(&ann_email), Some(true), taken.as_str()),
    )
    .await
    .unwrap();
    assert_eq!(linked["id"], json!(ann.id));
    assert_eq!(linked["username"], json!(ann.username.unwrap().as_str()));
    let again = sign_in(&sso, profile(&id, None, None, "x")).await.unwrap();
    assert_eq!(
        again["id"],
        json!(ann.id),
        "the identity signs in by its sub"
    );
    // One identity per provider per user: another subject with the same address.
    let second = profile(&sub(), Some(&ann_email), Some(true), "x");
    refused(&sso, second, "account_exists").await;

    // An unverified or pending account, no e-mail, an e-mail not called verified.
    let unverified = address("sso-link-unverified");
    signed_up(&sso, &unverified, false).await;
    let pending = address("sso-link-pending");
    signed_up(&sso, &pending, true).await;
    let (bob, bob_email) = verified(&sso).await;
    for p in [
        profile(&sub(), Some(&unverified), Some(true), "x"),
        profile(&sub(), Some(&pending), Some(true), "x"),
        profile(&sub(), None, None, "x"),
        profile(&sub(), Some(&bob_email), Some(false), "x"),
        profile(&sub(), Some(&bob_email), None, "x"),
    ] {
        refused(&sso, p, "link_requires_verified_account").await;
    }
    let bob_now = sso.s.store.get_user(&bob.id).await.unwrap().unwrap();
    assert!(
        bob_now.identities.is_empty(),
        "never linked by an unverified claim"
    );

    // A disabled account; a domain outside the list.
    let (_, off) = disabled(&sso).await;
    refused(
        &sso,
        profile(&sub(), Some(&off), Some(true), "x"),
        "account_disabled",
    )
    .await;
    configure(&sso, json!({"allowed_email_domains": ["corp.example"]})).await;
    let outside = profile(&sub(), Some(&bob_email), Some(true), "x");
    refused(&sso, outside, "email_domain_not_allowed").await;
}

#[tokio::test]
async fn existing_only_signs_in_linked_identities_alone() {
    let sso = with_rule("existing_only").await;
    let (_, email) = verified(&sso).await;
    let unverified = address("sso-only-unverified");
    signed_up(&sso, &unverified, false).await;
    for p in [
        profile(&sub(), Some(&address("sso-only-new")), Some(true), "x"),
        profile(&sub(), Some(&email), Some(true), "x"),
        profile(&sub(), Some(&unverified), Some(true), "x"),
        profile(&sub(), None, None, "x"),
        profile(&sub(), Some(&email), Some(false), "x"),
    ] {
        refused(&sso, p, "no_linked_account").await;
    }
    // The administrator's link (the setup's `sub-ann`) signs in.
    let ann = profile("sub-ann", Some("ann@corp.example"), Some(true), "ann");
    let user = sign_in(&sso, ann.clone()).await.unwrap();
    assert_eq!(user["id"], json!(sso.user_id));
    // A domain outside the list refuses even a linked identity.
    configure(&sso, json!({"allowed_email_domains": ["other.example"]})).await;
    refused(&sso, ann.clone(), "email_domain_not_allowed").await;
    configure(&sso, json!({"allowed_email_domains": ["corp.example"]})).await;
    assert!(sign_in(&sso, ann.clone()).await.is_ok());
    // Its account disabled: account_disabled.
    let body = json!({"user_id": sso.user_id});
    let a = post(&sso.s, &sso.admin, "/admin/users/disable", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    refused(&sso, ann, "account_disabled").await;
}
