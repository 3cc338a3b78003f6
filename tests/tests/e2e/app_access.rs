//! App access decided by the authorizer (README "Applications and sharing"): the
//! decision table through every event shape, written out as docs/ACCESS-MATRIX.md; a
//! removed grant within `GRANT_CACHE_TTL` on an injected clock; malformed ids and path
//! tricks; throttled grant reads; the demo route through the gateway.

use std::time::Duration;

use gatehouse::adapters::lambda::{LambdaAuthorizer, invoke};
use gatehouse::authz::RouteRules;
use gatehouse::credentials::apps::{App, AppGrant, AppStore, Visibility};
use gatehouse::credentials::users::UserKind;
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::primitives::cache::ManualClock;
use gatehouse::primitives::time::now_epoch;
use gatehouse::records::access::Function;
use gatehouse_e2e::{self as common, ORIGIN, Stack};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

const PUBLIC: &str = "matrix-public";
const SHARED: &str = "matrix-shared";
const MISSING: &str = "matrix-missing";
/// The header rule's route (a custom rule next to the default path rule).
const HEADER_ROUTE: &str = "/reports";

/// The rules of the matrix: the defaults (whose `GET /apps/{app_id}/data` takes the id
/// from the path) and one rule taking it from `x-gatehouse-app-id`.
fn matrix_rules() -> String {
    let mut rules: Vec<Value> = RouteRules::default_rules()
        .rules()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let header = json!({"method": "GET", "path": HEADER_ROUTE, "principals": "any",
        "scope": "client", "app": {"header": "x-gatehouse-app-id"}});
    rules.insert(0, header);
    Value::Array(rules).to_string()
}

/// How a credential travels.
#[derive(Clone, Debug)]
enum Cred {
    None,
    Key(String),
    Bearer(String),
    Cookie(String),
}

/// Where the app id goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    Path,
    Header,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Path => "`GET /apps/{app_id}/data` (`app: {\"path_param\": \"app_id\"}`)",
            Rule::Header => "`GET /reports` (`app: {\"header\": \"x-gatehouse-app-id\"}`)",
        }
    }
}

/// The event shapes (payload 2.0 twice: simple and IAM answers).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    HttpSimple,
    HttpIam,
    RestRequest,
    RestToken,
}

const SHAPES: [Shape; 4] = [
    Shape::HttpSimple,
    Shape::HttpIam,
    Shape::RestRequest,
    Shape::RestToken,
];

fn arn(method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/prod/{method}{path}")
}

/// The request headers a credential and an app id header make.
fn headers(cred: &Cred, app_header: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![("origin", ORIGIN.to_owned())];
    match cred {
        Cred::None => {}
        Cred::Key(k) => h.push(("x-api-key", k.clone())),
        Cred::Bearer(t) => h.push(("authorization", format!("Bearer {t}"))),
        Cred::Cookie(c) => h.push(("cookie", c.clone())),
    }
    if let Some(id) = app_header {
        h.push(("x-gatehouse-app-id", id.to_owned()));
    }
    h
}

/// One request in `shape`: `GET path` on the route template `template` with these
/// bound parameters (the path decides where the template is `None`).
fn event(
    shape: Shape,
    template: Option<&str>,
    path: &str,
    params: &[(&str, &str)],
    cred: &Cred,
    app_header: Option<&str>,
) -> Value {
    let params: Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let hs = headers(cred, app_header);
    match shape {
        Shape::HttpSimple | Shape::HttpIam => {
            let mut e = common::fixture("http-v2-request.json", "");
            common::set_route(&mut e, "GET", path);
            let key = template.map_or("$default".to_owned(), |t| format!("GET {t}"));
            e["routeKey"] = json!(key);
            e["requestContext"]["routeKey"] = json!(key);
            e["pathParameters"] = Value::Object(params);
            let mut map = Map::new();
            let mut cookies = Vec::new();
            for (k, v) in hs {
                match k {
                    "cookie" => cookies.push(json!(v)),
                    _ => drop(map.insert(k.to_owned(), json!(v))),
                }
            }
            e["headers"] = Value::Object(map);
            e["cookies"] = Value::Array(cookies);
            e
        }
        Shape::RestRequest => {
            let mut e = common::fixture("rest-request.json", "");
            e["methodArn"] = json!(arn("GET", path));
            e["path"] = json!(path);
            e["resource"] = json!(template.unwrap_or("/{proxy+}"));
            e["pathParameters"] = Value::Object(params);
            let single: Map<String, Value> =
                hs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            let multi: Map<String, Value> = hs
                .iter()
                .map(|(k, v)| (k.to_string(), json!([v])))
                .collect();
            e["headers"] = Value::Object(single);
            e["multiValueHeaders"] = Value::Object(multi);
            e
        }
        Shape::RestToken => {
            let token = match cred {
                Cred::None => String::new(),
                Cred::Key(k) => k.clone(),
                Cred::Bearer(t) => format!("Bearer {t}"),
                // An operator who made the Cookie header the token source.
                Cred::Cookie(c) => c.clone(),
            };
            json!({"type": "TOKEN", "authorizationToken": token, "methodArn": arn("GET", path)})
        }
    }
}

/// The allowed context, or `None` for a deny (a REST `TOKEN` event without a
/// credential is the `Unauthorized` error, a deny too).
async fn decide(a: &LambdaAuthorizer, e: Value) -> Option<Map<String, Value>> {
    let v = match invoke(a, e).await {
        Ok(v) => v,
        Err(err) if err.to_string() == "Unauthorized" => return None,
        Err(err) => panic!("authorizer error: {err}"),
    };
    let allowed =
        v["isAuthorized"] == true || v["policyDocument"]["Statement"][0]["Effect"] == "Allow";
    allowed.then(|| v["context"].as_object().cloned().unwrap_or_default())
}

/// The request of one matrix cell.
fn cell_event(shape: Shape, rule: Rule, app: &str, cred: &Cred) -> Value {
    match rule {
        Rule::Path => {
            let path = format!("/apps/{app}/data");
            let t = Some("/apps/{app_id}/data").filter(|_| shape != Shape::RestToken);
            event(shape, t, &path, &[("app_id", app)], cred, None)
        }
        Rule::Header => {
            let t = Some(HEADER_ROUTE).filter(|_| shape != Shape::RestToken);
            event(shape, t, HEADER_ROUTE, &[], cred, Some(app))
        }
    }
}

/// One row of the decision table: a principal, its credential on the public and on the
/// shared app, the app id it asks for, and the expected access on each (`None`: denied).
struct Row {
    who: &'static str,
    creds: [Cred; 2],
    app: [&'static str; 2],
    expect: [Option<&'static str>; 2],
}

/// The cell's expected outcome for this shape and rule: a REST `TOKEN` event carries no
/// `Origin` (cookies and widget tokens, honoured only from an allowed one, are denied)
/// and no header (the header rule denies everything).
fn expected(row: &Row, i: usize, shape: Shape, rule: Rule) -> Option<&'static str> {
    let origin_bound = matches!(row.creds[i], Cred::Cookie(_)) || row.expect[i] == Some("token");
    if shape == Shape::RestToken && (origin_bound || rule == Rule::Header) {
        return None;
    }
    row.expect[i]
}

fn app(id: &str, owner: &str, visibility: Visibility) -> App {
    App::new(id, owner, id, visibility, now_epoch())
}

/// A grant with row-level permissions (the context carries them).
fn grant(app: &str, user: &str, owner: &str) -> AppGrant {
    let permissions = json!([{"dataset_id": "sales", "record_permissions":
        [{"security_name": "region", "values": ["emea"]}]}]);
    AppGrant {
        app_id: app.into(),
        user_id: user.into(),
        permissions: Some(serde_json::from_value(permissions).unwrap()),
        asset_permissions: None,
        granted_by: owner.into(),
        created_at: now_epoch(),
    }
}

/// The principals of the table, their credentials and the apps they were given.
async fn rows(s: &Stack) -> Vec<Row> {
    let (owner, owner_cookie) = s.signed_in(UserKind::Creator).await;
    let (_, other_creator) = s.signed_in(UserKind::Creator).await;
    let (granted, granted_cookie) = s.signed_in(UserKind::EndUser).await;
    let (_, stranger) = s.signed_in(UserKind::EndUser).await;
    let (revoked, revoked_cookie) = s.signed_in(UserKind::EndUser).await;
    s.store
        .create_app(&app(PUBLIC, &owner.id, Visibility::Public))
        .await
        .unwrap();
    s.store
        .create_app(&app(SHARED, &owner.id, Visibility::Shared))
        .await
        .unwrap();
    for id in [PUBLIC, SHARED] {
        for user in [&granted.id, &revoked.id] {
            s.store
                .put_grant(&grant(id, user, &owner.id))
                .await
                .unwrap();
        }
        assert!(s.store.remove_grant(id, &revoked.id).await.unwrap());
    }
    let token = |appid: &'static str| async move {
        let a = s
            .security_token_answer(json!({"userid": "w", "appid": appid,
                "permissions": [{"dataset_id": "own", "record_permissions": []}]}))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        Cred::Bearer(a.body["token"].as_str().unwrap().to_owned())
    };
    let session = |appid: &'static str| async move {
        let temp = s
            .temp_token_for(json!({"userid": "w", "appid": appid}))
            .await;
        let a = s.login(&temp).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        Cred::Cookie(a.cookie().unwrap())
    };
    let both = |c: &Cred| [c.clone(), c.clone()];
    let key = Cred::Key(s.key.clone());
    let apps = [PUBLIC, SHARED];
    let row = |who, creds, expect| Row {
        who,
        creds,
        app: apps,
        expect,
    };
    vec![
        row("no credential", both(&Cred::None), [None, None]),
        row("API key", both(&key), [Some("key"), Some("key")]),
        Row {
            app: [MISSING, MISSING],
            ..row("API key, app does not exist", both(&key), [None, None])
        },
        row(
            "widget token for this app",
            [token(PUBLIC).await, token(SHARED).await],
            [Some("token"), Some("token")],
        ),
        row(
            "widget token for another app",
            both(&token("other-app").await),
            [None, None],
        ),
        row(
            "widget session for this app",
            [session(PUBLIC).await, session(SHARED).await],
            [Some("token"), Some("token")],
        ),
        row(
            "creator, owner",
            both(&Cred::Cookie(owner_cookie)),
            [Some("owner"), Some("owner")],
        ),
        row(
            "creator, not the owner",
            both(&Cred::Cookie(other_creator)),
            [Some("public"), None],
        ),
        row(
            "end user, granted",
            both(&Cred::Cookie(granted_cookie)),
            [Some("public"), Some("grant")],
        ),
        row(
            "end user, not granted",
            both(&Cred::Cookie(stranger)),
            [Some("public"), None],
        ),
        row(
            "end user, grant removed",
            both(&Cred::Cookie(revoked_cookie)),
            [Some("public"), None],
        ),
        row(
            "client_credentials token",
            both(&Cred::Bearer(s.client_token().await)),
            [None, None],
        ),
        row(
            "`host_user` token",
            both(&Cred::Bearer(s.code_token().await)),
            [None, None],
        ),
    ]
}

/// The authorizer over the stack's table, answering in `mode`.
async fn authorizer(s: &Stack, mode: &str) -> LambdaAuthorizer {
    let rules = matrix_rules();
    let vars = [
        ("SIGNING_KEYS_SECRET_ARN", s.ring.as_str()),
        ("ISSUER", s.url.as_str()),
        ("ROUTE_RULES", rules.as_str()),
        ("AUTHORIZER_RESPONSE", mode),
    ];
    let config = common::config(s.store.table(), &vars);
    let store = common::as_function(&s.store, Function::Authorizer);
    Authorizer::new(&config, store, common::secrets().await)
}

/// What a backend receives on an allowed cell: the principal's own context (as on
/// `GET /whoami`) with the app id, why, and the permissions of the decision.
async fn expected_context(
    a: &LambdaAuthorizer,
    cred: &Cred,
    app: &str,
    access: &str,
    granted: &Option<String>,
) -> Map<String, Value> {
    let whoami = event(
        Shape::HttpSimple,
        Some("/whoami"),
        "/whoami",
        &[],
        cred,
        None,
    );
    let mut ctx = decide(a, whoami).await.expect("the credential is valid");
    ctx.insert("app_id".into(), json!(app));
    ctx.insert("app_access".into(), json!(access));
    if access != "token" {
        ctx.remove("permissions");
        ctx.remove("asset_permissions");
    }
    if access == "grant" {
        ctx.insert("permissions".into(), json!(granted.clone().unwrap()));
    }
    ctx
}

/// One principal's row of the rendered table: its access on the public and the shared
/// app, per event-shape column (HTTP API, REST REQUEST, REST TOKEN).
type Seen = [[Option<&'static str>; 3]; 2];

/// The table rendered for operators: one section per app-bearing rule.
fn render(cells: &[(Rule, &str, Seen)]) -> String {
    let mut out = String::from(
        "# Access matrix\n\n\
         Generated by `app_access::the_access_matrix_holds_cell_by_cell_on_every_event_shape` \
         (`make access-matrix` rewrites it; the test fails when this file differs from what \
         the code decides). Each cell is the authorizer's answer on an app-bearing rule: \
         `allow (<app_access>)` or `deny`, for an app that is public or shared, on HTTP API \
         payload 2.0 events (simple and IAM answers alike), REST `REQUEST` and REST `TOKEN` \
         events. README \"Applications and sharing\" explains each access and the context the \
         backend receives.\n",
    );
    for rule in [Rule::Path, Rule::Header] {
        out.push_str(&format!("\n## {}\n\n", rule.name()));
        out.push_str("| principal | public: HTTP API | public: REST REQUEST | public: REST TOKEN | shared: HTTP API | shared: REST REQUEST | shared: REST TOKEN |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for (r, who, vis) in cells.iter().filter(|c| c.0 == rule) {
            let _ = r;
            let text = |c: &Option<&str>| c.map_or("deny".to_owned(), |a| format!("allow ({a})"));
            let cols: Vec<String> = vis.iter().flat_map(|s| s.iter().map(text)).collect();
            out.push_str(&format!("| {who} | {} |\n", cols.join(" | ")));
        }
    }
    out
}

/// Every principal × visibility × app-bearing rule × event shape, asserted cell by
/// cell (allow or deny, and the exact context), then compared with the committed
/// docs/ACCESS-MATRIX.md (`GATEHOUSE_WRITE_MATRIX=1` rewrites it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_matrix_holds_cell_by_cell_on_every_event_shape() {
    let s = Stack::full().start().await;
    let rows = rows(&s).await;
    let simple = authorizer(&s, "simple").await;
    let iam = authorizer(&s, "iam").await;
    let granted = grant(SHARED, "-", "-")
        .permissions
        .map(|p| serde_json::to_string(&p).unwrap());
    let mut cells = Vec::new();
    for rule in [Rule::Path, Rule::Header] {
        for row in &rows {
            let mut seen: Seen = [[None; 3]; 2];
            for (i, seen) in seen.iter_mut().enumerate() {
                for shape in SHAPES {
                    let a = if shape == Shape::HttpIam {
                        &iam
                    } else {
                        &simple
                    };
                    let e = cell_event(shape, rule, row.app[i], &row.creds[i]);
                    let got = decide(a, e).await;
                    let want = expected(row, i, shape, rule);
                    let at = format!("{} / {} / {shape:?} / {:?}", row.who, row.app[i], rule);
                    match want {
                        None => assert_eq!(got, None, "{at}: denied"),
                        Some(access) => {
                            let ctx = expected_context(
                                &simple,
                                &row.creds[i],
                                row.app[i],
                                access,
                                &granted,
                            )
                            .await;
                            assert_eq!(got, Some(ctx), "{at}: allowed with exactly this context");
                        }
                    }
                    let col = match shape {
                        Shape::HttpSimple | Shape::HttpIam => 0,
                        Shape::RestRequest => 1,
                        Shape::RestToken => 2,
                    };
                    seen[col] = want;
                }
            }
            cells.push((rule, row.who, seen));
        }
    }
    let doc = render(&cells);
    let path = format!("{}/../docs/ACCESS-MATRIX.md", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("GATEHOUSE_WRITE_MATRIX").is_ok() {
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/ACCESS-MATRIX.md differs from what the authorizer decides: run `make access-matrix`"
    );
}

const TTL: Duration = Duration::from_secs(30);
const SEC: Duration = Duration::from_secs(1);

/// One step of an interleaving.
#[derive(Clone, Copy, Debug)]
enum Step {
    Grant,
    Revoke,
    /// A request, and whether it must be allowed.
    Read(bool),
    /// The clock moves on.
    Wait(Duration),
}

/// A removed grant stops within `GRANT_CACHE_TTL` on an injected clock: in each
/// interleaving below, a revoke at t is denied at t + TTL + 1 s at the latest (and a
/// new grant starts within the same bound; absent grants are cached too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_grant_stops_within_the_grant_cache_ttl_in_each_interleaving() {
    use Step::*;
    let after = TTL + SEC;
    let interleavings: [(&str, Vec<Step>); 5] = [
        (
            "grant, read (cached), revoke, read (still cached), read at t+TTL+1",
            vec![
                Grant,
                Read(true),
                Revoke,
                Read(true),
                Wait(after),
                Read(false),
            ],
        ),
        (
            "grant, revoke before any read: denied at once and after",
            vec![Grant, Revoke, Read(false), Wait(after), Read(false)],
        ),
        (
            "read (absent cached), grant, read (absent still cached), read at t+TTL+1",
            vec![Read(false), Grant, Read(false), Wait(after), Read(true)],
        ),
        (
            "grant, read, wait TTL-1, revoke, read (cached), read at t+TTL+1",
            vec![
                Grant,
                Read(true),
                Wait(TTL - SEC),
                Revoke,
                Read(true),
                Wait(after),
                Read(false),
            ],
        ),
        (
            "grant, read, revoke, grant again, read at t+TTL+1, revoke, read at t+TTL+1",
            vec![
                Grant,
                Read(true),
                Revoke,
                Grant,
                Wait(after),
                Read(true),
                Revoke,
                Wait(after),
                Read(false),
            ],
        ),
    ];
    let s = Stack::builder().api_key().start().await;
    let (owner, _) = s.signed_in(UserKind::Creator).await;
    for (i, (what, steps)) in interleavings.iter().enumerate() {
        let id = format!("ttl-{i}");
        s.store
            .create_app(&app(&id, &owner.id, Visibility::Shared))
            .await
            .unwrap();
        let (user, cookie) = s.signed_in(UserKind::EndUser).await;
        let clock = ManualClock::new();
        let a = Authorizer::new(
            &common::config(s.store.table(), &[]),
            common::as_function(&s.store, Function::Authorizer),
            common::secrets().await,
        )
        .with_grant_clock(TTL, clock.clock());
        let path = format!("/apps/{id}/data");
        let read = || {
            let cred = Cred::Cookie(cookie.clone());
            let params = [("app_id", id.as_str())];
            event(
                Shape::HttpSimple,
                Some("/apps/{app_id}/data"),
                &path,
                &params,
                &cred,
                None,
            )
        };
        for (n, step) in steps.iter().enumerate() {
            match *step {
                Grant => s
                    .store
                    .put_grant(&grant(&id, &user.id, &owner.id))
                    .await
                    .unwrap(),
                Revoke => assert!(s.store.remove_grant(&id, &user.id).await.unwrap()),
                Wait(d) => clock.advance(d),
                Read(allowed) => {
                    let got = decide(&a, read()).await.is_some();
                    assert_eq!(got, allowed, "{what}: step {n} ({step:?})");
                }
            }
        }
    }
}

/// With `GRANT_CACHE_TTL=0` a removed grant stops at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_zero_grant_cache_ttl_a_removed_grant_stops_at_once() {
    let s = Stack::builder().api_key().start().await;
    let (owner, _) = s.signed_in(UserKind::Creator).await;
    let (user, cookie) = s.signed_in(UserKind::EndUser).await;
    s.store
        .create_app(&app("zero-ttl", &owner.id, Visibility::Shared))
        .await
        .unwrap();
    let a = Authorizer::new(
        &common::config(s.store.table(), &[("GRANT_CACHE_TTL", "0")]),
        common::as_function(&s.store, Function::Authorizer),
        common::secrets().await,
    );
    let read = || {
        let params = [("app_id", "zero-ttl")];
        let cred = Cred::Cookie(cookie.clone());
        event(
            Shape::HttpSimple,
            Some("/apps/{app_id}/data"),
            "/apps/zero-ttl/data",
            &params,
            &cred,
            None,
        )
    };
    s.store
        .put_grant(&grant("zero-ttl", &user.id, &owner.id))
        .await
        .unwrap();
    assert!(decide(&a, read()).await.is_some());
    assert!(s.store.remove_grant("zero-ttl", &user.id).await.unwrap());
    assert_eq!(decide(&a, read()).await, None, "denied on the next request");
}

/// A raw `GET` (the URL crate would normalize dot segments and encodings away).
async fn raw_get(url: &str, target: &str, headers: &[(&str, &str)]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Malformed app ids and path tricks never open an app: the local gateway answers 404
/// before any function runs, and the authorizer, given such events directly (as a
/// `$default` or greedy route would send them), denies them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_ids_and_path_tricks_are_404_at_the_gateway_and_denied_by_the_authorizer() {
    let s = Stack::builder().api_key().start().await;
    let (owner, _) = s.signed_in(UserKind::Creator).await;
    s.store
        .create_app(&app("trick", &owner.id, Visibility::Shared))
        .await
        .unwrap();
    let key = [("x-api-key", s.key.as_str())];
    assert_eq!(
        raw_get(&s.url, "/apps/trick/data", &key).await,
        200,
        "the app itself"
    );
    for target in [
        "/apps//data",
        "/apps/%2e%2e/data",
        "/apps/..%2Ftrick/data",
        "/apps/trick%2Fx/data",
        "/apps/trick/data/",
        "/APPS/trick/data",
        "/apps/trick/DATA",
        "/apps/trick/../trick/data",
        "//apps/trick/data",
    ] {
        assert_eq!(raw_get(&s.url, target, &key).await, 404, "{target}");
    }
    let a = authorizer(&s, "simple").await;
    let cred = Cred::Key(s.key.clone());
    let on_template = |id: &str| {
        let path = format!("/apps/{id}/data");
        event(
            Shape::HttpSimple,
            Some("/apps/{app_id}/data"),
            &path,
            &[("app_id", id)],
            &cred,
            None,
        )
    };
    assert!(decide(&a, on_template("trick")).await.is_some());
    // Bound values API Gateway would never bind, and ids outside the format or
    // differing only by case from the app's.
    for id in [
        "..",
        ".",
        "",
        "a/b",
        "TRICK",
        "Trick",
        "trick ",
        "tr%69ck",
        &"x".repeat(65),
    ] {
        assert_eq!(decide(&a, on_template(id)).await, None, "{id:?}");
    }
    // Where the path decides (`$default`, REST TOKEN): encoded dots and slashes,
    // empty segments, dot segments and case aliases of the rule.
    for path in [
        "/apps/%2e%2e/data",
        "/apps/%2E%2E/data",
        "/apps/trick%2fx/data",
        "/apps//data",
        "/apps/./data",
        "/apps/../apps/trick/data",
        "/APPS/trick/data",
        "/apps/trick/Data",
        "/apps/trick/data/",
    ] {
        for shape in [Shape::HttpSimple, Shape::RestToken] {
            let e = event(shape, None, path, &[], &cred, None);
            assert_eq!(decide(&a, e).await, None, "{path} ({shape:?})");
        }
    }
}

/// Throttled (and failing) app and grant reads are an authorizer error at the gateway
/// (500), never an Allow; the same request is allowed once DynamoDB answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_grant_and_app_reads_fail_closed_at_the_gateway() {
    use gatehouse_e2e::faults::{self as kit, FaultProxy, Wiring, dynamodb_error};
    let proxy = FaultProxy::start(&common::require_env("AWS_ENDPOINT_URL_DYNAMODB"));
    let mut w = Wiring::emulators().await;
    w.dynamodb = kit::dynamodb_at(&proxy.url).await;
    let s = Stack::builder()
        .api_key()
        .via(w)
        .env(&[("GRANT_CACHE_TTL", "0")])
        .start()
        .await;
    let (owner, _) = s.signed_in(UserKind::Creator).await;
    let (user, cookie) = s.signed_in(UserKind::EndUser).await;
    // No id ends in `app`, so `"app#` names only app reads and `grant#` only grants.
    s.store
        .create_app(&app("fault1", &owner.id, Visibility::Shared))
        .await
        .unwrap();
    s.store
        .put_grant(&grant("fault1", &user.id, &owner.id))
        .await
        .unwrap();
    let open = || async {
        s.get(
            "/apps/fault1/data",
            &[("origin", ORIGIN), ("cookie", &cookie)],
        )
        .await
    };
    let a = open().await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["app_access"], "grant");
    for only in ["grant#", "\"app#"] {
        for code in [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
        ] {
            proxy.set(dynamodb_error(400, code), Some(only));
            let a = open().await;
            assert_eq!(
                a.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{only} {code}: {}",
                a.text
            );
        }
        proxy.set(dynamodb_error(500, "InternalServerError"), Some(only));
        assert_eq!(
            open().await.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{only} 500"
        );
        proxy.set(gatehouse_e2e::faults::Fault::None, None);
        assert_eq!(open().await.status, StatusCode::OK, "{only}: recovered");
    }
}

/// The demo route through the gateway: each caller gets the decided app context, and
/// a user without a grant is refused before the backend runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_app_route_echoes_the_decided_context_through_the_gateway() {
    let s = Stack::builder().api_key().start().await;
    let (owner, owner_cookie) = s.signed_in(UserKind::Creator).await;
    let (user, user_cookie) = s.signed_in(UserKind::EndUser).await;
    let (_, stranger) = s.signed_in(UserKind::EndUser).await;
    s.store
        .create_app(&app("demo1", &owner.id, Visibility::Shared))
        .await
        .unwrap();
    s.store
        .put_grant(&grant("demo1", &user.id, &owner.id))
        .await
        .unwrap();
    async fn get(s: &Stack, cookie: &str) -> gatehouse_e2e::Answer {
        let headers = [("origin", ORIGIN), ("cookie", cookie)];
        s.get("/apps/demo1/data", &headers).await
    }
    let a = get(&s, &owner_cookie).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        (a.body["app_id"].as_str(), a.body["app_access"].as_str()),
        (Some("demo1"), Some("owner"))
    );
    let a = get(&s, &user_cookie).await;
    assert_eq!(a.body["app_access"], "grant", "{}", a.text);
    let permissions: Value = serde_json::from_str(a.body["permissions"].as_str().unwrap()).unwrap();
    assert_eq!(
        permissions[0]["record_permissions"][0]["values"],
        json!(["emea"])
    );
    assert_eq!(get(&s, &stranger).await.status, StatusCode::FORBIDDEN);
    let a = s.get("/apps/demo1/data", &[("x-api-key", &s.key)]).await;
    assert_eq!(a.body["app_access"], "key", "{}", a.text);
    assert_eq!(
        s.get("/apps/nope1/data", &[("x-api-key", &s.key)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// `POST /admin/apps/explain` gives the authorizer's own decision: the rule, the
/// visibility, the grant and the context, agreeing with what the gateway does for the
/// same user and route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_gives_the_authorizers_decision_and_context() {
    use reqwest::Method;
    let s = Stack::builder().admin_signin().start().await;
    let admin = s.admin(&common::iam_user(true).await).await;
    let (owner, _) = s.signed_in(UserKind::Creator).await;
    let (viewer, viewer_cookie) = s.signed_in(UserKind::EndUser).await;
    let (stranger, stranger_cookie) = s.signed_in(UserKind::EndUser).await;
    s.store
        .create_app(&app("explain1", &owner.id, Visibility::Shared))
        .await
        .unwrap();
    s.store
        .put_grant(&grant("explain1", &viewer.id, &owner.id))
        .await
        .unwrap();
    let explain =
        |user: &str, route: &str| json!({"app_id": "explain1", "user_id": user, "route": route});
    let ask = |body: Value| s.call(&admin, Method::POST, "/admin/apps/explain", Some(body));
    let route = "GET /apps/explain1/data";
    let a = ask(explain(&viewer.id, route)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["decision"], "allow");
    assert_eq!(a.body["rule"]["path"], "/apps/{app_id}/data");
    assert_eq!(a.body["rule"]["app"], json!({"path_param": "app_id"}));
    assert_eq!(
        (
            a.body["visibility"].as_str(),
            a.body["requested_app_id"].as_str()
        ),
        (Some("shared"), Some("explain1"))
    );
    assert_eq!(a.body["grant"]["user_id"], viewer.id.as_str());
    // The context is what the backend receives through the gateway (less the session's
    // expiry, which only a real session has).
    let through = s
        .get(
            "/apps/explain1/data",
            &[("origin", ORIGIN), ("cookie", &viewer_cookie)],
        )
        .await;
    let mut ctx = a.body["context"].clone();
    for k in [
        "app_id",
        "app_access",
        "permissions",
        "subject",
        "principal_type",
        "scopes",
    ] {
        assert_eq!(ctx[k], through.body[k], "{k}");
    }
    assert!(ctx.as_object_mut().unwrap().remove("expires_at").is_none());
    let a = ask(explain(&stranger.id, route)).await;
    assert_eq!(
        (a.body["decision"].as_str(), a.body["reason"].as_str()),
        (Some("deny"), Some("no_grant")),
        "{}",
        a.text
    );
    assert!(a.body.get("context").is_none() && a.body.get("grant").is_none());
    let through = s
        .get(
            "/apps/explain1/data",
            &[("origin", ORIGIN), ("cookie", &stranger_cookie)],
        )
        .await;
    assert_eq!(through.status, StatusCode::FORBIDDEN);
    // A route no app rule decides; a route naming another app; a user who does not exist.
    let a = ask(explain(&viewer.id, "GET /whoami")).await;
    assert_eq!(
        (a.body["decision"].as_str(), a.body["rule"]["path"].as_str()),
        (Some("allow"), Some("/whoami")),
        "{}",
        a.text
    );
    assert!(a.body.get("requested_app_id").is_none());
    let a = ask(explain(&viewer.id, "GET /apps/other/data")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    let a = ask(explain("AAAAAAAAAAAAAAAA", route)).await;
    assert_eq!(
        (a.status, a.body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_not_found"))
    );
    let a = ask(explain(&viewer.id, "GET /apps/%2e%2e/data")).await;
    assert_eq!(
        (a.body["decision"].as_str(), a.body["reason"].as_str()),
        (Some("deny"), Some("suspicious_path")),
        "{}",
        a.text
    );
}
