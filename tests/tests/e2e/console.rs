//! The admin console's server side end to end (README "Admin console"): its page and
//! assets come through the gateway with the console's headers while every other route
//! keeps its own; its configuration is public and holds nothing secret; `resume` rotates
//! the CSRF token of the admin cookie's session and needs the issuer's `Origin`.

use common::admin::{SERVER_ID, stack};
use gatehouse::http::CONSOLE_CSP;
use gatehouse_e2e as common;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_console_is_served_with_its_headers_and_other_routes_keep_theirs() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    for (path, kind, marker) in [
        (
            "/admin/console",
            "text/html",
            "<title>Gatehouse admin console</title>",
        ),
        (
            "/admin/console/app.js",
            "text/javascript",
            "/admin/console/resume",
        ),
        ("/admin/console/app.css", "text/css", "font"),
        (
            "/admin/console/sigv4.js",
            "text/javascript",
            "AWS4-HMAC-SHA256",
        ),
    ] {
        let a = s.get(path, &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        let h = &a.headers;
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        assert_eq!(h["content-security-policy"], CONSOLE_CSP, "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(a.text.contains(marker), "{path}");
    }
    // The page's own configuration: public, JSON, nothing secret.
    let c = s.get("/admin/console/config", &[]).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(c.body["server_id"], SERVER_ID);
    assert_eq!(c.body["group_name"], common::ADMIN_GROUP);
    assert!(c.body["sts_endpoint"].as_str().unwrap().starts_with("http"));
    assert!(!c.body["region"].as_str().unwrap().is_empty());
    assert_eq!(c.body.as_object().unwrap().len(), 4, "{}", c.body);
    // Every other route keeps its headers.
    let policy = s.get("/users/password-policy", &[]).await;
    for a in [c, s.get("/admin/keys", &[]).await, policy] {
        assert_eq!(
            a.headers["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'"
        );
    }
    // A page of another origin cannot load the console's script either.
    let foreign = s
        .get("/admin/console/app.js", &[("origin", common::ORIGIN)])
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn resume_rotates_the_csrf_token_and_needs_the_issuers_origin() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let own = s.url.clone();
    let resume = async |headers: &[(&str, &str)]| {
        s.send_json(Method::POST, "/admin/console/resume", headers, None)
            .await
    };
    let cookie = ("cookie", admin.cookie.as_str());
    for (headers, why) in [
        (vec![cookie], "no Origin: absent is not enough"),
        (vec![cookie, ("origin", common::ORIGIN)], "another origin"),
        (vec![cookie, ("origin", "null")], "an opaque origin"),
    ] {
        let a = resume(&headers).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{why}: {}", a.text);
    }
    assert_eq!(
        resume(&[("origin", own.as_str())]).await.status,
        StatusCode::UNAUTHORIZED,
        "no session"
    );
    let a = resume(&[cookie, ("origin", own.as_str())]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let fresh = a.body["csrfToken"].as_str().unwrap().to_owned();
    assert_ne!(fresh, admin.csrf);
    assert!(a.body["userName"].is_string() && a.body["expires_at"].is_i64());
    let create = async |csrf: &str| {
        let headers = [cookie, ("x-csrf-token", csrf)];
        let body = json!({"name": "after-resume"});
        s.send_json(Method::POST, "/admin/keys", &headers, Some(body))
            .await
            .status
    };
    assert_eq!(
        create(&admin.csrf).await,
        StatusCode::FORBIDDEN,
        "the old token is dead"
    );
    assert_eq!(create(&fresh).await, StatusCode::OK, "the new one works");
    // A session that ended is never written back.
    let headers = [cookie, ("x-csrf-token", fresh.as_str())];
    let out = s
        .send_json(Method::POST, "/admin/signout", &headers, None)
        .await;
    assert_eq!(out.status, StatusCode::OK);
    let after = resume(&[cookie, ("origin", own.as_str())]).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.text);
    assert!(
        s.items_of(gatehouse::records::prefix::ADMIN)
            .await
            .is_empty(),
        "no session item was recreated"
    );
}

#[tokio::test]
async fn the_cli_hands_off_a_console_session_whose_code_works_once() {
    use crate::admin_e2e::cli_ok;
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let member = common::iam_user(true).await;
    let out = cli_ok(&member, &s.url, &["--json", "console", "--no-open"]).await;
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let link = printed["link"].as_str().unwrap();
    let (page, code) = link.split_once("#handoff=").unwrap();
    assert_eq!(page, format!("{}/admin/console", s.url));
    assert!(!link.contains('?'), "{link}");
    assert_eq!(code.len(), 43, "a 256-bit code");
    let own = s.url.clone();
    let redeem = async |code: &str, origin: Option<&str>| {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
        let body = json!({ "code": code });
        s.send_json(Method::POST, "/admin/console/redeem", &headers, Some(body))
            .await
    };
    // The issuer's Origin, present: absent or another is refused before the code is read.
    assert_eq!(redeem(code, None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        redeem(code, Some(common::ORIGIN)).await.status,
        StatusCode::FORBIDDEN
    );
    let a = redeem(code, Some(&own)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["userName"], member.name.as_str());
    let cookie = a.cookie().unwrap();
    assert!(cookie.starts_with("__Host-gh_admin="));
    let keys = s.get("/admin/keys", &[("cookie", &cookie)]).await;
    assert_eq!(
        keys.status,
        StatusCode::OK,
        "the console's own session works"
    );
    let again = redeem(code, Some(&own)).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "used once: {}",
        again.text
    );
    assert_eq!(again.body["message"], "handoff_invalid_expired_or_used");
}

#[tokio::test]
async fn handoff_codes_expire_and_race_to_one_session() {
    use gatehouse::credentials::admin::AdminStore;
    use gatehouse::primitives::crypto::{random_id, sha256_hex};
    let s = std::sync::Arc::new(stack(&[("ISSUER", "{gateway}")]).await);
    let member = common::iam_user(true).await;
    let now = gatehouse::primitives::time::now_epoch();
    // Expired at its second: `expires_at` itself is too late.
    let expired = random_id();
    let hash = sha256_hex(expired.as_bytes());
    s.store.put_handoff(&hash, &member.name, now).await.unwrap();
    let headers = [("origin", s.url.as_str())];
    let a = s
        .send_json(
            Method::POST,
            "/admin/console/redeem",
            &headers,
            Some(json!({"code": expired})),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    // Twenty redemptions of one live code at once: exactly one session.
    let code = random_id();
    s.store
        .put_handoff(&sha256_hex(code.as_bytes()), &member.name, now + 60)
        .await
        .unwrap();
    let before = s.items_of(gatehouse::records::prefix::ADMIN).await.len();
    let tries: Vec<_> = (0..20)
        .map(|_| {
            let (s, code) = (s.clone(), code.clone());
            tokio::spawn(async move {
                let headers = [("origin", s.url.as_str())];
                let body = Some(json!({ "code": code }));
                s.send_json(Method::POST, "/admin/console/redeem", &headers, body)
                    .await
                    .status
            })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        match t.await.unwrap() {
            StatusCode::OK => won += 1,
            StatusCode::BAD_REQUEST => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        s.items_of(gatehouse::records::prefix::ADMIN).await.len(),
        before + 1
    );
}

/// Signs the committed vector with the Rust signer (the CLI's): its headers, as JSON.
fn rust_signed(input: &serde_json::Value) -> serde_json::Value {
    let s = |k: &str| input[k].as_str().unwrap();
    let creds = aws_credential_types::Credentials::new(
        s("accessKeyId"),
        s("secretAccessKey"),
        Some(s("sessionToken").to_owned()),
        None,
        "golden",
    );
    let epoch = input["epoch"].as_u64().unwrap();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch);
    let req = gatehouse::adapters::presign_with_nonce(
        &creds,
        s("region"),
        s("stsUrl"),
        s("serverId"),
        at,
        s("nonce"),
    )
    .unwrap();
    serde_json::to_value(req).unwrap()
}

#[tokio::test]
async fn the_browser_signer_and_the_rust_signer_agree_on_the_golden_vector() {
    let path = format!("{}/fixtures/sigv4-golden.json", env!("CARGO_MANIFEST_DIR"));
    let vector: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rust = rust_signed(&vector["input"]);
    assert_eq!(
        rust["headers"], vector["headers"],
        "the Rust signer drifted from the vector"
    );
    let browser = browser_signed(&path).await;
    assert_eq!(
        browser, rust,
        "the browser signer signs what the Rust signer signs"
    );
}

/// The console's browser signer run under Node on the `input` of the file at `path`.
async fn browser_signed(path: &str) -> serde_json::Value {
    let script = format!("{}/browser/sigv4_sign.mjs", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("node")
        .args([script.as_str(), path])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_request_signed_by_the_browser_signer_signs_in_against_moto_sts() {
    let s = stack(&[("ISSUER", "{gateway}")]).await;
    let member = common::iam_user(true).await;
    let config = s.get("/admin/console/config", &[]).await.body;
    let now = gatehouse::primitives::time::now_epoch();
    let input = json!({ "input": {
        "accessKeyId": member.key_id,
        "secretAccessKey": member.secret,
        "region": config["region"],
        "stsUrl": config["sts_endpoint"],
        "serverId": config["server_id"],
        "nonce": gatehouse::primitives::crypto::random_base62(32),
        "date": now.to_string(),
    }});
    let file = std::env::temp_dir().join(format!("gatehouse-sign-{}.json", member.name));
    std::fs::write(&file, input.to_string()).unwrap();
    let presigned = browser_signed(file.to_str().unwrap()).await;
    let _ = std::fs::remove_file(&file);
    let a = s.signin(json!({ "presigned": presigned })).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["userName"], member.name.as_str());
    // The same signature again is a replay.
    let again = s.signin(json!({ "presigned": presigned })).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
}
