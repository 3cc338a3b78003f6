//! Admin sign-in with AWS IAM credentials (moto with signature and policy checks on),
//! sessions, CSRF, rate limits and the admin API, through the local gateway.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::IamUser;
use common::admin::{SERVER_ID, direct, keys_body, presigned, stack};
use common::{Answer, Stack};
use gatehouse_e2e as common;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn member_signs_in_with_keys_and_others_do_not() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let a = s.signin(keys_body(&member)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["userName"], member.name);
    assert!(a.body["csrfToken"].is_string());
    assert!(!a.text.contains(&member.secret));

    let outsider = common::iam_user(false).await;
    assert_eq!(
        s.signin(keys_body(&outsider)).await.status,
        StatusCode::FORBIDDEN,
        "non-member"
    );
    let wrong = json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": "wrong-secret-0123456789"});
    let a = s.signin(wrong).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "wrong secret");
    assert!(!a.text.contains("wrong-secret-0123456789"));
    let unknown = json!({"userName": member.name, "accessKeyId": "AKIAUNKNOWNKEY000000", "secretAccessKey": member.secret});
    assert_eq!(
        s.signin(unknown).await.status,
        StatusCode::UNAUTHORIZED,
        "unknown access key"
    );
    let mismatch = json!({"userName": outsider.name, "accessKeyId": member.key_id, "secretAccessKey": member.secret});
    assert_eq!(
        s.signin(mismatch).await.status,
        StatusCode::UNAUTHORIZED,
        "user name is not the key's owner"
    );
    // Malformed bodies: 400, nothing echoed.
    for bad in [
        json!({}),
        json!({"userName": "a b", "accessKeyId": "x", "secretAccessKey": "y"}),
        json!({"userName": "u", "accessKeyId": "x", "secretAccessKey": "leaky", "extra": 1}),
    ] {
        let a = s.signin(bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        assert!(!a.text.contains("leaky"));
    }
}

#[tokio::test]
async fn presigned_sign_in_is_single_use_and_bound_to_this_server() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let req = presigned(&member, SERVER_ID, SystemTime::now());
    let a = s.signin(req.clone()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["userName"], member.name);
    assert_eq!(
        s.signin(req).await.status,
        StatusCode::UNAUTHORIZED,
        "replay"
    );

    // Server id for another server, missing, or not signed.
    assert_eq!(
        s.signin(presigned(&member, "https://other.test", SystemTime::now()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let mut no_header = presigned(&member, SERVER_ID, SystemTime::now());
    let headers = no_header["presigned"]["headers"].as_object_mut().unwrap();
    headers.remove("x-gatehouse-server-id");
    assert_eq!(s.signin(no_header).await.status, StatusCode::UNAUTHORIZED);
    let mut unsigned = presigned(&member, SERVER_ID, SystemTime::now());
    let auth = unsigned["presigned"]["headers"]["authorization"]
        .as_str()
        .unwrap()
        .replace(";x-gatehouse-server-id", "");
    unsigned["presigned"]["headers"]["authorization"] = auth.into();
    assert_eq!(s.signin(unsigned).await.status, StatusCode::UNAUTHORIZED);
    // Old X-Amz-Date.
    let old = presigned(
        &member,
        SERVER_ID,
        SystemTime::now() - Duration::from_secs(120),
    );
    assert_eq!(s.signin(old).await.status, StatusCode::UNAUTHORIZED);
    // Another action, another host.
    let mut other_action = presigned(&member, SERVER_ID, SystemTime::now());
    other_action["presigned"]["body"] = "Action=GetSessionToken&Version=2011-06-15".into();
    assert_eq!(
        s.signin(other_action).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut other_host = presigned(&member, SERVER_ID, SystemTime::now());
    other_host["presigned"]["url"] = "https://evil.example/".into();
    assert_eq!(s.signin(other_host).await.status, StatusCode::UNAUTHORIZED);
    // A changed signed header is refused by STS itself.
    let mut tampered = presigned(&member, SERVER_ID, SystemTime::now());
    tampered["presigned"]["headers"]["content-type"] = "text/plain".into();
    assert_eq!(s.signin(tampered).await.status, StatusCode::UNAUTHORIZED);
    // A non-member's valid presigned request.
    let outsider = common::iam_user(false).await;
    assert_eq!(
        s.signin(presigned(&outsider, SERVER_ID, SystemTime::now()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn csrf_token_is_required_on_state_changes() {
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let list = s
        .send_json(
            reqwest::Method::GET,
            "/admin/keys",
            &[("cookie", &admin.cookie)],
            None,
        )
        .await;
    assert_eq!(
        list.status,
        StatusCode::OK,
        "reads need no CSRF token: {}",
        list.text
    );
    let body = Some(json!({"name": "x"}));
    let none = s
        .send_json(
            reqwest::Method::POST,
            "/admin/keys",
            &[("cookie", &admin.cookie)],
            body.clone(),
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let wrong = s
        .send_json(
            reqwest::Method::POST,
            "/admin/keys",
            &[("cookie", &admin.cookie), ("x-csrf-token", "nope")],
            body.clone(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let ok = s
        .call(&admin, reqwest::Method::POST, "/admin/keys", body)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(
        s.send_json(reqwest::Method::GET, "/admin/keys", &[], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "no session"
    );
    // The authorizer never accepts the admin cookie.
    let who = s
        .send_json(
            reqwest::Method::GET,
            "/whoami",
            &[
                ("cookie", &admin.cookie),
                ("origin", "http://localhost:3001"),
            ],
            None,
        )
        .await;
    assert_eq!(who.status, StatusCode::FORBIDDEN);
    // Sign-out ends the session.
    assert_eq!(
        s.call(&admin, reqwest::Method::POST, "/admin/signout", None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        s.call(&admin, reqwest::Method::GET, "/admin/keys", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn removal_from_the_group_ends_access_after_the_recheck() {
    let s = stack(&[("ADMIN_RECHECK", "1")]).await;
    let user = common::iam_user(true).await;
    let admin = s.admin(&user).await;
    assert_eq!(
        s.call(&admin, reqwest::Method::GET, "/admin/sessions", None)
            .await
            .status,
        StatusCode::OK
    );
    common::operator_iam()
        .await
        .remove_user_from_group()
        .group_name(common::ADMIN_GROUP)
        .user_name(&user.name)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        s.call(&admin, reqwest::Method::GET, "/admin/sessions", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.call(&admin, reqwest::Method::GET, "/admin/sessions", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "session deleted"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_ip_and_per_user() {
    // Per user name: failures beyond the limit get 429, valid credentials still work.
    let s = stack(&[
        ("SIGNIN_USER_LIMIT", "3"),
        ("SIGNIN_IP_LIMIT", "1000"),
        ("SIGNIN_WINDOW", "86400"),
    ])
    .await;
    let victim = common::iam_user(true).await;
    let wrong = json!({"userName": victim.name, "accessKeyId": victim.key_id, "secretAccessKey": "guess-guess-guess"});
    for _ in 0..3 {
        assert_eq!(
            s.signin(wrong.clone()).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = s.signin(wrong.clone()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        s.signin(keys_body(&victim)).await.status,
        StatusCode::OK,
        "nobody can lock an admin out"
    );
    // Malformed bodies count for nothing.
    for _ in 0..5 {
        assert_eq!(
            s.signin(json!({"nope": 1})).await.status,
            StatusCode::BAD_REQUEST
        );
    }

    // Per source IP: everything is refused for the window once the limit is reached.
    let s = stack(&[("SIGNIN_IP_LIMIT", "3"), ("SIGNIN_WINDOW", "86400")]).await;
    let admin = common::iam_user(true).await;
    for i in 0..3 {
        let u = common::iam_user(false).await;
        let bad = json!({"userName": u.name, "accessKeyId": u.key_id, "secretAccessKey": format!("bad-{i}-xxxxxxxx")});
        assert_eq!(s.signin(bad).await.status, StatusCode::UNAUTHORIZED);
    }
    let refused = s.signin(keys_body(&admin)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "all attempts from the IP are refused"
    );
    assert!(refused.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn admin_api_manages_keys_clients_sessions_and_signing_keys() {
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    use reqwest::Method;
    // API keys: create (shown once), list (no secret), disable, delete.
    let created = s
        .call(
            &admin,
            Method::POST,
            "/admin/keys",
            Some(json!({"name": "reports", "scopes": ["data"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let key = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let who = s
        .send_json(Method::GET, "/whoami", &[("x-api-key", &key)], None)
        .await;
    assert_eq!(
        who.status,
        StatusCode::OK,
        "the new key works at the authorizer"
    );
    let list = s.call(&admin, Method::GET, "/admin/keys", None).await;
    assert!(
        !list.text.contains(&key[20..]),
        "list never shows the secret"
    );
    assert!(
        list.body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == id.as_str() && k["last4"] == key[key.len() - 4..])
    );
    assert_eq!(
        s.call(
            &admin,
            Method::POST,
            "/admin/keys/disable",
            Some(json!({"id": id}))
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        s.call(
            &admin,
            Method::POST,
            "/admin/keys/delete",
            Some(json!({"id": id}))
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        s.call(
            &admin,
            Method::POST,
            "/admin/keys/delete",
            Some(json!({"id": id}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Clients: add (secret once, stored hashed), disable keeps the other indexes.
    let c1 = s.call(&admin, Method::POST, "/admin/clients", None).await;
    let c2 = s.call(&admin, Method::POST, "/admin/clients", None).await;
    assert_eq!(
        (c1.body["client_id"].as_str(), c2.body["client_id"].as_str()),
        (Some("1"), Some("2"))
    );
    let secret2 = c2.body["client_secret"].as_str().unwrap().to_owned();
    let stored = common::operator_secrets()
        .await
        .get_secret_value()
        .secret_id(&s.clients_secret)
        .send()
        .await
        .unwrap();
    assert!(
        !stored.secret_string().unwrap().contains(&secret2),
        "stored as sha256 only"
    );
    assert_eq!(
        s.call(
            &admin,
            Method::POST,
            "/admin/clients/disable",
            Some(json!({"client_id": 1}))
        )
        .await
        .status,
        StatusCode::OK
    );
    let stored = common::operator_secrets()
        .await
        .get_secret_value()
        .secret_id(&s.clients_secret)
        .send()
        .await
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(stored.secret_string().unwrap()).unwrap();
    assert_eq!(list[0], "disabled");
    assert!(list[1].as_str().unwrap().starts_with("sha256:"));

    // Sessions: list, revoke all of a user.
    let sessions = s.call(&admin, Method::GET, "/admin/sessions", None).await;
    assert!(
        sessions.body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "admin")
    );
    // Signing keys: a rotation right after the ring was made is refused unless forced.
    let early = s
        .call(
            &admin,
            Method::POST,
            "/admin/signing-keys/rotate",
            Some(json!({})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    let forced = s
        .call(
            &admin,
            Method::POST,
            "/admin/signing-keys/rotate",
            Some(json!({"force": true})),
        )
        .await;
    assert_eq!(forced.status, StatusCode::OK, "{}", forced.text);
    // The answer is structured: the new kids, every old kid dropped, and how long warm
    // instances may still trust them (KEY_RING_REFRESH, default 300 s).
    let b = &forced.body;
    assert_eq!(b["outcome"], "emergency_rotated", "{}", forced.text);
    assert!(b["current_kid"].is_string() && b["next_kid"].is_string());
    assert_eq!(
        b["dropped_kids"].as_array().unwrap().len(),
        2,
        "{}",
        forced.text
    );
    assert_eq!(b["trusted_for_at_most_s"], 300);
    let _ = &s.store;
}

/// 16 hex characters: a weak legacy secret (disabled since issue 13).
const WEAK_SECRET: &str = "6a1f0c9e4b7d2a58";
const STRONG_SECRET: &str = "6a1f0c9e4b7d2a58c3e9f0b1d4a7c2e5";

/// An admin stack whose `CLIENT_SECRETS` is: weak raw, strong raw, hashed, null.
async fn stack_with_legacy_clients() -> (Stack, String) {
    let s = stack(&[]).await;
    let hashed = gatehouse::credentials::clients::ClientList::hashed_entry("hashed-client-secret");
    let value = json!([WEAK_SECRET, STRONG_SECRET, hashed, null]).to_string();
    common::operator_secrets()
        .await
        .put_secret_value()
        .secret_id(&s.clients_secret)
        .secret_string(&value)
        .send()
        .await
        .unwrap();
    (s, hashed)
}

#[tokio::test]
async fn admin_lists_clients_by_kind_and_flags_weak_ones_without_a_secret() {
    let (s, hashed) = stack_with_legacy_clients().await;
    assert_eq!(
        s.send_json(reqwest::Method::GET, "/admin/clients", &[], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "an admin session is required"
    );
    let admin = s.admin(&common::iam_user(true).await).await;
    let list = s
        .call(&admin, reqwest::Method::GET, "/admin/clients", None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(
        list.body,
        json!({"clients": [
            {"client_id": "1", "kind": "disabled", "weak": true},
            {"client_id": "2", "kind": "raw", "weak": false},
            {"client_id": "3", "kind": "hashed", "weak": false},
            {"client_id": "4", "kind": "disabled", "weak": false},
        ]})
    );
    for secret in [WEAK_SECRET, STRONG_SECRET, &hashed[7..]] {
        assert!(!list.text.contains(secret), "never a secret or a hash");
    }
}

#[tokio::test]
async fn cli_lists_clients_with_weak_ones_flagged() {
    let (s, _) = stack_with_legacy_clients().await;
    let member = common::iam_user(true).await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let out = cli(&member, &[&base[..], &["clients", "list"]].concat()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["client_id", "kind", "weak"],
            vec!["1", "disabled", "true"],
            vec!["2", "raw", "false"],
            vec!["3", "hashed", "false"],
            vec!["4", "disabled", "false"],
        ],
        "{table}"
    );
    assert!(!table.contains(WEAK_SECRET));
    let out = cli(
        &member,
        &[&base[..], &["--json", "clients", "list"]].concat(),
    )
    .await;
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["clients"][0],
        json!({"client_id": "1", "kind": "disabled", "weak": true})
    );
}

#[tokio::test]
async fn concurrent_client_adds_never_lose_one() {
    let s = Arc::new(stack(&[]).await);
    let admin = Arc::new(s.admin(&common::iam_user(true).await).await);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (s, admin) = (s.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            s.call(&admin, reqwest::Method::POST, "/admin/clients", None)
                .await
                .body["client_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().parse::<u32>().unwrap());
    }
    ids.sort();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    let stored = common::operator_secrets()
        .await
        .get_secret_value()
        .secret_id(&s.clients_secret)
        .send()
        .await
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(stored.secret_string().unwrap()).unwrap();
    assert_eq!(list.len(), 10);
}

#[tokio::test]
async fn sts_unreachable_fails_closed_without_a_session() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let s = stack(&[("ADMIN_STS_ENDPOINT", &dead)]).await;
    let member = common::iam_user(true).await;
    // Presigned mode forwards to the configured endpoint only: down → 503.
    let creds =
        aws_credential_types::Credentials::new(&member.key_id, &member.secret, None, None, "test");
    let req = gatehouse::adapters::presign_get_caller_identity(
        &creds,
        "us-east-1",
        &dead,
        SERVER_ID,
        SystemTime::now(),
    )
    .unwrap();
    let a = s.signin(json!({"presigned": req})).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
    assert!(a.headers.get("set-cookie").is_none());
}

pub(crate) fn cli_path() -> std::path::PathBuf {
    // target/debug/deps/e2e-… → target/debug/gatehouse-admin (built by --all-targets).
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("gatehouse-admin")
}

/// Runs the real `gatehouse-admin` with `user`'s keys (the standard chain reads them).
pub(crate) async fn cli(user: &IamUser, args: &[&str]) -> std::process::Output {
    cli_with_stdin(user, args, None).await
}

/// [`cli`], with `stdin` as its standard input (none: empty).
pub(crate) async fn cli_with_stdin(
    user: &IamUser,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    assert!(
        cli_path().exists(),
        "build the CLI first (cargo test --workspace --all-targets does)"
    );
    let mut cmd = std::process::Command::new(cli_path());
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", &user.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let input = stdin.unwrap_or_default().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn()?;
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(input.as_bytes())?;
        }
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap()
}

/// `gatehouse-admin --url <url> --server-id SERVER_ID <args>` as `user`, which must
/// succeed: its standard output.
pub(crate) async fn cli_ok(user: &IamUser, url: &str, args: &[&str]) -> String {
    let base = ["--url", url, "--server-id", SERVER_ID];
    let out = cli(user, &[&base[..], args].concat()).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn cli_creates_an_api_key_that_works_at_the_authorizer() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let out = cli(
        &member,
        &[
            &base[..],
            &[
                "--json",
                "keys",
                "create",
                "--name",
                "from-cli",
                "--scopes",
                "data,client",
            ],
        ]
        .concat(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = created["key"].as_str().unwrap();
    let who = s
        .send_json(reqwest::Method::GET, "/whoami", &[("x-api-key", key)], None)
        .await;
    assert_eq!(who.status, StatusCode::OK, "{}", who.text);
    assert_eq!(who.body["scopes"], "client data");
    // Table output lists it (and never the secret).
    let out = cli(&member, &[&base[..], &["keys", "list"]].concat()).await;
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(created["id"].as_str().unwrap()) && table.contains("from-cli"),
        "{table}"
    );
    assert!(!table.contains(&key[20..]));
    // Object answers print as fields.
    let out = cli(&member, &[&base[..], &["clients", "add"]].concat()).await;
    let fields = String::from_utf8(out.stdout).unwrap();
    assert!(
        fields.contains("client_id: 1") && fields.contains("client_secret: "),
        "{fields}"
    );
    // A non-member's CLI is refused.
    let outsider = common::iam_user(false).await;
    let out = cli(&outsider, &[&base[..], &["keys", "list"]].concat()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
}

#[tokio::test]
async fn cli_forced_rotation_prints_the_structured_answer() {
    let s = stack(&[("KEY_RING_REFRESH", "7")]).await;
    let member = common::iam_user(true).await;
    let base = ["--url", s.url.as_str(), "--server-id", SERVER_ID];
    let rotate = ["signing-keys", "rotate", "--force"];
    let out = cli(&member, &[&base[..], &rotate[..]].concat()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fields = String::from_utf8(out.stdout).unwrap();
    for line in [
        "outcome: emergency_rotated",
        "current_kid: ",
        "next_kid: ",
        "dropped_kids: [",
        "trusted_for_at_most_s: 7",
    ] {
        assert!(fields.contains(line), "{line:?} in {fields}");
    }
    // --json prints the API's answer.
    let out = cli(&member, &[&base[..], &["--json"], &rotate[..]].concat()).await;
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["outcome"], "emergency_rotated");
    assert_eq!(answer["dropped_kids"].as_array().unwrap().len(), 2);
    assert_eq!(answer["trusted_for_at_most_s"], 7);
}

#[tokio::test]
async fn assumed_roles_are_not_admins() {
    // An assumed role of this account (via moto STS, with a session token): not an IAM user.
    let s = stack(&[]).await;
    let iam = common::operator_iam().await;
    let role = format!(
        "test-role-{}",
        gatehouse::primitives::crypto::random_base62(8)
    );
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/gatehouse-operator"},"Action":"sts:AssumeRole"}]}"#;
    let created = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let sdk = common::sdk().await;
    let id = common::require_env("GATEHOUSE_OPERATOR_ACCESS_KEY_ID");
    let secret = common::require_env("GATEHOUSE_OPERATOR_SECRET_ACCESS_KEY");
    let op = aws_sdk_sts::config::Credentials::new(id, secret, None, None, "operator");
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&sdk)
            .credentials_provider(op)
            .build(),
    );
    let assumed = sts
        .assume_role()
        .role_arn(created.role().unwrap().arn())
        .role_session_name("admin-attempt")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let body = json!({
        "userName": role, "accessKeyId": c.access_key_id(), "secretAccessKey": c.secret_access_key(), "sessionToken": c.session_token()
    });
    let a = s.signin(body).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
}

#[tokio::test]
async fn sessions_can_be_revoked_one_by_one_or_per_user() {
    let s = stack(&[]).await;
    let user = common::iam_user(true).await;
    let first = s.admin(&user).await;
    let second = s.admin(&user).await;
    let list = s
        .call(&first, reqwest::Method::GET, "/admin/sessions", None)
        .await;
    let mine: Vec<&Value> = list.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["user"] == user.name.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{}", list.text);
    // Revoke the second by its id hash (the first session does it).
    let second_hash = gatehouse::primitives::crypto::sha256_hex(
        second.cookie.split('=').nth(1).unwrap().as_bytes(),
    );
    let r = s
        .call(
            &first,
            reqwest::Method::POST,
            "/admin/sessions/revoke",
            Some(json!({"kind": "admin", "id_hash": second_hash})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        s.call(&second, reqwest::Method::GET, "/admin/keys", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Revoke everything of the user, the caller's own session included.
    let r = s
        .call(
            &first,
            reqwest::Method::POST,
            "/admin/sessions/revoke-user",
            Some(json!({"userid": user.name})),
        )
        .await;
    assert_eq!(r.body["revoked"], 1, "{}", r.text);
    assert_eq!(
        s.call(&first, reqwest::Method::GET, "/admin/keys", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

fn wrong_keys(u: &IamUser, i: usize) -> Value {
    json!({"userName": u.name, "accessKeyId": u.key_id, "secretAccessKey": format!("wrong-{i}-xxxxxxxxxxxx")})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_bad_sign_ins_from_one_ip_cost_at_most_the_limit_of_sts_calls() {
    let d = Arc::new(direct(&[("SIGNIN_IP_LIMIT", "5"), ("SIGNIN_USER_LIMIT", "1000")]).await);
    let victim = common::iam_user(true).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (d, body) = (d.clone(), wrong_keys(&victim, i));
            tokio::spawn(async move { d.signin(&body, "198.51.100.7").await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused + limited, 50, "{statuses:?}");
    assert!(
        refused <= 5,
        "{refused} attempts were verified: {statuses:?}"
    );
    assert!(
        d.sts_calls() <= 5,
        "{} STS calls for a limit of 5",
        d.sts_calls()
    );
    // The source is refused for the window; another one still signs in.
    assert_eq!(d.signin(&keys_body(&victim), "198.51.100.7").await, 429);
    assert_eq!(d.signin(&keys_body(&victim), "198.51.100.8").await, 200);
}

#[tokio::test]
async fn ipv6_sources_share_one_limit_per_64_and_successes_give_their_slot_back() {
    let d = direct(&[("SIGNIN_IP_LIMIT", "2")]).await;
    let admin = common::iam_user(true).await;
    // Successes take a slot only while they run: none is left behind.
    for _ in 0..4 {
        assert_eq!(d.signin(&keys_body(&admin), "2001:db8:0:1::1").await, 200);
    }
    assert_eq!(d.counters().await, Vec::<String>::new());
    // Bad input gives its slot back too.
    let bad_name = json!({"userName": "a b", "accessKeyId": "x", "secretAccessKey": "y"});
    assert_eq!(d.signin(&bad_name, "2001:db8:0:1::1").await, 400);
    // Two failures from two addresses of one /64 use up that network's slots.
    assert_eq!(
        d.signin(&wrong_keys(&admin, 1), "2001:db8:0:1::1").await,
        401
    );
    assert_eq!(
        d.signin(&wrong_keys(&admin, 2), "2001:db8:0:1::2").await,
        401
    );
    assert_eq!(
        d.signin(&keys_body(&admin), "2001:db8:0:1:ffff::9").await,
        429,
        "a third address of the same /64"
    );
    assert_eq!(d.signin(&keys_body(&admin), "2001:db8:0:2::1").await, 200);
}

#[tokio::test]
async fn a_valid_admin_under_a_per_name_attack_from_another_ip_still_signs_in() {
    let s = stack(&[("SIGNIN_USER_LIMIT", "3"), ("SIGNIN_IP_LIMIT", "20")]).await;
    let victim = common::iam_user(true).await;
    let attacker = &s.other_ip;
    let url = format!("{}/admin/signin", s.url);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let a = common::send_json(
            attacker,
            reqwest::Method::POST,
            &url,
            &[],
            Some(wrong_keys(&victim, i)),
        )
        .await;
        statuses.push(a.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    assert_eq!(
        s.signin(keys_body(&victim)).await.status,
        StatusCode::OK,
        "from another IP"
    );
    let a = common::send_json(
        attacker,
        reqwest::Method::POST,
        &url,
        &[],
        Some(keys_body(&victim)),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "and from the attacker's: {}",
        a.text
    );
}

#[tokio::test]
async fn malformed_presigned_requests_never_reach_sts() {
    let d = direct(&[]).await;
    let member = common::iam_user(true).await;
    let edit = |f: &dyn Fn(&str) -> String| {
        let mut req = presigned(&member, SERVER_ID, SystemTime::now());
        let auth = req["presigned"]["headers"]["authorization"]
            .as_str()
            .unwrap()
            .to_owned();
        req["presigned"]["headers"]["authorization"] = f(&auth).into();
        req
    };
    let cases = [
        (
            edit(&|a| a.replace(";x-gatehouse-nonce", "")),
            "x-gatehouse-nonce not signed",
        ),
        (
            edit(&|a| format!("{a}, Signature={}", "0".repeat(64))),
            "Signature twice",
        ),
        (edit(&|a| format!("{a}, Extra=1")), "an unknown component"),
        (
            edit(&|a| {
                let (head, sig) = a.rsplit_once("Signature=").unwrap();
                format!("{head}Signature={}", sig.to_ascii_uppercase())
            }),
            "an upper-case signature",
        ),
    ];
    for (req, what) in cases {
        assert_eq!(d.signin(&req, "198.51.100.7").await, 401, "{what}");
    }
    assert_eq!(d.sts_calls(), 0, "refused before forwarding");
    // The untouched request signs in.
    let ok = presigned(&member, SERVER_ID, SystemTime::now());
    assert_eq!(d.signin(&ok, "198.51.100.7").await, 200);
    assert_eq!(d.sts_calls(), 1);
}

/// `POST /admin/signin` with `u`'s keys and this `Origin` (none: `None`).
async fn signin_from(s: &Stack, u: &IamUser, origin: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
    s.send_json(
        reqwest::Method::POST,
        "/admin/signin",
        &headers,
        Some(keys_body(u)),
    )
    .await
}

#[tokio::test]
async fn admin_routes_refuse_foreign_origins() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let member = common::iam_user(true).await;
    for foreign in ["https://evil.example", "null", "http://localhost:3001"] {
        let a = signin_from(&s, &member, Some(foreign)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{foreign}: {}", a.text);
        assert_eq!(a.body["error"], "foreign_origin", "{foreign}");
        assert!(a.headers.get("set-cookie").is_none());
    }
    // No Origin (the CLI), or the issuer's own.
    assert_eq!(signin_from(&s, &member, None).await.status, StatusCode::OK);
    let own = s.url.as_str();
    assert_eq!(
        signin_from(&s, &member, Some(own)).await.status,
        StatusCode::OK
    );
    // Every admin route, reads included.
    let admin = s.admin(&member).await;
    let read = s
        .send_json(
            reqwest::Method::GET,
            "/admin/keys",
            &[
                ("cookie", &admin.cookie),
                ("origin", "https://evil.example"),
            ],
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::FORBIDDEN);
    assert_eq!(read.body["error"], "foreign_origin");
    let write = s
        .send_json(
            reqwest::Method::POST,
            "/admin/keys",
            &[
                ("cookie", &admin.cookie),
                ("x-csrf-token", &admin.csrf),
                ("origin", "null"),
            ],
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let same = s
        .send_json(
            reqwest::Method::GET,
            "/admin/keys",
            &[("cookie", &admin.cookie), ("origin", own)],
            None,
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);

    // Without ISSUER the issuer's origin is https://<request domain>.
    let s = stack(&[]).await;
    let host = s.url.strip_prefix("http://").unwrap();
    let https = format!("https://{host}");
    let http = format!("http://{host}");
    assert_eq!(
        signin_from(&s, &member, Some(&https)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        signin_from(&s, &member, Some(&http)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Found by the contract run (schemathesis): a control character in a submitted access
/// key crashed the SDK's request signer, so the gateway got no answer at all; a
/// non-ASCII one reached STS and came back as a 503. Both are malformed input: a JSON
/// 400 that counts for no limit, the gateway still serving.
#[tokio::test]
async fn submitted_keys_no_header_can_carry_are_a_400_not_a_crash() {
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    for id in [
        "\u{1f}",
        "0\u{f}AKIAIOSFODNN7EXAMPLE",
        "\u{bf}J2\u{bd}\u{87}V,AAAAAAAAAAAAAAA",
    ] {
        let body = json!({"userName": member.name, "accessKeyId": id, "secretAccessKey": "x"});
        let a = s
            .send_json(reqwest::Method::POST, "/admin/signin", &[], Some(body))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{id:?}: {}", a.body);
        assert_eq!(a.body["error"], "invalid_request");
    }
    let mut body = keys_body(&member);
    body["secretAccessKey"] = "\u{1}".into();
    let a = s
        .send_json(reqwest::Method::POST, "/admin/signin", &[], Some(body))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        s.items_of(gatehouse::records::prefix::RATE)
            .await
            .is_empty()
    );
    assert_eq!(signin_from(&s, &member, None).await.status, StatusCode::OK);
}
