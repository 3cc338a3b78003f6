//! Widget embedding end to end through the local gateway: temp tokens and cookie
//! sessions, widget security tokens, origin binding, CORS.

use gatehouse_e2e::{self as common, ORIGIN, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn stack() -> Stack {
    stack_with(&[]).await
}

async fn stack_with(extra: &[(&str, &str)]) -> Stack {
    let builder = Stack::builder()
        .api_key()
        .clients(json!([common::CLIENT_SECRET]));
    builder
        .env(&[("ISSUER", "{gateway}")])
        .env(extra)
        .start()
        .await
}

/// A widget credential can never call the issuing routes.
async fn assert_cannot_issue(s: &Stack, headers: &[(&str, &str)]) {
    for path in ["/widget/generateToken", "/widget/login/token"] {
        let body = json!({"userid": "x", "appid": "a"});
        let a = s.post(path, headers, Some(body)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn temp_token_opens_one_session_with_the_specified_cookie() {
    let s = stack().await;
    let token = s
        .temp_token_for(
            json!({"userid": "u1", "appid": "a1", "orgId": "o1", "expirationTime": "2h"}),
        )
        .await;
    let now = gatehouse::primitives::time::now_epoch();
    let a = s.login(&token).await;
    let cookie = a.cookie();
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["userid"], "u1");
    let exp = a.body["expires_at"].as_i64().unwrap();
    assert!(
        (now + 7200..=now + 7202).contains(&exp),
        "session lifetime follows expirationTime"
    );
    let set = a.set_cookie().unwrap();
    let id = cookie.clone().unwrap();
    assert_eq!(
        set,
        format!("{id}; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=7200")
    );
    assert!(id.starts_with("__Host-gh_session="));
    // Single use.
    let again = s.login(&token).await;
    let c2 = again.cookie();
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(c2.is_none());
    // The session works from the allowed origin only.
    let cookie = cookie.unwrap();
    let ok = s
        .get("/whoami", &[("cookie", &cookie), ("origin", ORIGIN)])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["principal_type"], "widget_session");
    assert_eq!(ok.body["subject"], "u1");
    assert_eq!(ok.body["app_id"], "a1");
    assert_eq!(ok.body["org_id"], "o1");
    assert_eq!(ok.body["scopes"], "client");
    assert_eq!(
        s.get("/display", &[("cookie", &cookie), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        s.get("/whoami", &[("cookie", &cookie)]).await.status,
        StatusCode::FORBIDDEN,
        "missing Origin"
    );
    assert_eq!(
        s.get(
            "/whoami",
            &[("cookie", &cookie), ("origin", "https://evil.example")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // A cookie never issues widget credentials.
    assert_cannot_issue(&s, &[("cookie", &cookie), ("origin", ORIGIN)]).await;
    // Logout: the session is deleted at once and the cookie cleared the same way.
    let out = s
        .post(
            "/widget/logout",
            &[("cookie", &cookie), ("origin", ORIGIN)],
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    assert_eq!(
        out.set_cookie().unwrap(),
        "__Host-gh_session=; Secure; HttpOnly; SameSite=None; Partitioned; Path=/; Max-Age=0"
    );
    assert_eq!(
        s.get("/whoami", &[("cookie", &cookie), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn expired_and_malformed_temp_tokens_are_rejected() {
    let s = stack().await;
    let token = gatehouse::primitives::crypto::random_id();
    let temp = gatehouse::credentials::widget::TempToken {
        user: gatehouse::credentials::widget::WidgetUser {
            userid: "u".into(),
            app_id: None,
            client_id: None,
            org_id: None,
        },
        session_ttl: 3600,
        expires_at: gatehouse::primitives::time::now_epoch() - 1,
    };
    use gatehouse::credentials::widget::SessionStore;
    s.store
        .put_temp_token(
            &gatehouse::primitives::crypto::sha256_hex(token.as_bytes()),
            &temp,
        )
        .await
        .unwrap();
    assert_eq!(
        s.login(&token).await.status,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
    assert_eq!(s.login("short").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.login(&gatehouse::primitives::crypto::random_id())
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "unknown"
    );
    // From another origin, even a valid token is refused (and not consumed).
    let valid = s.temp_token_for(json!({"userid": "u"})).await;
    let a = s
        .post(
            "/widget/loginToken",
            &[
                ("origin", "https://evil.example"),
                ("authorization", &valid),
            ],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let b = s
        .post(
            "/widget/loginToken",
            &[("origin", ORIGIN)],
            Some(json!({"token": valid})),
        )
        .await;
    assert_eq!(b.status, StatusCode::OK, "JSON body form works: {}", b.body);
}

#[tokio::test]
async fn expired_session_is_rejected() {
    let s = stack().await;
    let token = s
        .temp_token_for(json!({"userid": "u", "expirationTime": "1s"}))
        .await;
    let a = s.login(&token).await;
    let cookie = a.cookie();
    assert!(a.set_cookie().unwrap().ends_with("Max-Age=1"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = s
        .get(
            "/whoami",
            &[("cookie", &cookie.unwrap()), ("origin", ORIGIN)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let wrong = format!(
        "__Host-gh_session={}",
        gatehouse::primitives::crypto::random_id()
    );
    assert_eq!(
        s.get("/whoami", &[("cookie", &wrong), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn security_token_carries_the_widget_configuration() {
    let s = stack().await;
    let perms = json!([{"dataset_id": "d1", "operator": "OR", "record_permissions": [
        {"security_name": "region", "validation_type": "EQUAL", "values": ["EU"]}
    ]}]);
    let assets = json!({"dashboards": {"ids": ["dash-1"]}});
    let a = s
        .security_token_answer(json!({
            "userid": "u9", "appid": "app", "clientid": "c", "orgId": "org", "dashboardId": "dash-1",
            "expiresIn": "10m", "permissions": perms, "asset_permissions": assets
        }))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["domain"], s.url);
    let token = a.body["token"].as_str().unwrap();
    let bearer = format!("Bearer {token}");
    let ok = s
        .get("/whoami", &[("authorization", &bearer), ("origin", ORIGIN)])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let p = &ok.body;
    assert_eq!(p["principal_type"], "widget_token");
    assert_eq!(p["subject"], "u9");
    assert_eq!(p["app_id"], "app");
    assert_eq!(p["client_id"], "c");
    assert_eq!(p["org_id"], "org");
    assert_eq!(p["dashboard_id"], "dash-1");
    assert_eq!(p["scopes"], "client");
    assert_eq!(
        serde_json::from_str::<Value>(p["permissions"].as_str().unwrap()).unwrap(),
        perms
    );
    assert_eq!(
        serde_json::from_str::<Value>(p["asset_permissions"].as_str().unwrap()).unwrap(),
        assets
    );
    // Origin binding.
    assert_eq!(
        s.get("/whoami", &[("authorization", &bearer)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.get(
            "/whoami",
            &[
                ("authorization", &bearer),
                ("origin", "https://evil.example")
            ]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Scope client only; never issues widget credentials.
    assert_eq!(
        s.get("/stats", &[("authorization", &bearer), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_cannot_issue(&s, &[("authorization", &bearer), ("origin", ORIGIN)]).await;
}

#[tokio::test]
async fn access_tokens_and_widget_tokens_are_never_confused() {
    let s = stack().await;
    let form =
        "grant_type=client_credentials&client_id=1&client_secret=6a1f0c9e4b7d2a58c3e9f0b1d4a7c2e5";
    let resp = s
        .http
        .post(format!("{}/token", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let access: Value = resp.json().await.unwrap();
    let access = format!("Bearer {}", access["access_token"].as_str().unwrap());
    let who = s
        .get("/whoami", &[("authorization", &access), ("origin", ORIGIN)])
        .await;
    assert_eq!(
        who.body["principal_type"], "client",
        "an access token is never a widget token"
    );
    let widget = s
        .security_token_answer(json!({"userid": "u", "appid": "a"}))
        .await;
    let widget = format!("Bearer {}", widget.body["token"].as_str().unwrap());
    let who = s
        .get("/whoami", &[("authorization", &widget), ("origin", ORIGIN)])
        .await;
    assert_eq!(
        who.body["principal_type"], "widget_token",
        "a widget token is never an access token"
    );
    assert_eq!(
        s.get("/stats", &[("authorization", &widget), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn security_token_requests_are_validated() {
    let s = stack().await;
    let cases = [
        (
            json!({"userid": "u", "appid": "a", "origins": ["https://evil.example"]}),
            "origins",
        ),
        (
            json!({"userid": "u", "appid": "a", "origins": ["*"]}),
            "origins",
        ),
        (
            json!({"userid": "u", "appid": "a", "expiresIn": "2d"}),
            "expiresIn",
        ),
        (
            json!({"userid": "u", "appid": "a", "expiresIn": "soon"}),
            "expiresIn",
        ),
        (json!({"userid": "u"}), "appid"),
        (json!({"userid": "u", "appid": "a", "admin": true}), "admin"),
        (
            json!({"userid": "u", "appid": "a", "permissions": [{"dataset_id": "d"}]}),
            "record_permissions",
        ),
        (
            json!({"userid": "u", "appid": "a", "permissions": [{"dataset_id": "d", "operator": "NAND", "record_permissions": []}]}),
            "permissions[0].operator",
        ),
        (
            json!({"userid": "u", "appid": "a", "asset_permissions": {"dashboards": ["x"]}}),
            "asset_permissions.dashboards",
        ),
    ];
    for (body, field) in cases {
        let a = s.security_token_answer(body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            a.body["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            a.body
        );
    }
    let a = s
        .post(
            "/widget/generateToken",
            &[("x-api-key", &s.key)],
            Some(json!({"userid": "u", "expirationTime": "25h"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // A narrower key (scope client) cannot issue.
    let narrow = common::api_key(&s.store, Some(&["client"]), None).await;
    let a = s
        .post(
            "/widget/login/token",
            &[("x-api-key", &narrow)],
            Some(json!({"userid": "u", "appid": "a"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn expired_security_token_is_rejected() {
    let s = stack().await;
    let a = s
        .security_token_answer(json!({"userid": "u", "appid": "a", "expiresIn": 3}))
        .await;
    let bearer = format!("Bearer {}", a.body["token"].as_str().unwrap());
    assert_eq!(
        s.get("/whoami", &[("authorization", &bearer), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(
        s.get("/whoami", &[("authorization", &bearer), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn cors_preflights_and_responses() {
    let s = stack().await;
    for path in ["/widget/loginToken", "/whoami", "/widget/logout"] {
        let ok = s
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", s.url))
            .header("origin", ORIGIN)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        assert_eq!(ok.headers()["access-control-allow-origin"], ORIGIN);
        assert_eq!(ok.headers()["access-control-allow-credentials"], "true");
        assert!(ok.headers()["vary"].to_str().unwrap().contains("Origin"));
        let bad = s
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", s.url))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(bad.headers().get("access-control-allow-origin").is_none());
        assert!(
            bad.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
    }
    let token = s.temp_token_for(json!({"userid": "u"})).await;
    let a = s.login(&token).await;
    assert_eq!(a.headers["access-control-allow-origin"], ORIGIN);
    assert_ne!(a.headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn lifetimes_follow_the_configuration() {
    let s = stack_with(&[
        ("WIDGET_TEMP_TOKEN_TTL", "1"),
        ("WIDGET_MAX_LIFETIME", "600"),
    ])
    .await;
    let token = s.temp_token_for(json!({"userid": "u"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        s.login(&token).await.status,
        StatusCode::UNAUTHORIZED,
        "temp token expired"
    );
    let a = s
        .security_token_answer(json!({"userid": "u", "appid": "a", "expiresIn": "1h"}))
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "beyond WIDGET_MAX_LIFETIME"
    );
    let a = s
        .security_token_answer(json!({"userid": "u", "appid": "a", "expiresIn": "10m"}))
        .await;
    assert_eq!(a.status, StatusCode::OK);
}

/// Without `expiresIn` / `expirationTime`, the 1-hour default is cut to a lower
/// `WIDGET_MAX_LIFETIME`, for security tokens and for sessions alike.
#[tokio::test]
async fn default_lifetime_never_exceeds_widget_max_lifetime() {
    let s = stack_with(&[("WIDGET_MAX_LIFETIME", "600")]).await;
    let a = s
        .security_token_answer(json!({"userid": "u", "appid": "a"}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["expires_in"], 600);
    let token = s.temp_token_for(json!({"userid": "u"})).await;
    let a = s.login(&token).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.set_cookie().unwrap().ends_with("Max-Age=600"));
}

/// A configuration whose token would be larger than the authorizer accepts is refused
/// when the token is asked for, naming the limit.
#[tokio::test]
async fn widget_token_larger_than_the_authorizer_accepts_is_refused() {
    let s = stack().await;
    let values: Vec<String> = (0..700).map(|i| format!("region-{i:04}")).collect();
    let perms = json!([{"dataset_id": "d1", "record_permissions": [
        {"security_name": "region", "values": values}
    ]}]);
    let body = json!({"userid": "u", "appid": "a", "permissions": perms});
    assert!(body.to_string().len() < gatehouse::requests::body::MAX_BODY_BYTES);
    let a = s.security_token_answer(body).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let limit = gatehouse::credentials::jwt::MAX_TOKEN_LEN.to_string();
    assert!(
        a.body["message"].as_str().unwrap().contains(&limit),
        "{}",
        a.body
    );
    // Just under the limit, the token is issued and works at the authorizer.
    let values: Vec<String> = (0..300).map(|i| format!("region-{i:04}")).collect();
    let perms = json!([{"dataset_id": "d1", "record_permissions": [
        {"security_name": "region", "values": values}
    ]}]);
    let a = s
        .security_token_answer(json!({"userid": "u", "appid": "a", "permissions": perms}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let bearer = format!("Bearer {}", a.body["token"].as_str().unwrap());
    assert_eq!(
        s.get("/whoami", &[("authorization", &bearer), ("origin", ORIGIN)])
            .await
            .status,
        StatusCode::OK
    );
}

/// A second allowed embedding origin.
const OTHER: &str = "http://localhost:3002";

/// Writes a widget session as releases before the origin binding did: no `origin`.
async fn legacy_session(store: &gatehouse::adapters::DynamoStore, userid: &str) -> String {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let id = gatehouse::primitives::crypto::random_id();
    let pk = format!(
        "{}{}",
        gatehouse::records::prefix::SESSION,
        gatehouse::primitives::crypto::sha256_hex(id.as_bytes())
    );
    let now = gatehouse::primitives::time::now_epoch();
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", S(pk))
        .item("userid", S(userid.into()))
        .item("created_at", N(now.to_string()))
        .item("expires_at", N((now + 600).to_string()))
        .send()
        .await
        .unwrap();
    format!("__Host-gh_session={id}")
}

/// A session is honoured only from the origin `loginToken` was called from; a session
/// written before sessions remembered their origin, from any allowed origin.
#[tokio::test]
async fn a_session_is_honoured_only_from_the_origin_it_was_opened_from() {
    let both = format!("{ORIGIN},{OTHER}");
    let s = stack_with(&[("ALLOWED_ORIGINS", &both)]).await;
    let token = s.temp_token_for(json!({"userid": "u"})).await;
    let a = s.login(&token).await;
    let cookie = a.cookie();
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let cookie = cookie.unwrap();
    let from = |origin: &'static str| {
        let cookie = cookie.clone();
        let s = &s;
        async move {
            s.get("/whoami", &[("cookie", &cookie), ("origin", origin)])
                .await
                .status
        }
    };
    assert_eq!(from(ORIGIN).await, StatusCode::OK);
    assert_eq!(from("HTTP://LOCALHOST:3001").await, StatusCode::OK);
    assert_eq!(
        from(OTHER).await,
        StatusCode::FORBIDDEN,
        "another allowed origin is not the session's"
    );

    let legacy = legacy_session(&s.store, "old").await;
    for origin in [ORIGIN, OTHER] {
        let a = s
            .get("/whoami", &[("cookie", &legacy), ("origin", origin)])
            .await;
        assert_eq!(a.status, StatusCode::OK, "{origin}: {}", a.body);
        assert_eq!(a.body["subject"], "old");
    }
    assert_eq!(
        s.get(
            "/whoami",
            &[("cookie", &legacy), ("origin", "https://evil.example")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "a legacy session still needs an allowed origin"
    );
}

/// The admin session list shows the origin a widget session is bound to (`null` for a
/// session written before the binding).
#[tokio::test]
async fn admin_session_list_shows_the_widget_session_origin() {
    let s = common::admin::stack(&[]).await;
    let key = common::api_key(&s.store, None, None).await;
    let temp = s
        .send_json(
            reqwest::Method::POST,
            "/widget/generateToken",
            &[("x-api-key", &key)],
            Some(json!({"userid": "bound-user"})),
        )
        .await;
    let temp = temp.body["token"].as_str().unwrap();
    let login = s
        .send(
            reqwest::Method::POST,
            "/widget/loginToken",
            &[("origin", ORIGIN), ("authorization", temp)],
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    legacy_session(&s.store, "legacy-user").await;
    let member = common::iam_user(true).await;
    let admin = s.admin(&member).await;
    let list = s
        .call(&admin, reqwest::Method::GET, "/admin/sessions", None)
        .await;
    let origin_of = |user: &str| {
        list.body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "widget" && x["user"] == user)
            .map(|x| x["origin"].clone())
    };
    assert_eq!(
        origin_of("bound-user"),
        Some(json!(ORIGIN)),
        "{}",
        list.body
    );
    assert_eq!(origin_of("legacy-user"), Some(Value::Null), "{}", list.body);
}
