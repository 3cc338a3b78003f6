//! Log capture: no test secret ever appears in the functions' logs or error bodies.
//! A test binary of its own, so the global subscriber sees every log line.

use std::sync::OnceLock;

use common::admin::stack;
use common::logs::Captured;
use gatehouse_e2e as common;
use serde_json::json;

/// The process-wide capture, installed once for every test of this binary.
fn installed() -> &'static Captured {
    static CAPTURE: OnceLock<Captured> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Captured::default();
        tracing::subscriber::set_global_default(capture.subscriber()).unwrap();
        capture
    })
}

#[tokio::test]
async fn no_secret_appears_in_logs_or_error_bodies() {
    let capture = installed();

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

    // A presigned request in query form (the signature is in the URL) to an STS that
    // does not answer: the transport error is logged without the URL.
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let down = stack(&[("ADMIN_STS_ENDPOINT", &dead)]).await;
    let url_signature = "5e11ab1e".repeat(8);
    let signed = presigned_in_query(&member, &dead, &url_signature);
    let a = down.signin(signed).await;
    assert_eq!(
        a.status,
        reqwest::StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        a.text
    );
    bodies.push(a.text);

    let logs = capture.text();
    assert!(
        logs.contains("sts unavailable"),
        "the outage was logged: {logs}"
    );
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
        url_signature.as_str(),
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs");
        for b in &bodies {
            assert!(!b.contains(secret), "a secret reached an error body: {b}");
        }
    }
}

/// A malformed authorizer event is logged with a fixed reason and the failing field's
/// path, never the serde error's text, which quotes values (docs/SECURITY.md, item 12).
#[tokio::test]
async fn malformed_authorizer_events_never_log_their_values() {
    let capture = installed();
    let store = common::fresh_store().await;
    let authorizer = gatehouse::functions::authorizer::Authorizer::new(
        &common::config(store.table(), &[]),
        common::as_function(&store, gatehouse::records::access::Function::Authorizer),
        common::secrets().await,
    );
    let secret = "gk_Log-Test-Secret-In-A-Malformed-Event";
    let mut quoted = common::fixture("http-v2-request.json", "");
    quoted["cookies"] = json!(format!("__Host-gh_session={secret}"));
    let mut keyed = common::fixture("rest-request.json", "");
    keyed["requestContext"] = json!(secret);
    for event in [
        quoted,
        keyed,
        json!({"type": "TOKEN", "authorizationToken": [secret]}),
        json!({"version": "2.0", "requestContext": {}, "pathParameters": {secret: 1}}),
    ] {
        assert!(authorizer.handle(event).await.is_err());
    }
    let logs = capture.text();
    assert!(
        logs.contains("malformed_event"),
        "the denials were captured"
    );
    assert!(logs.contains("field `cookies` is invalid"), "{logs}");
    assert!(
        !logs.contains(secret),
        "a value of a malformed event reached the logs"
    );
}

/// A presigned `GetCallerIdentity` request in query form for `sts`, with `signature`
/// (never checked: that STS does not answer) and a fresh `X-Amz-Date`.
fn presigned_in_query(u: &common::IamUser, sts: &str, signature: &str) -> serde_json::Value {
    // The CLI's own request gives a current X-Amz-Date.
    let header_form =
        common::admin::presigned(u, common::admin::SERVER_ID, std::time::SystemTime::now());
    let date = header_form["presigned"]["headers"]["x-amz-date"]
        .as_str()
        .unwrap()
        .to_owned();
    let credential = format!(
        "{}%2F{}%2Fus-east-1%2Fsts%2Faws4_request",
        u.key_id,
        &date[..8]
    );
    let url = format!(
        "{sts}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential={credential}&X-Amz-Date={date}\
         &X-Amz-SignedHeaders=host%3Bx-gatehouse-nonce%3Bx-gatehouse-server-id&X-Amz-Signature={signature}"
    );
    json!({"presigned": {"method": "GET", "url": url, "headers": {
        "x-gatehouse-server-id": common::admin::SERVER_ID, "x-gatehouse-nonce": "0123456789abcdef"}}})
}
