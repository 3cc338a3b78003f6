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

/// A person's secrets never reach the logs or an answer (README "People", "Logs"): a
/// sign-in with a wrong and then the right password, `GET /users/me` and
/// `POST /users/signout` with the cookie, and the cookie again once signed out. Neither
/// password nor the session id (the cookie's value) appears in a captured line or an
/// answer body; the stored PHC hash (whole, or its salt or digest alone) in no answer
/// body and no line, at any level (the SDK's own `TRACE` lines, which would print the
/// user's item, are never written). The sign-ins' `user_signin` events were captured,
/// a failure and a success.
#[tokio::test]
async fn no_password_session_id_or_password_hash_appears_in_logs_or_answer_bodies() {
    use gatehouse::authz::USER_COOKIE;
    use gatehouse::credentials::users::{UserKind, UserStore};
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let s = common::Stack::builder().start().await;
    let person = s.person(UserKind::Creator).await;
    let name = person.username.as_ref().unwrap().as_str();
    let wrong = "Wr0ng-User-Passw0rd-For-Log-Test";

    let refused = s.user_signin(name, wrong).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    let signed_in = s.user_signin(name, common::USER_PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let cookie = signed_in.cookie().unwrap();
    let with_cookie = [("origin", common::ORIGIN), ("cookie", cookie.as_str())];
    let me = s.send(Method::GET, "/users/me", &with_cookie, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let out = s
        .send(Method::POST, "/users/signout", &with_cookie, None)
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    let gone = s.send(Method::GET, "/users/me", &with_cookie, None).await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN, "{}", gone.text);
    let bodies = [refused, signed_in, me, out, gone].map(|a| a.text);

    let logs = capture.text();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let signins: Vec<&str> = lines
        .iter()
        .filter(|l| l["fields"]["event"] == "user_signin")
        .map(|l| l["fields"]["outcome"].as_str().unwrap_or("?"))
        .collect();
    for outcome in ["failure", "success"] {
        assert!(
            signins.contains(&outcome),
            "the {outcome} was captured: {signins:?}"
        );
    }
    let session_id = cookie.strip_prefix(&format!("{USER_COOKIE}=")).unwrap();
    for secret in [common::USER_PASSWORD, wrong, session_id] {
        assert!(!logs.contains(secret), "a secret reached the logs");
        for b in &bodies {
            assert!(!b.contains(secret), "a secret reached an answer body: {b}");
        }
    }

    let stored = s.store.get_user(&person.id).await.unwrap().unwrap();
    let phc = stored.password.unwrap().0;
    let mut parts = phc.rsplit('$');
    let (digest, salt) = (parts.next().unwrap(), parts.next().unwrap());
    for part in [phc.as_str(), salt, digest] {
        for l in logs.lines() {
            assert!(!l.contains(part), "the hash reached a line: {l}");
        }
        for b in &bodies {
            assert!(!b.contains(part), "the hash reached an answer body: {b}");
        }
    }
}

/// Invites and password changes never log a token or a password (README "People",
/// "Logs"): an administrator creates a user and resets it (two invite links), the person
/// accepts with a refused and then a good password, signs in, changes the password with
/// a wrong and then the right current one. No invite token and no password appears in a
/// captured line; no password in an answer body; the tokens only in the two answers that
/// show the links. The changes' `invite_accept` and `password_change` events were
/// captured.
#[tokio::test]
async fn no_invite_token_or_password_appears_in_logs_when_inviting_accepting_and_changing() {
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let token_of = |a: &common::Answer| {
        let link = a.body["invite_link"].as_str().unwrap_or_default();
        link.split_once("#invite=")
            .map(|(_, t)| t.to_owned())
            .unwrap()
    };
    let body =
        json!({"email": "log-invitee@example.com", "username": "loginvitee", "kind": "creator"});
    let created = s
        .call(&admin, Method::POST, "/admin/users", Some(body))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let user_id = created.body["user"]["id"].as_str().unwrap().to_owned();
    let first = token_of(&created);
    let reset = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/reset-credentials",
            Some(json!({"user_id": user_id})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    let second = token_of(&reset);

    let weak = "Weak9";
    let chosen = "Chosen-Plum-Orbit-Canvas-7204";
    let wrong = "Wrong-Quartz-Meadow-Lantern-3391";
    let changed = "Changed-Violet-Harbor-Sprocket-5518";
    let origin = [("origin", common::ORIGIN)];
    let mut bodies = Vec::new();
    for (token, password, status) in [
        (&first, chosen, StatusCode::BAD_REQUEST),
        (&second, weak, StatusCode::BAD_REQUEST),
        (&second, chosen, StatusCode::OK),
    ] {
        let body = json!({"token": token, "new_password": password});
        let a = s.post("/users/invite/accept", &origin, Some(body)).await;
        assert_eq!(a.status, status, "{}", a.text);
        bodies.push(a.text);
    }
    let signed_in = s.user_signin("loginvitee", chosen).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let cookie = signed_in.cookie().unwrap();
    let with_cookie = [("origin", common::ORIGIN), ("cookie", cookie.as_str())];
    for (current, status) in [(wrong, StatusCode::BAD_REQUEST), (chosen, StatusCode::OK)] {
        let body = json!({"current_password": current, "new_password": changed});
        let a = s
            .send_json(
                Method::POST,
                "/users/password/change",
                &with_cookie,
                Some(body),
            )
            .await;
        assert_eq!(a.status, status, "{}", a.text);
        bodies.push(a.text);
    }
    bodies.push(signed_in.text);

    let logs = capture.text();
    for event in ["invite_accept", "password_change"] {
        assert!(logs.contains(event), "the {event} events were captured");
    }
    for secret in [
        first.as_str(),
        second.as_str(),
        weak,
        chosen,
        wrong,
        changed,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    for password in [weak, chosen, wrong, changed] {
        for b in bodies.iter().chain([&created.text, &reset.text]) {
            assert!(
                !b.contains(password),
                "a password reached an answer body: {b}"
            );
        }
    }
    for b in &bodies {
        assert!(
            !b.contains(&first) && !b.contains(&second),
            "a token was echoed: {b}"
        );
    }
}

/// An e-mailed invite's token never reaches a log line or an answer (README "People",
/// invites by e-mail, "Logs"): an administrator creates a user with `delivery: "email"`
/// and re-sends it with a reset; the person accepts the second link. Neither token nor
/// any `#invite=` link, nor the recipient's address, is in a captured line; the answers
/// hold no token; the `admin_api` lines say `delivery` and the mail was sent.
#[tokio::test]
async fn no_emailed_invite_token_appears_in_logs_or_answers() {
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let s = stack(&[]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let email = common::mail::address("log-mailed");
    let username = format!("logmailed{}", &email[11..19]);
    let body =
        json!({"email": email, "username": username, "kind": "creator", "delivery": "email"});
    let created = s
        .call(&admin, Method::POST, "/admin/users", Some(body))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let token_of = async |count| {
        let mail = common::mail::wait_for(&email, count).await.pop().unwrap();
        common::mail::link_token(&mail.text, "invite").unwrap()
    };
    let first = token_of(1).await;
    let user_id = created.body["user"]["id"].as_str().unwrap().to_owned();
    let body = json!({"user_id": user_id, "delivery": "email"});
    let reset = s
        .call(
            &admin,
            Method::POST,
            "/admin/users/reset-credentials",
            Some(body),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    let second = token_of(2).await;
    let body = json!({"token": second, "new_password": "Quartz-Harbor-Orbit-Canvas-8812"});
    let origin = [("origin", common::ORIGIN)];
    let accepted = s.post("/users/invite/accept", &origin, Some(body)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);

    let logs = capture.text();
    for secret in [first.as_str(), second.as_str(), "#invite=", email.as_str()] {
        assert!(!logs.contains(secret), "{secret} reached the logs");
    }
    for b in [&created.text, &reset.text, &accepted.text] {
        assert!(
            !b.contains(&first) && !b.contains(&second),
            "a token was echoed: {b}"
        );
    }
    let mine = |l: &&str| l.contains(&user_id);
    let audit: Vec<&str> = logs
        .lines()
        .filter(mine)
        .filter(|l| l.contains("admin_api"))
        .collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(
        audit.iter().all(|l| l.contains(r#""delivery":"email""#)),
        "{audit:?}"
    );
    assert!(
        logs.contains(r#""purpose":"invite""#),
        "the sends were logged"
    );
}

/// A runtime-settings change is one audit line (README "Admin API", settings): the
/// administrator, the group, its old and new JSON; a refused change is a line with its
/// reason, and no old or new value.
#[tokio::test]
async fn a_settings_change_is_one_audit_line_with_the_admin_and_the_old_and_new_values() {
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let admin = s.admin(&member).await;
    let body = json!({"mode": "closed", "allowed_domains": [], "require_email_verification": false,
        "default_kind": "creator", "default_roles": []});
    let a = s
        .call(&admin, Method::POST, "/admin/settings/signup", Some(body))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let off = json!({"password_login": false});
    let a = s
        .call(&admin, Method::POST, "/admin/settings/login", Some(off))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);

    let text = capture.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| {
            l["fields"]["action"] == "settings_change" && l["fields"]["user"] == member.name
        })
        .map(|l| l["fields"].clone())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let changed = &lines[0];
    assert_eq!(changed["setting"], "signup");
    let old: serde_json::Value = serde_json::from_str(changed["old"].as_str().unwrap()).unwrap();
    let new: serde_json::Value = serde_json::from_str(changed["new"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&old["mode"], &old["source"]),
        (&json!("open"), &json!("default"))
    );
    assert_eq!(
        (&new["mode"], &new["source"]),
        (&json!("closed"), &json!("stored"))
    );
    let refused = &lines[1];
    assert_eq!(
        (&refused["setting"], &refused["outcome"], &refused["reason"]),
        (
            &json!("login"),
            &json!("refused"),
            &json!("no_sign_in_method")
        )
    );
    assert!(refused.get("new").is_none());
}

/// An identity provider's client secret never reaches a log line or an answer (README
/// "Single sign-on"): adding, rotating it and a refused add are audit lines with the
/// provider and the secret's last four characters at most.
#[tokio::test]
async fn no_idp_client_secret_appears_in_logs_or_answers() {
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let s = stack(&[]).await;
    let member = common::iam_user(true).await;
    let admin = s.admin(&member).await;
    let (first, second) = (
        "idp-secret-First-Never-Logged-1a2b",
        "idp-secret-Second-Never-Logged-3c4d",
    );
    let body = json!({"id": "logged", "display_name": "Logged", "issuer": "https://logged.example.com",
        "client_id": "gh", "client_secret": first});
    let added = s
        .call(&admin, Method::POST, "/admin/idps", Some(body.clone()))
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let again = s
        .call(&admin, Method::POST, "/admin/idps", Some(body))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let rotate = json!({"id": "logged", "client_secret": second});
    let rotated = s
        .call(&admin, Method::POST, "/admin/idps/update", Some(rotate))
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let bad = json!({"id": "logged", "client_secret": "short-secret"});
    let refused = s
        .call(&admin, Method::POST, "/admin/idps/update", Some(bad))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);

    let logs = capture.text();
    for secret in [first, second, "short-secret"] {
        assert!(!logs.contains(secret), "{secret} reached the logs");
        for a in [&added, &again, &rotated, &refused] {
            assert!(
                !a.text.contains(secret),
                "{secret} was answered: {}",
                a.text
            );
        }
    }
    let audit: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["idp"] == "logged" && l["fields"]["user"] == member.name)
        .map(|l| l["fields"].clone())
        .collect();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap(),
                l["client_secret_last4"]
                    .as_str()
                    .or(l["reason"].as_str())
                    .unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("idp_add", "1a2b"),
            ("idp_add", "idp_exists"),
            ("idp_update", "3c4d")
        ],
        "{audit:?}"
    );
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

/// One span per request (README "Logs"): the lines of a denial at the authorizer and
/// of a refusal in an HTTP function each carry their request's span, the same request
/// id, function and route on every line (and the authorizer's decision once decided),
/// and neither a span field nor a line holds the credential that was refused.
#[tokio::test]
async fn a_denials_lines_share_one_request_span() {
    use gatehouse::primitives::crypto::random_base62;
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;

    let capture = installed();

    // The authorizer denies an API key whose secret is wrong.
    let store = common::fresh_store().await;
    let authorizer = gatehouse::functions::authorizer::Authorizer::new(
        &common::config(store.table(), &[]),
        common::as_function(&store, gatehouse::records::access::Function::Authorizer),
        common::secrets().await,
    );
    let key = common::api_key(&store, None, None).await;
    let wrong_key = format!("{}{}", &key[..20], random_base62(43));
    let denied_id = format!("deny-{}", random_base62(12));
    let mut event = common::fixture("http-v2-request.json", &wrong_key);
    event["requestContext"]["requestId"] = json!(denied_id);
    let answer = gatehouse::adapters::lambda::invoke(&authorizer, event)
        .await
        .unwrap();
    assert_eq!(answer["isAuthorized"], false, "{answer}");

    // The admin function refuses a sign-in with a wrong secret.
    let admin = common::admin::direct(&[]).await;
    let member = common::iam_user(true).await;
    let wrong_secret = format!("Wr0ng-{}", random_base62(24));
    let body = json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": wrong_secret});
    let req = common::admin::event("POST", "/admin/signin", &[], Some(&body), "198.51.100.23");
    let refused_id = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone().unwrap(),
        _ => panic!("a payload-2.0 request"),
    };
    let resp = gatehouse::http::respond(&admin.function, req).await;
    assert_eq!(resp.status(), 401);

    let text = capture.text();
    for line in text.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()),
            "one JSON object per line: {line}"
        );
    }
    let denied = json!({"name": "request", "request_id": denied_id, "function": "authorizer",
        "route": "GET /whoami", "decision": "deny", "reason": "wrong_secret"});
    let refused = json!({"name": "request", "request_id": refused_id, "function": "admin",
        "route": "POST /admin/signin"});
    // Each request's refusal line: the authorizer's decision, the function's rejection.
    for (id, expected, (field, value)) in [
        (&denied_id, &denied, ("decision", "deny")),
        (&refused_id, &refused, ("message", "request rejected")),
    ] {
        let lines = common::logs::request_lines(&text, id);
        // The lines written in the request span itself (what production prints, at
        // any level) all carry the whole span, decision included.
        let own: Vec<_> = lines
            .iter()
            .filter(|(line, _)| line["span"]["name"] == "request")
            .collect();
        assert!(
            own.len() >= 2,
            "the refusal and the metrics line: {lines:?}"
        );
        for (line, span) in &own {
            assert_eq!(span, expected, "{line}");
            assert_eq!(&line["span"], expected, "{line}");
        }
        assert!(
            own.iter().any(|(line, _)| line["fields"][field] == value),
            "the refusal is among them: {own:?}"
        );
        assert!(
            own.iter()
                .any(|(line, _)| line["fields"]["message"] == "outbound calls"),
            "so is the metrics line: {own:?}"
        );
        // Lines the SDK writes in its own spans name the same request.
        for (line, span) in &lines {
            for field in ["request_id", "function", "route"] {
                assert_eq!(span[field], expected[field], "{line}");
            }
        }
        for (line, _) in &lines {
            let line = line.to_string();
            for secret in [&key[20..], &wrong_key[20..], &wrong_secret, &member.secret] {
                assert!(
                    !line.contains(secret),
                    "a credential reached a line: {line}"
                );
            }
        }
    }
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

#[tokio::test]
async fn no_verification_token_or_password_appears_in_logs_when_signing_up_and_verifying() {
    use reqwest::StatusCode;

    let capture = installed();
    let s = stack(&[]).await;
    let email = common::mail::address("log-signup");
    let weak = "Weak9";
    let chosen = "Signed-Up-Amber-Falcon-Trellis-6620";
    let origin = [("origin", common::ORIGIN)];
    let mut bodies = Vec::new();
    for (password, status) in [
        (weak, StatusCode::BAD_REQUEST),
        (chosen, StatusCode::ACCEPTED),
    ] {
        let body = json!({"email": email, "password": password});
        let a = s.post("/users/signup", &origin, Some(body)).await;
        assert_eq!(a.status, status, "{}", a.text);
        bodies.push(a.text);
    }
    let mail = common::mail::newest_to(&email).await;
    let token = common::mail::link_token(&mail.text, "verify").unwrap();
    for status in [StatusCode::OK, StatusCode::BAD_REQUEST] {
        let a = s
            .post(
                "/users/verify-email",
                &origin,
                Some(json!({"token": token})),
            )
            .await;
        assert_eq!(a.status, status, "{}", a.text);
        bodies.push(a.text);
    }
    let signed_in = s.user_signin(&email, chosen).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    bodies.push(signed_in.text);

    let logs = capture.text();
    for event in ["user_signup", "email_sent", "email_verify"] {
        assert!(logs.contains(event), "the {event} events were captured");
    }
    for secret in [
        token.as_str(),
        weak,
        chosen,
        mail.text.as_str(),
        email.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    for b in &bodies {
        for secret in [token.as_str(), weak, chosen] {
            assert!(!b.contains(secret), "a secret reached an answer body: {b}");
        }
    }
}

#[tokio::test]
async fn no_reset_token_password_or_address_appears_in_logs_when_resetting_a_password() {
    use gatehouse::credentials::users::UserKind;
    use reqwest::StatusCode;

    let capture = installed();
    let s = stack(&[]).await;
    let ann = s.person(UserKind::Creator).await;
    let email = ann.email.as_ref().unwrap().shown().to_owned();
    let unknown = common::mail::address("log-nobody");
    let origin = [("origin", common::ORIGIN)];
    let mut bodies = Vec::new();
    for address in [&email, &unknown] {
        let body = json!({"email": address});
        let a = s.post("/users/password/forgot", &origin, Some(body)).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
        bodies.push(a.text);
    }
    let mail = common::mail::newest_to(&email).await;
    let token = common::mail::link_token(&mail.text, "reset").unwrap();
    let weak = "Weak9";
    let chosen = "Reset-Amber-Falcon-Trellis-7731";
    for (password, status) in [
        (weak, StatusCode::BAD_REQUEST),
        (chosen, StatusCode::OK),
        (chosen, StatusCode::BAD_REQUEST),
    ] {
        let body = json!({"token": token, "new_password": password});
        let a = s.post("/users/password/reset", &origin, Some(body)).await;
        assert_eq!(a.status, status, "{}", a.text);
        bodies.push(a.text);
    }
    let notice = common::mail::wait_for(&email, 2).await.pop().unwrap();

    let logs = capture.text();
    for event in ["password_forgot", "email_sent", "password_reset"] {
        assert!(logs.contains(event), "the {event} events were captured");
    }
    for secret in [
        token.as_str(),
        weak,
        chosen,
        common::USER_PASSWORD,
        mail.text.as_str(),
        notice.text.as_str(),
        email.as_str(),
        unknown.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    for b in &bodies {
        for secret in [token.as_str(), weak, chosen, email.as_str()] {
            assert!(!b.contains(secret), "a secret reached an answer body: {b}");
        }
    }
}

#[tokio::test]
async fn without_email_from_the_users_function_starts_and_warns_naming_email_from_and_signup_mode()
{
    let capture = installed();
    let warnings = || {
        capture
            .text()
            .lines()
            .filter(|l| l.contains("EMAIL_FROM is empty"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let before = warnings().len();
    let sdk = common::sdk().await;
    let dynamodb = gatehouse::adapters::sdk::dynamodb(&sdk);
    let ses = gatehouse::adapters::sdk::sesv2(&sdk);
    let sm = gatehouse::adapters::sdk::secretsmanager(&sdk);
    // With a sender: no warning.
    let with = common::config("gatehouse-log-test", &[]);
    let _users = gatehouse::adapters::lambda::LambdaUsers::new(
        with,
        dynamodb.clone(),
        ses.clone(),
        sm.clone(),
    );
    assert_eq!(warnings().len(), before);
    let without = common::config("gatehouse-log-test", &[("EMAIL_FROM", "")]);
    let _users = gatehouse::adapters::lambda::LambdaUsers::new(without, dynamodb, ses, sm);
    let lines = warnings();
    assert_eq!(lines.len(), before + 1, "one warning at start");
    let line = lines.last().unwrap();
    assert!(
        line.contains("WARN") && line.contains("SIGNUP_MODE"),
        "{line}"
    );
}

/// A sign-in through a provider (README "Single sign-on") logs none of its secrets: the
/// authorization code, the state, the browser's SSO cookie, the client secret, the
/// provider's tokens, the one-time code or the session; the answers carry none of the
/// provider's. A refused id_token is logged by its reason only.
#[tokio::test]
async fn no_code_token_or_secret_appears_in_logs_when_signing_in_through_a_provider() {
    use common::sso::{CLIENT_SECRET, fragment, location, param, setup};
    use reqwest::StatusCode;

    let capture = installed();
    let sso = setup(&[]).await;
    let started = sso.start("/").await;
    let answer = sso.callback_answer(&started, Some(&started.cookie)).await;
    let code = fragment(&location(&answer), "sso_code").expect("a one-time code");
    let redeemed = sso.redeem(&code).await;
    assert_eq!(redeemed.status, StatusCode::OK, "{}", redeemed.text);
    let again = sso.redeem(&code).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);
    sso.idp
        .control(json!({"token": {"claims": {"aud": "someone-else"}}}))
        .await;
    let refused = sso.start("/").await;
    let refusal = sso.callback_answer(&refused, Some(&refused.cookie)).await;
    let to = location(&refusal);
    assert_eq!(
        fragment(&to, "sso_error").as_deref(),
        Some("invalid_id_token")
    );

    let stats = sso.idp.stats().await;
    let issued: Vec<String> = serde_json::from_value(stats["issued"].clone()).unwrap();
    assert_eq!(issued.len(), 4, "two access tokens and two id_tokens");
    let value = |cookie: &str| cookie.split_once('=').unwrap().1.to_owned();
    let mut secrets = issued.clone();
    for flow in [&started, &refused] {
        secrets.push(param(&flow.callback, "code").unwrap());
        secrets.push(param(&flow.callback, "state").unwrap());
        secrets.push(value(&flow.cookie));
    }
    secrets.extend([
        code,
        value(&redeemed.cookie().unwrap()),
        CLIENT_SECRET.to_owned(),
    ]);
    let logs = capture.text();
    for event in ["sso_start", "sso_signin", "user_signin"] {
        assert!(logs.contains(event), "the {event} events were captured");
    }
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    for a in [&answer, &redeemed, &again, &refusal] {
        let text = format!("{:?} {}", a.headers, a.text);
        for secret in issued.iter().map(String::as_str).chain([CLIENT_SECRET]) {
            assert!(!text.contains(secret), "a provider secret was answered");
        }
    }
}

/// An account provisioned through a provider (`auto_create`, README "Single sign-on",
/// provisioning) is one `sso_provisioned` line naming the provider, the new user's id
/// and what was done; neither its e-mail address nor any code, token or secret of the
/// sign-in is logged.
#[tokio::test]
async fn an_sso_provisioned_account_logs_its_id_never_its_address_or_the_sign_ins_secrets() {
    use common::sso::{CLIENT_SECRET, fragment, param, setup};
    use reqwest::{Method, StatusCode};

    let capture = installed();
    let sso = setup(&[]).await;
    let body = json!({"id": "fake", "provisioning": "auto_create", "default_kind": "creator"});
    let a = sso
        .s
        .call(&sso.admin, Method::POST, "/admin/idps/update", Some(body))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let email = "provisioned.person@corp.example";
    let profile = json!({"sub": "sub-new-person", "email": email, "email_verified": true,
        "preferred_username": "Provisioned.Person", "name": "Provisioned Person"});
    sso.idp.control(json!({ "profile": profile })).await;
    let started = sso.start("/").await;
    let to = sso.callback(&started, Some(&started.cookie)).await;
    let code = fragment(&to, "sso_code").expect("a one-time code");
    let redeemed = sso.redeem(&code).await;
    assert_eq!(redeemed.status, StatusCode::OK, "{}", redeemed.text);
    let user_id = redeemed.body["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(redeemed.body["user"]["email"], email);

    let logs = capture.text();
    let line = logs
        .lines()
        .find(|l| l.contains("sso_provisioned") && l.contains(&user_id))
        .expect("one sso_provisioned line for the new user");
    assert!(
        line.contains("\"idp\":\"fake\"") && line.contains("\"action\":\"created\""),
        "{line}"
    );
    let stats = sso.idp.stats().await;
    let mut secrets: Vec<String> = serde_json::from_value(stats["issued"].clone()).unwrap();
    secrets.extend([
        param(&started.callback, "code").unwrap(),
        param(&started.callback, "state").unwrap(),
        started.cookie.split_once('=').unwrap().1.to_owned(),
        code,
        CLIENT_SECRET.to_owned(),
        email.to_owned(),
    ]);
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "{secret} reached the logs");
    }
}
