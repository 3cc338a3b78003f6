//! Single sign-on against a real, certified OpenID provider in a real browser (README
//! "Single sign-on", "Trying it locally"): npm `oidc-provider` (local/idp/provider.mjs)
//! runs for this stack alone, its client registered with this stack's exact callback
//! URL, and headless Chromium goes from the demo page to the provider's login form and
//! back. The relying party's checks themselves are the `sso` suite's, against the fake
//! provider; this suite proves the two interoperate.

use gatehouse::credentials::users::UserKind;
use gatehouse::records::prefix;
use gatehouse_e2e::Stack;
use gatehouse_local::idp::{DEV_IDP_ID, DevAccount, DevIdp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::browser::{drive, pages_on};

/// The user items holding `email`.
async fn holders(s: &Stack, email: &str) -> usize {
    let items = s.items_of(prefix::USER).await;
    let held = |i: &&gatehouse_e2e::Item| {
        i.get("email").and_then(|v| v.as_s().ok()) == Some(&email.to_owned())
    };
    items.iter().filter(held).count()
}

/// One sign-in's steps as the driver saw them, checked: the provider's own login form
/// (a wrong password refused there), back on the page with the fragment dropped, the
/// code redeemed, and `/users/me` answering. Returns `/users/me`'s user.
fn signed_in(r: &Value, issuer: &str, page: &str) -> Value {
    let login = r["login_url"].as_str().unwrap();
    assert!(login.starts_with(&format!("{issuer}/interaction/")), "{r}");
    assert_eq!(r["wrong_password"], "Wrong username or password.", "{r}");
    assert_eq!(
        r["url_after"],
        format!("{page}/"),
        "the fragment is dropped: {r}"
    );
    assert_eq!(r["hash_after"], "", "{r}");
    assert_eq!(r["sso"]["status"], 200, "{r}");
    assert_eq!(r["me"]["status"], 200, "{r}");
    // Chromium reports the refused password's 401 and a missing favicon; nothing else.
    let said = r["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str);
    let blocked = |m: &str| m.contains("Content Security Policy") || m.contains("CORS");
    assert!(!said.clone().any(blocked), "{r}");
    r["me"]["body"]["user"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_page_signs_in_at_oidc_provider_creates_a_creator_then_links_a_verified_account() {
    let p = pages_on(Stack::builder().admin_signin()).await;
    let known = p.s.person(UserKind::EndUser).await;
    let known_email = known.email.as_ref().unwrap().shown().to_owned();
    let newcomer = DevAccount::new("newcomer", "newcomer@idp.example");
    let existing = DevAccount::new("known", &known_email);
    let callback = format!("{}/sso/callback", p.s.url);
    let accounts = [newcomer.clone(), existing.clone()];
    let idp = DevIdp::start("127.0.0.1:0", &callback, &accounts).unwrap();
    let admin = p.s.admin(&gatehouse_e2e::iam_user(true).await).await;
    let added = p.s.call(
        &admin,
        Method::POST,
        "/admin/idps",
        Some(idp.admin_body(DEV_IDP_ID)),
    );
    let added = added.await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);

    let args = [
        p.allowed.as_str(),
        &newcomer.username,
        &newcomer.password,
        &existing.username,
        &existing.password,
    ];
    let r = drive("sso.mjs", &args).await;
    let [first, second] = [&r["signins"][0], &r["signins"][1]];

    // A new identity: auto_create makes a creator named by the provider.
    let me = signed_in(first, &idp.issuer, &p.allowed);
    assert_eq!(me["kind"], "creator", "{me}");
    assert_eq!(me["username"], "newcomer", "{me}");
    assert_eq!(me["email"], "newcomer@idp.example", "{me}");
    assert_eq!(first["me"]["principal_type"], "creator");
    assert_ne!(me["id"], known.id.as_str());
    assert_eq!(holders(&p.s, "newcomer@idp.example").await, 1);

    // The verified e-mail of an existing verified account: linked, not duplicated (the
    // account keeps its own kind).
    let me = signed_in(second, &idp.issuer, &p.allowed);
    assert_eq!(me["id"], known.id.as_str(), "{me}");
    assert_eq!(me["kind"], "end_user", "{me}");
    assert_eq!(second["me"]["principal_type"], "end_user");
    assert_eq!(holders(&p.s, &known_email).await, 1, "no second account");
    let linked = p.s.items_of(prefix::USER_IDENTITY).await;
    let of_known = linked
        .iter()
        .filter(|i| gatehouse_e2e::pk(i).contains(known.id.as_str()));
    assert_eq!(of_known.count(), 1, "one identity, at {DEV_IDP_ID}");
}

/// `make run`'s provider (`idp::start_for_stack`): added as `test-idp` with the stack's
/// exact callback URL (the provider refuses any other), its `dev` account written to
/// the credentials file's `idp` entry and its password kept by the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_runs_provider_is_added_with_the_exact_callback_and_keeps_its_account() {
    use gatehouse_local::idp::start_for_stack;
    let s = Stack::builder()
        .env(&[("ISSUER", "{gateway}")])
        .start()
        .await;
    let secret = ("IDP_SECRETS_SECRET_ARN", s.idp_secrets.as_str());
    let config = gatehouse_e2e::config(s.store.table(), &[("ISSUER", &s.url), secret]);
    let operator = gatehouse_e2e::operator_secrets().await;
    let start = |previous: Value| {
        let (config, store, operator, url) = (&config, &s.store, &operator, &s.url);
        async move {
            start_for_stack(config, store, operator, url, "127.0.0.1:0", &previous)
                .await
                .unwrap()
        }
    };
    let (idp, entry) = start(Value::Null).await;
    assert_eq!(entry["provider_id"], DEV_IDP_ID);
    assert_eq!(entry["issuer"], idp.issuer.as_str());
    assert_eq!(
        (&entry["username"], &entry["email"]),
        (&"dev".into(), &"dev@idp.example".into())
    );
    let password = entry["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 20);

    let listed = s.get("/sso/providers", &[]).await;
    assert_eq!(
        listed.body["providers"][0]["id"], DEV_IDP_ID,
        "{}",
        listed.text
    );
    let started = s
        .get(&format!("/sso/start?idp={DEV_IDP_ID}&return_to=/"), &[])
        .await;
    let auth = gatehouse_e2e::sso::location(&started);
    let redirect = gatehouse_e2e::sso::param(&auth, "redirect_uri").unwrap();
    assert_eq!(redirect, format!("{}/sso/callback", s.url));
    let http = &s.http;
    let visit = |url: String| async move { http.get(url).send().await.unwrap() };
    let at_provider = visit(auth.clone()).await;
    assert_eq!(
        at_provider.status(),
        303,
        "the provider accepts the callback"
    );
    let login = at_provider.headers()["location"].to_str().unwrap();
    assert!(login.starts_with("/interaction/"), "{login}");
    let other = auth.replace("%2Fsso%2Fcallback", "%2Fsso%2Fother");
    let refused = visit(other).await.text().await.unwrap();
    assert!(refused.contains("redirect_uri did not match"), "{refused}");
    drop(idp);

    let (_idp, again) = start(serde_json::json!({ "idp": entry })).await;
    assert_eq!(
        again["password"],
        password.as_str(),
        "the next run keeps it"
    );
}
