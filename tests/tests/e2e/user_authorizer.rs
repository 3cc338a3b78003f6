//! The user session cookie at the authorizer, on every event shape it reads (HTTP API
//! 2.0 with simple and IAM answers, REST `REQUEST`, REST `TOKEN`), with users and
//! sessions created through the library in DynamoDB Local: the Origin rule before the
//! one read, the principal and its context, both cookies settled by the route's rule,
//! disabled users, expired sessions and malformed cookies.

use gatehouse::adapters::DynamoStore;
use gatehouse::adapters::lambda::{LambdaAuthorizer, invoke};
use gatehouse::authz::{SESSION_COOKIE, USER_COOKIE};
use gatehouse::credentials::users::{
    Email, NewUser, User, UserKind, UserSession, UserStore, Username, create_user, disable_user,
};
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::primitives::crypto::{random_id, sha256_hex};
use gatehouse::primitives::time::now_epoch;
use gatehouse::records::access::Function;
use gatehouse_e2e::{self as common, ORIGIN};
use secrecy::SecretString;
use serde_json::{Value, json};

const FOREIGN: &str = "https://evil.example";

/// The authorizer over one table in both answer modes of payload 2.0 (REST events
/// answer with a policy in either), and the table as the bootstrap sees it.
struct Setup {
    /// The admin function's store (the bootstrap's role): users and sessions.
    store: DynamoStore,
    simple: LambdaAuthorizer,
    iam: LambdaAuthorizer,
}

/// An authorizer for a table, answering payload-2.0 events in `mode`.
async fn authorizer(store: DynamoStore, mode: &str) -> LambdaAuthorizer {
    let config = common::config(store.table(), &[("AUTHORIZER_RESPONSE", mode)]);
    Authorizer::new(&config, store, common::secrets().await)
}

async fn setup() -> Setup {
    let store = common::fresh_store().await;
    let own = || common::as_function(&store, Function::Authorizer);
    Setup {
        simple: authorizer(own(), "simple").await,
        iam: authorizer(own(), "iam").await,
        store,
    }
}

/// An authorizer whose DynamoDB is a closed port: any read is an error, so a denial
/// proves the check came before the read.
async fn unreachable(mode: &str) -> LambdaAuthorizer {
    let client = common::unreachable_dynamodb().await;
    authorizer(
        DynamoStore::new(client, "gatehouse", Function::Authorizer),
        mode,
    )
    .await
}

/// An active user of `kind` with `roles`, created the one way users are created.
async fn user(store: &DynamoStore, name: &str, kind: UserKind, roles: &[&str]) -> User {
    let config = common::config(store.table(), &[]);
    let new = NewUser {
        username: Some(Username::parse(name).unwrap()),
        email: Some(Email::parse(&format!("{name}@example.com")).unwrap()),
        email_verified: true,
        display_name: None,
        kind,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password: Some(SecretString::from(random_id())),
        created_by: "bootstrap".into(),
    };
    create_user(store, &config.passwords(), new, now_epoch())
        .await
        .unwrap()
}

/// Opens a session of `user` that expires at `expires_at`; its cookie value.
async fn open(store: &DynamoStore, user: &User, expires_at: i64) -> String {
    let id = random_id();
    let user = store.get_user(&user.id).await.unwrap().unwrap();
    let session = UserSession {
        user_id: user.id.clone(),
        kind: user.kind,
        roles: user.roles.clone(),
        created_at: now_epoch(),
        expires_at,
    };
    let change = user.open_session(sha256_hex(id.as_bytes()), session);
    assert!(store.change_sessions(&change).await.unwrap());
    id
}

/// A widget session for user `u`, opened from [`ORIGIN`] (a temp token redeemed); its
/// cookie value.
async fn widget_session(store: &DynamoStore) -> String {
    use gatehouse::credentials::widget::{SessionStore, TempToken, WidgetUser};
    let (temp, id) = (random_id(), random_id());
    let sha = |s: &str| sha256_hex(s.as_bytes());
    let user = WidgetUser {
        userid: "u".into(),
        app_id: None,
        client_id: None,
        org_id: None,
    };
    let now = now_epoch();
    let token = TempToken {
        user,
        session_ttl: 600,
        expires_at: now + 60,
    };
    store.put_temp_token(&sha(&temp), &token).await.unwrap();
    store
        .redeem_temp_token(&sha(&temp), &sha(&id), ORIGIN, now)
        .await
        .unwrap()
        .unwrap();
    id
}

/// What the authorizer answered to one event, and the reason it logged for a denial.
struct Outcome {
    shape: &'static str,
    answer: Result<Value, String>,
    reason: Option<String>,
}

impl Outcome {
    fn allowed(&self) -> bool {
        self.answer.as_ref().is_ok_and(|v| {
            v["isAuthorized"] == true || v["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        })
    }

    /// A denial: `isAuthorized: false`, a Deny policy, or the `Unauthorized` error (401)
    /// of a REST event without a credential. A dependency error is none of these.
    fn denied(&self) -> bool {
        match &self.answer {
            Ok(v) => {
                v["isAuthorized"] == false
                    || v["policyDocument"]["Statement"][0]["Effect"] == "Deny"
            }
            Err(e) => e == "Unauthorized",
        }
    }

    fn context(&self) -> &Value {
        &self.answer.as_ref().unwrap()["context"]
    }

    /// Denied, for `reason`.
    fn assert_denied(&self, reason: &str, what: &str) {
        assert!(self.denied(), "{what} {}: {:?}", self.shape, self.answer);
        assert_eq!(
            self.reason.as_deref(),
            Some(reason),
            "{what} {}",
            self.shape
        );
    }
}

/// One event through `a`, with the log lines of its request captured.
async fn outcome(a: &LambdaAuthorizer, shape: &'static str, event: Value) -> Outcome {
    let logs = common::logs::Captured::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    let answer = invoke(a, event).await.map_err(|e| e.to_string());
    drop(guard);
    let reason = logs
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["decision"] == "deny")
        .and_then(|l| l["fields"]["reason"].as_str().map(str::to_owned));
    Outcome {
        shape,
        answer,
        reason,
    }
}

/// `method path` with `cookies` (`name=value` pairs) and `origin`, in each shape:
/// payload 2.0 (to the simple and the IAM authorizer), REST `REQUEST` (a `Cookie`
/// header) and REST `TOKEN`, whose one token cannot be a cookie: it carries the pairs
/// as if the token source were the `Cookie` header.
fn events(method: &str, path: &str, cookies: &[String], origin: Option<&str>) -> [Value; 3] {
    let arn = format!("arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/prod/{method}{path}");
    let mut v2 = common::fixture("http-v2-request.json", "");
    v2["headers"].as_object_mut().unwrap().remove("x-api-key");
    common::set_route(&mut v2, method, path);
    let mut v2_cookies = vec![json!("theme=dark")];
    v2_cookies.extend(cookies.iter().map(|c| json!(c)));
    v2["cookies"] = json!(v2_cookies);
    let mut rest = common::fixture("rest-request.json", "");
    for headers in ["headers", "multiValueHeaders"] {
        let h = rest[headers].as_object_mut().unwrap();
        h.remove("X-Api-Key");
        let cookie = json!(cookies.join("; "));
        let origin = origin.map(|o| json!(o));
        let (cookie, origin) = match headers {
            "headers" => (cookie, origin),
            _ => (json!([cookie]), origin.map(|o| json!([o]))),
        };
        if !cookies.is_empty() {
            h.insert("Cookie".into(), cookie);
        }
        if let Some(o) = origin {
            h.insert("Origin".into(), o);
        }
    }
    if let Some(o) = origin {
        v2["headers"]["origin"] = json!(o);
    }
    rest["methodArn"] = json!(arn);
    rest["resource"] = json!(path);
    rest["path"] = json!(path);
    rest["httpMethod"] = json!(method);
    rest["requestContext"]["resourcePath"] = json!(path);
    rest["requestContext"]["httpMethod"] = json!(method);
    let mut token = common::fixture("rest-token.json", &cookies.join("; "));
    token["methodArn"] = json!(arn);
    [v2, rest, token]
}

impl Setup {
    /// The outcome of `method path` in every shape.
    async fn outcomes(
        &self,
        method: &str,
        path: &str,
        cookies: &[String],
        origin: Option<&str>,
    ) -> Vec<Outcome> {
        through(&self.simple, &self.iam, method, path, cookies, origin).await
    }
}

/// The outcome of `method path` in every shape, payload 2.0 through `simple` and `iam`.
async fn through(
    simple: &LambdaAuthorizer,
    iam: &LambdaAuthorizer,
    method: &str,
    path: &str,
    cookies: &[String],
    origin: Option<&str>,
) -> Vec<Outcome> {
    let [v2, rest, token] = events(method, path, cookies, origin);
    vec![
        outcome(simple, "http-v2 simple", v2.clone()).await,
        outcome(iam, "http-v2 iam", v2).await,
        outcome(simple, "rest-request", rest).await,
        outcome(simple, "rest-token", token).await,
    ]
}

fn user_cookie(id: &str) -> String {
    format!("{USER_COOKIE}={id}")
}

/// A creator's and an end user's cookie are honoured from an allowed Origin in every
/// shape that carries cookies, with the user's principal in the context (roles flat,
/// omitted when there are none); the REST `TOKEN` event carries no cookie and is denied.
#[tokio::test]
async fn user_cookies_are_allowed_from_an_allowed_origin_in_every_shape() {
    let s = setup().await;
    let expires = now_epoch() + 3600;
    let creator = user(
        &s.store,
        "ann",
        UserKind::Creator,
        &["analyst", "team-lead"],
    )
    .await;
    let end_user = user(&s.store, "bob", UserKind::EndUser, &[]).await;
    let cases = [
        (
            &creator,
            "creator",
            "data client",
            Some("analyst team-lead"),
        ),
        (&end_user, "end_user", "client", None),
    ];
    for (u, kind, scopes, roles) in cases {
        let cookie = [user_cookie(&open(&s.store, u, expires).await)];
        for (method, path) in [
            ("GET", "/users/me"),
            ("POST", "/users/signout"),
            ("GET", "/whoami"),
        ] {
            for o in s.outcomes(method, path, &cookie, Some(ORIGIN)).await {
                let what = format!("{kind} {method} {path} {}", o.shape);
                if o.shape == "rest-token" {
                    assert!(o.denied(), "{what}: {:?}", o.answer);
                    continue;
                }
                assert!(o.allowed(), "{what}: {:?}", o.answer);
                let ctx = o.context();
                assert_eq!(ctx["principal_type"], kind, "{what}");
                assert_eq!(ctx["subject"], u.id.as_str(), "{what}");
                assert_eq!(ctx["user_kind"], kind, "{what}");
                assert_eq!(ctx["scopes"], scopes, "{what}");
                assert_eq!(ctx["expires_at"], expires, "{what}");
                assert_eq!(ctx.get("roles").and_then(Value::as_str), roles, "{what}");
                for absent in ["app_id", "client_id", "key_id", "permissions"] {
                    assert!(ctx.get(absent).is_none(), "{what}: {absent}");
                }
                assert!(
                    ctx.as_object()
                        .unwrap()
                        .values()
                        .all(|v| v.is_string() || v.is_number()),
                    "{what}: flat"
                );
                if o.shape != "http-v2 simple" {
                    assert_eq!(o.answer.as_ref().unwrap()["principalId"], u.id.as_str());
                }
            }
        }
        // Scope `data` (any other GET): the creator's, not the end user's.
        for o in s.outcomes("GET", "/stats", &cookie, Some(ORIGIN)).await {
            match (kind, o.shape) {
                (_, "rest-token") => assert!(o.denied(), "{kind} {}", o.shape),
                ("creator", _) => assert!(o.allowed(), "{kind} {}: {:?}", o.shape, o.answer),
                _ => o.assert_denied("insufficient_scope", kind),
            }
        }
        // The widget routes admit no user.
        for o in s
            .outcomes("POST", "/widget/logout", &cookie, Some(ORIGIN))
            .await
        {
            if o.shape != "rest-token" {
                o.assert_denied("credential_not_allowed", kind);
            }
        }
    }
}

/// A user cookie from a foreign Origin, or with none, is denied in every shape, before
/// the session is read (an authorizer whose DynamoDB is unreachable denies too).
#[tokio::test]
async fn user_cookies_from_a_foreign_or_missing_origin_are_denied_before_the_read() {
    let s = setup().await;
    let u = user(&s.store, "ann", UserKind::Creator, &[]).await;
    let cookie = [user_cookie(&open(&s.store, &u, now_epoch() + 3600).await)];
    let (simple, iam) = (unreachable("simple").await, unreachable("iam").await);
    for origin in [Some(FOREIGN), Some("null"), None] {
        let real = s.outcomes("GET", "/users/me", &cookie, origin).await;
        let no_store = through(&simple, &iam, "GET", "/users/me", &cookie, origin).await;
        for o in real.iter().chain(&no_store) {
            let what = format!("origin {origin:?}");
            match o.shape {
                // The token is no cookie: malformed, whatever the origin.
                "rest-token" => o.assert_denied("malformed_credential", &what),
                _ => o.assert_denied("wrong_origin", &what),
            }
        }
    }
    // The control: from the allowed Origin the unreachable store is asked, and fails
    // closed.
    let v2 = events("GET", "/users/me", &cookie, Some(ORIGIN));
    let err = invoke(&simple, v2[0].clone()).await.unwrap_err();
    assert_eq!(err.to_string(), "temporarily_unavailable");
}

/// Both cookies: a rule that admits widget sessions takes the widget cookie, a rule for
/// users only the user cookie, and a rule that admits neither is ambiguous.
#[tokio::test]
async fn both_cookies_are_settled_by_the_routes_rule() {
    let s = setup().await;
    let u = user(&s.store, "ann", UserKind::Creator, &["analyst"]).await;
    let user_id = open(&s.store, &u, now_epoch() + 3600).await;
    let widget_id = widget_session(&s.store).await;
    let both = [
        format!("{SESSION_COOKIE}={widget_id}"),
        user_cookie(&user_id),
    ];
    let reversed = [both[1].clone(), both[0].clone()];
    for cookies in [&both, &reversed] {
        for (method, path) in [("GET", "/display"), ("POST", "/widget/logout")] {
            for o in s.outcomes(method, path, cookies, Some(ORIGIN)).await {
                let what = format!("{method} {path} {}", o.shape);
                if o.shape == "rest-token" {
                    assert!(o.denied(), "{what}");
                    continue;
                }
                assert!(o.allowed(), "{what}: {:?}", o.answer);
                assert_eq!(o.context()["principal_type"], "widget_session", "{what}");
                assert_eq!(o.context()["subject"], "u", "{what}");
            }
        }
        for o in s.outcomes("GET", "/users/me", cookies, Some(ORIGIN)).await {
            if o.shape == "rest-token" {
                assert!(o.denied(), "{}", o.shape);
                continue;
            }
            assert!(o.allowed(), "{}: {:?}", o.shape, o.answer);
            assert_eq!(o.context()["principal_type"], "creator", "{}", o.shape);
            assert_eq!(o.context()["subject"], u.id.as_str());
            assert_eq!(o.context()["roles"], "analyst");
        }
        for (method, path) in [("POST", "/widget/generateToken"), ("DELETE", "/stats")] {
            for o in s.outcomes(method, path, cookies, Some(ORIGIN)).await {
                if o.shape != "rest-token" {
                    o.assert_denied("ambiguous_credentials", &format!("{method} {path}"));
                }
            }
        }
    }
}

/// Disabling a user deletes its sessions: the next request with the cookie is denied.
#[tokio::test]
async fn a_disabled_users_cookie_is_denied() {
    let s = setup().await;
    let u = user(&s.store, "ann", UserKind::EndUser, &[]).await;
    let cookie = [user_cookie(&open(&s.store, &u, now_epoch() + 3600).await)];
    for o in s.outcomes("GET", "/users/me", &cookie, Some(ORIGIN)).await {
        assert!(o.allowed() || o.shape == "rest-token", "{}", o.shape);
    }
    assert!(disable_user(&s.store, &u.id).await.unwrap());
    for o in s.outcomes("GET", "/users/me", &cookie, Some(ORIGIN)).await {
        if o.shape != "rest-token" {
            o.assert_denied("unknown_key", "disabled");
        }
    }
}

/// A session past its `expires_at` is denied, though DynamoDB has not deleted it yet.
#[tokio::test]
async fn an_expired_user_session_is_denied() {
    let s = setup().await;
    let u = user(&s.store, "ann", UserKind::Creator, &[]).await;
    let id = open(&s.store, &u, now_epoch() - 1).await;
    let stored = s.store.get_user(&u.id).await.unwrap().unwrap().sessions;
    assert_eq!(
        stored,
        [sha256_hex(id.as_bytes())],
        "still listed and stored"
    );
    for o in s
        .outcomes("GET", "/users/me", &[user_cookie(&id)], Some(ORIGIN))
        .await
    {
        if o.shape != "rest-token" {
            o.assert_denied("unknown_key", "expired");
        }
    }
}

/// A user cookie that is not an opaque token (43 base64url characters) is denied
/// without a read: an authorizer whose DynamoDB is unreachable denies it as well.
#[tokio::test]
async fn a_malformed_user_cookie_is_denied_without_a_read() {
    let s = setup().await;
    let u = user(&s.store, "ann", UserKind::Creator, &[]).await;
    let id = open(&s.store, &u, now_epoch() + 3600).await;
    let (simple, iam) = (unreachable("simple").await, unreachable("iam").await);
    for bad in [
        format!("{id}A"),
        id[..42].to_owned(),
        format!("{}.", &id[..42]),
        format!("{}%41", &id[..40]),
        String::new(),
        "x".into(),
    ] {
        let cookie = [user_cookie(&bad)];
        let real = s.outcomes("GET", "/users/me", &cookie, Some(ORIGIN)).await;
        let no_store = through(&simple, &iam, "GET", "/users/me", &cookie, Some(ORIGIN)).await;
        for o in real.iter().chain(&no_store) {
            o.assert_denied("malformed_credential", &format!("{bad:?}"));
        }
    }
    // The well-formed cookie still works.
    let v2 = events("GET", "/users/me", &[user_cookie(&id)], Some(ORIGIN));
    assert_eq!(
        invoke(&s.simple, v2[0].clone()).await.unwrap()["isAuthorized"],
        true
    );
}
