//! Log capture: no test secret ever appears in the functions' logs or error bodies.
//! A test binary of its own, so the global subscriber sees every log line.

mod common;

use std::sync::Arc;

use common::admin::stack;
use serde_json::json;

/// Collects every log line written in this process.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_appears_in_logs_or_error_bodies() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let outsider = common::iam_user(false).await;
    let wrong = "Wr0ng-Secret-Value-For-Log-Test";
    let token = "Sess10n-T0ken-For-Log-Test";
    let mut bodies = Vec::new();
    for body in [
        json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": wrong}),
        json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": member.secret, "sessionToken": token}),
        json!({"userName": outsider.name, "accessKeyId": outsider.key_id, "secretAccessKey": outsider.secret}),
        json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": wrong, "unknown": true}),
    ] {
        bodies.push(s.signin(body).await.text);
    }
    let admin = s.admin(&member).await;
    let created = s
        .call(
            &admin,
            reqwest::Method::POST,
            "/admin/keys",
            Some(json!({"name": "log-test"})),
        )
        .await;
    let key = created.body["key"].as_str().unwrap().to_owned();
    s.send(
        reqwest::Method::GET,
        "/whoami",
        &[("x-api-key", &key)],
        None,
    )
    .await;
    s.send(
        reqwest::Method::GET,
        "/whoami",
        &[("x-api-key", &format!("{}{}", &key[..20], "Z".repeat(43)))],
        None,
    )
    .await;
    let client = s
        .call(&admin, reqwest::Method::POST, "/admin/clients", None)
        .await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("admin_signin"),
        "the audit events were captured: {logs}"
    );
    let cookie_id = admin.cookie.split('=').nth(1).unwrap().to_owned();
    let secrets = [
        member.secret.as_str(),
        outsider.secret.as_str(),
        wrong,
        token,
        admin.csrf.as_str(),
        cookie_id.as_str(),
        &key[20..],
        client.body["client_secret"].as_str().unwrap(),
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs");
        for b in &bodies {
            assert!(!b.contains(secret), "a secret reached an error body: {b}");
        }
    }
}
