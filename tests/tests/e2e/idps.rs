//! Identity providers through the admin API and the CLI (README "Single sign-on"): the
//! client secret only in Secrets Manager and never in an answer, a line or the table;
//! strict bodies that write nothing; the outbound URL rule; the limit; the sign-in
//! methods guard.

use gatehouse_e2e::admin::Admin;
use gatehouse_e2e::{self as common, Answer, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECRET: &str = "idp-client-secret-Never-Shown-7f3e";
const OTHER_SECRET: &str = "idp-client-secret-Rotated-Value-9a1c";

async fn stack(env: &[(&str, &str)]) -> Stack {
    Stack::builder().admin_signin().env(env).start().await
}

async fn admin(s: &Stack) -> Admin {
    s.admin(&common::iam_user(true).await).await
}

pub(crate) fn idp_body(id: &str) -> Value {
    json!({"id": id, "display_name": format!("{id} login"),
        "issuer": format!("https://{id}.idp.example.com"), "client_id": "gatehouse",
        "client_secret": SECRET})
}

pub(crate) async fn post(s: &Stack, admin: &Admin, path: &str, body: Value) -> Answer {
    s.call(admin, Method::POST, path, Some(body)).await
}

fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    &a.body
}

fn refused(a: &Answer, status: StatusCode, message: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    let m = a.body["message"].as_str().unwrap_or_default();
    assert!(m.contains(message), "{message}: {}", a.text);
}

/// The `IDP_SECRETS` secret's value, read as the operator.
async fn secret_map(s: &Stack) -> Value {
    let v = common::operator_secrets()
        .await
        .get_secret_value()
        .secret_id(&s.idp_secrets)
        .send()
        .await
        .unwrap();
    serde_json::from_str(v.secret_string().unwrap()).unwrap()
}

async fn table_text(s: &Stack) -> String {
    format!("{:?}", s.items_of("settings#").await)
}

#[tokio::test]
async fn a_provider_is_added_listed_and_updated_with_its_secret_only_in_secrets_manager() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let a = post(&s, &admin, "/admin/idps", idp_body("okta")).await;
    let added = ok(&a).clone();
    assert!(!a.text.contains(SECRET), "never in an answer");
    assert_eq!(added["client_secret_last4"], "7f3e");
    assert_eq!(added["scopes"], json!(["openid", "email", "profile"]));
    assert_eq!(added["allowed_algs"], json!(["RS256", "ES256"]));
    assert_eq!(
        added["claim_map"],
        json!({"username": "preferred_username", "display_name": "name"})
    );
    assert_eq!(added["provisioning"], "existing_only");
    assert_eq!(added["default_kind"], "end_user");
    assert_eq!(added["enabled"], true);
    assert_eq!(secret_map(&s).await, json!({"okta": SECRET}));
    assert!(!table_text(&s).await.contains(SECRET), "never in the table");
    let list = s.call(&admin, Method::GET, "/admin/idps", None).await;
    assert_eq!(ok(&list)["idps"], json!([added]));
    assert!(!list.text.contains(SECRET));
    // The same id again: refused, nothing changed.
    let again = post(&s, &admin, "/admin/idps", idp_body("okta")).await;
    refused(&again, StatusCode::CONFLICT, "idp_exists");
    // An update changes what it names; a new secret replaces the old one.
    let body = json!({"id": "okta", "display_name": "Okta", "client_secret": OTHER_SECRET,
        "scopes": "openid email", "allowed_algs": ["PS256"],
        "claim_map": {"username": "email"}, "allowed_email_domains": ["Example.com"],
        "default_kind": "creator", "default_roles": ["analyst"]});
    let a = post(&s, &admin, "/admin/idps/update", body).await;
    let updated = ok(&a).clone();
    assert!(!a.text.contains(OTHER_SECRET));
    assert_eq!(updated["display_name"], "Okta");
    assert_eq!(updated["issuer"], added["issuer"], "not named, not changed");
    assert_eq!(updated["client_secret_last4"], "9a1c");
    assert_eq!(updated["scopes"], json!(["openid", "email"]));
    assert_eq!(updated["allowed_algs"], json!(["PS256"]));
    assert_eq!(
        updated["claim_map"],
        json!({"username": "email", "display_name": "name"})
    );
    assert_eq!(updated["allowed_email_domains"], json!(["example.com"]));
    assert_eq!(updated["default_roles"], json!(["analyst"]));
    assert_eq!(secret_map(&s).await, json!({"okta": OTHER_SECRET}));
    // Unknown ids are 404.
    for path in [
        "/admin/idps/update",
        "/admin/idps/disable",
        "/admin/idps/delete",
    ] {
        let a = post(&s, &admin, path, json!({"id": "nobody"})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
    }
    // Delete removes the provider and its secret.
    let a = post(&s, &admin, "/admin/idps/delete", json!({"id": "okta"})).await;
    assert_eq!(ok(&a), &json!({"id": "okta", "deleted": true}));
    assert_eq!(secret_map(&s).await, json!({}));
    let list = s.call(&admin, Method::GET, "/admin/idps", None).await;
    assert_eq!(ok(&list)["idps"], json!([]));
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_field_and_write_nothing() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let with = |k: &str, v: Value| {
        let mut b = idp_body("bad");
        b[k] = v;
        b
    };
    let mut missing = idp_body("bad");
    missing.as_object_mut().unwrap().remove("client_secret");
    let cases = [
        (with("id", json!("Bad_Id")), "id"),
        (with("scopes", json!("email profile")), "openid"),
        (with("allowed_algs", json!(["none"])), "allowed_algs"),
        (with("allowed_algs", json!(["HS256"])), "allowed_algs"),
        (with("allowed_algs", json!([])), "allowed_algs"),
        (
            with("provisioning", json!("create_everyone")),
            "provisioning",
        ),
        (with("client_secret", json!("short")), "client_secret"),
        (
            with("allowed_email_domains", json!(["not a domain"])),
            "allowed_email_domains",
        ),
        (with("default_roles", json!(["Bad Role"])), "default_roles"),
        (with("display_name", json!("")), "display_name"),
        (with("claim_map", json!({"kind": "x"})), "kind"),
        (with("unexpected", json!(1)), "unexpected"),
        (
            with("issuer", json!("https://idp.example.com#frag")),
            "issuer",
        ),
        (missing, "client_secret"),
    ];
    for (body, field) in cases {
        let a = post(&s, &admin, "/admin/idps", body.clone()).await;
        refused(&a, StatusCode::BAD_REQUEST, field);
        assert!(
            !a.text.contains(SECRET),
            "{body}: the secret is never echoed"
        );
    }
    assert!(
        s.items_of("settings#idps").await.is_empty(),
        "nothing written"
    );
    assert_eq!(secret_map(&s).await, json!({}));
}

#[tokio::test]
async fn without_the_dev_flag_only_https_dns_issuers_are_accepted() {
    let s = stack(&[("SSO_ALLOW_INSECURE_LOOPBACK", "false")]).await;
    let admin = admin(&s).await;
    for issuer in [
        "http://idp.example.com",
        "http://127.0.0.1:9001",
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://[::1]",
        "https://2130706433",
        "https://localhost",
        "https://user@idp.example.com",
        "https://idp.example.com?tenant=1",
    ] {
        let mut b = idp_body("rule");
        b["issuer"] = json!(issuer);
        let a = post(&s, &admin, "/admin/idps", b).await;
        refused(&a, StatusCode::BAD_REQUEST, "issuer");
        // An update is held to the same rule.
        let a = post(
            &s,
            &admin,
            "/admin/idps/update",
            json!({"id": "rule", "issuer": issuer}),
        )
        .await;
        assert!(a.status.is_client_error(), "{issuer}: {}", a.text);
    }
    assert!(s.items_of("settings#idps").await.is_empty());
    ok(&post(&s, &admin, "/admin/idps", idp_body("rule")).await);
    // With the flag (the local stack), a loopback provider over http is accepted.
    let dev = stack(&[]).await;
    let admin = self::admin(&dev).await;
    let mut b = idp_body("local");
    b["issuer"] = json!("http://127.0.0.1:8123");
    ok(&post(&dev, &admin, "/admin/idps", b).await);
}

#[tokio::test]
async fn at_most_twenty_providers() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    for i in 0..20 {
        ok(&post(&s, &admin, "/admin/idps", idp_body(&format!("p{i}"))).await);
    }
    let a = post(&s, &admin, "/admin/idps", idp_body("p20")).await;
    refused(&a, StatusCode::CONFLICT, "too_many_idps");
    assert_eq!(secret_map(&s).await.as_object().unwrap().len(), 20);
}

#[tokio::test]
async fn password_login_goes_off_only_while_a_provider_stays_enabled() {
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let login = async |on: bool| {
        post(
            &s,
            &admin,
            "/admin/settings/login",
            json!({"password_login": on}),
        )
        .await
    };
    refused(
        &login(false).await,
        StatusCode::CONFLICT,
        "no_sign_in_method",
    );
    let mut disabled = idp_body("off");
    disabled["enabled"] = json!(false);
    ok(&post(&s, &admin, "/admin/idps", disabled).await);
    refused(
        &login(false).await,
        StatusCode::CONFLICT,
        "no_sign_in_method",
    );
    ok(&post(&s, &admin, "/admin/idps", idp_body("one")).await);
    ok(&login(false).await);
    // The last enabled provider can be neither disabled, switched off nor deleted.
    let last = [
        ("/admin/idps/disable", json!({"id": "one"})),
        ("/admin/idps/update", json!({"id": "one", "enabled": false})),
        ("/admin/idps/delete", json!({"id": "one"})),
    ];
    for (path, body) in &last {
        let a = post(&s, &admin, path, body.clone()).await;
        refused(&a, StatusCode::CONFLICT, "no_sign_in_method");
    }
    let list = s.call(&admin, Method::GET, "/admin/idps", None).await;
    assert_eq!(ok(&list)["idps"][1]["enabled"], true, "nothing written");
    assert_eq!(secret_map(&s).await["one"], SECRET);
    // Another enabled provider: now the first may go.
    let a = post(
        &s,
        &admin,
        "/admin/idps/update",
        json!({"id": "off", "enabled": true}),
    )
    .await;
    ok(&a);
    ok(&post(&s, &admin, "/admin/idps/delete", json!({"id": "one"})).await);
    refused(
        &post(&s, &admin, "/admin/idps/disable", json!({"id": "off"})).await,
        StatusCode::CONFLICT,
        "no_sign_in_method",
    );
    // Passwords back on: the guard has nothing to keep.
    ok(&login(true).await);
    ok(&post(&s, &admin, "/admin/idps/delete", json!({"id": "off"})).await);
}

#[tokio::test]
async fn cli_idps_reads_the_secret_from_stdin_and_never_prints_it() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let base = [
        "--url",
        s.url.as_str(),
        "--server-id",
        common::admin::SERVER_ID,
        "--json",
    ];
    let run = async |args: &[&str], stdin: Option<&str>| {
        let out =
            crate::admin_e2e::cli_with_stdin(&member, &[&base[..], args].concat(), stdin).await;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(SECRET), "never printed: {text}");
        (out.status.success(), text)
    };
    let add = [
        "idps",
        "add",
        "corp",
        "--display-name",
        "Corp",
        "--issuer",
        "https://login.corp.example.com",
        "--client-id",
        "gh",
        "--client-secret-stdin",
        "--allowed-algs",
        "RS256,PS256",
        "--username-claim",
        "email",
    ];
    let (success, text) = run(&add, Some(&format!("{SECRET}\n"))).await;
    assert!(success, "{text}");
    let added: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(added["client_secret_last4"], "7f3e");
    assert_eq!(added["allowed_algs"], json!(["RS256", "PS256"]));
    assert_eq!(added["claim_map"]["username"], "email");
    assert_eq!(secret_map(&s).await, json!({"corp": SECRET}));
    // No secret on stdin: refused before anything is sent.
    let (success, text) = run(&add, Some("")).await;
    assert!(!success && text.contains("no client secret"), "{text}");
    let (success, text) = run(&["idps", "list"], None).await;
    assert!(success && text.contains("\"corp\""), "{text}");
    let (success, text) = run(&["idps", "disable", "corp"], None).await;
    assert!(success && text.contains("\"enabled\":false"), "{text}");
    let (success, text) = run(&["idps", "delete", "corp"], None).await;
    assert!(success, "{text}");
    assert_eq!(secret_map(&s).await, json!({}));
}

/// Links `sub` at `idp` to `user_id`.
pub(crate) async fn link(s: &Stack, admin: &Admin, user_id: &str, idp: &str, sub: &str) -> Answer {
    let body = json!({"user_id": user_id, "idp": idp, "sub": sub});
    post(s, admin, "/admin/users/link-identity", body).await
}

#[tokio::test]
async fn an_identity_links_to_one_user_one_per_provider_and_goes_with_the_user() {
    use gatehouse::credentials::users::UserKind;
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    ok(&post(&s, &admin, "/admin/idps", idp_body("corp")).await);
    ok(&post(&s, &admin, "/admin/idps", idp_body("other")).await);
    let (ann, bob) = (
        s.person(UserKind::Creator).await,
        s.person(UserKind::EndUser).await,
    );
    let a = link(&s, &admin, &ann.id, "corp", "sub-ann").await;
    assert_eq!(
        ok(&a),
        &json!({"user_id": ann.id, "idp": "corp", "sub": "sub-ann", "linked": true})
    );
    let hash = gatehouse::credentials::idps::identity::identity_hash(
        "https://corp.idp.example.com",
        "sub-ann",
    );
    let ident = s.items_of(&format!("ident#corp#{hash}")).await;
    assert_eq!(ident.len(), 1, "keyed by provider and sha256(iss|sub)");
    assert_eq!(
        common::pk(&s.items_of("uident#").await[0]),
        format!("uident#{}#corp", ann.id)
    );
    // The same identity for another user, or a second one at the same provider: 409.
    let taken = link(&s, &admin, &bob.id, "corp", "sub-ann").await;
    refused(&taken, StatusCode::CONFLICT, "identity_already_linked");
    let second = link(&s, &admin, &ann.id, "corp", "sub-ann-2").await;
    refused(&second, StatusCode::CONFLICT, "user_already_linked_at_idp");
    // Another provider is another slot.
    ok(&link(&s, &admin, &ann.id, "other", "sub-ann").await);
    // Unknown user or provider: 404; a bad body: 400.
    let a = link(&s, &admin, "AAAAAAAAAAAAAAAA", "corp", "x").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    let a = link(&s, &admin, &bob.id, "nope", "x").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    refused(
        &link(&s, &admin, &bob.id, "corp", "").await,
        StatusCode::BAD_REQUEST,
        "sub",
    );
    assert_eq!(s.items_of("ident#").await.len(), 2, "nothing else written");
    // Deleting the user deletes its identities.
    let del = post(
        &s,
        &admin,
        "/admin/users/delete",
        json!({"user_id": ann.id}),
    )
    .await;
    ok(&del);
    assert!(s.items_of("ident#").await.is_empty());
    assert!(s.items_of("uident#").await.is_empty());
    // The identity is free again.
    ok(&link(&s, &admin, &bob.id, "corp", "sub-ann").await);
}

#[tokio::test]
async fn test_runs_discovery_and_fetches_the_keys_never_a_grant_and_never_blocks_saving() {
    let idp = gatehouse_e2e::idp::FakeIdp::start();
    let s = stack(&[]).await;
    let admin = admin(&s).await;
    let mut body = idp_body("fake");
    body["issuer"] = json!(idp.issuer());
    ok(&post(&s, &admin, "/admin/idps", body).await);
    // The fake provider refuses client_credentials (as real ones do for such clients):
    // the test passes, since it never runs a grant.
    let a = post(&s, &admin, "/admin/idps/test", json!({"id": "fake"})).await;
    let report = ok(&a);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        (&report["discovery"], &report["jwks"]),
        (&json!("ok"), &json!("ok"))
    );
    assert_eq!(report["keys"], 2, "the RSA and the EC key");
    assert_eq!(report["token_auth"], "basic");
    assert_eq!(report["jwks_uri"], json!(idp.url("/jwks")));
    let stats = idp.stats().await;
    assert_eq!(
        (
            &stats["token_requests"],
            &stats["client_credentials_requests"]
        ),
        (&json!(0), &json!(0))
    );
    assert!(stats["discovery_fetches"].as_u64().unwrap() >= 1);
    // An issuer not saved yet, and a provider whose keys are down: a failing report,
    // not an error.
    idp.control(json!({"jwks": "down"})).await;
    let a = post(
        &s,
        &admin,
        "/admin/idps/test",
        json!({"issuer": idp.issuer()}),
    )
    .await;
    let report = ok(&a);
    assert_eq!(
        (&report["ok"], &report["discovery"]),
        (&json!(false), &json!("ok"))
    );
    assert_ne!(report["jwks"], "ok");
    // A provider nobody answers for is saved all the same; its test says why it fails.
    let mut down = idp_body("down");
    down["issuer"] = json!("http://127.0.0.1:9");
    ok(&post(&s, &admin, "/admin/idps", down).await);
    let report = ok(&post(&s, &admin, "/admin/idps/test", json!({"id": "down"})).await).clone();
    assert_eq!(report["ok"], false);
    assert_ne!(report["discovery"], "ok");
    // Bodies: an unknown id is 404, both or neither of id and issuer a 400.
    let a = post(&s, &admin, "/admin/idps/test", json!({"id": "nobody"})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    for body in [json!({}), json!({"id": "fake", "issuer": idp.issuer()})] {
        let a = post(&s, &admin, "/admin/idps/test", body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    }
    // The outbound rule holds for a test too: without the dev flag a loopback issuer is
    // refused before anything is fetched.
    let strict = stack(&[("SSO_ALLOW_INSECURE_LOOPBACK", "false")]).await;
    let strict_admin = self::admin(&strict).await;
    let before = idp.stats().await["discovery_fetches"].clone();
    let a = post(
        &strict,
        &strict_admin,
        "/admin/idps/test",
        json!({"issuer": idp.issuer()}),
    )
    .await;
    refused(&a, StatusCode::BAD_REQUEST, "issuer");
    assert_eq!(idp.stats().await["discovery_fetches"], before);
}
