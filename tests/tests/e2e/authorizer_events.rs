//! The authorizer on each of the four API Gateway event shapes (fixtures of the real
//! shapes), with API keys in DynamoDB Local.

use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use gatehouse::adapters::DynamoStore;
use gatehouse::adapters::lambda::{LambdaAuthorizer, invoke};
use gatehouse::functions::authorizer::Authorizer;
use gatehouse::records::access::Function;
use gatehouse_e2e::{self as common, Stack};
use serde_json::{Value, json};

async fn setup(extra: &[(&str, &str)]) -> (LambdaAuthorizer, String) {
    Stack::builder().api_key().env(extra).authorizer().await
}

fn allowed_policy(v: &Value, arn: &str) {
    assert_eq!(
        v["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{v}"
    );
    assert_eq!(v["policyDocument"]["Statement"][0]["Resource"][0], arn);
    assert_eq!(v["context"]["principal_type"], "api_key");
}

fn denied_policy(v: &Value) {
    assert_eq!(v["policyDocument"]["Statement"][0]["Effect"], "Deny", "{v}");
    assert!(v.get("context").is_none());
}

#[tokio::test]
async fn http_api_simple_response() {
    let (a, key) = setup(&[]).await;
    let v = invoke(&a, common::fixture("http-v2-request.json", &key))
        .await
        .unwrap();
    assert_eq!(v["isAuthorized"], true);
    let ctx = &v["context"];
    assert_eq!(ctx["principal_type"], "api_key");
    assert_eq!(ctx["scopes"], "data client widget:issue");
    assert_eq!(ctx["key_id"], key[3..19]);
    assert!(
        ctx.as_object()
            .unwrap()
            .values()
            .all(|x| x.is_string() || x.is_number())
    );

    let v = invoke(&a, common::fixture("http-v2-request.json", "gk_nope"))
        .await
        .unwrap();
    assert_eq!(v, json!({"isAuthorized": false}));
}

#[tokio::test]
async fn http_api_iam_policy_response() {
    let (a, key) = setup(&[("AUTHORIZER_RESPONSE", "iam")]).await;
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/whoami";
    let v = invoke(&a, common::fixture("http-v2-request.json", &key))
        .await
        .unwrap();
    allowed_policy(&v, arn);
    assert_eq!(v["principalId"], key[3..19]);
    let v = invoke(&a, common::fixture("http-v2-request.json", "gk_nope"))
        .await
        .unwrap();
    denied_policy(&v);
}

#[tokio::test]
async fn rest_token_event() {
    let (a, key) = setup(&[]).await;
    let arn = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/prod/GET/whoami";
    let v = invoke(&a, common::fixture("rest-token.json", &key))
        .await
        .unwrap();
    allowed_policy(&v, arn);
    let wrong = format!("{}{}", &key[..20], "Z".repeat(43));
    denied_policy(
        &invoke(&a, common::fixture("rest-token.json", &wrong))
            .await
            .unwrap(),
    );
    // No credential at all: the error API Gateway turns into 401.
    let err = invoke(&a, common::fixture("rest-token.json", ""))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Unauthorized");
}

#[tokio::test]
async fn rest_request_event() {
    let (a, key) = setup(&[]).await;
    let arn = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/prod/GET/whoami";
    allowed_policy(
        &invoke(&a, common::fixture("rest-request.json", &key))
            .await
            .unwrap(),
        arn,
    );
    // The same header twice is ambiguous, never resolved by picking one.
    let mut e = common::fixture("rest-request.json", &key);
    e["multiValueHeaders"]["X-Api-Key"] = json!([key, key]);
    denied_policy(&invoke(&a, e).await.unwrap());
}

#[tokio::test]
async fn route_rules_apply_to_every_shape() {
    let rules = r#"[{"method":"GET","path":"/stats","principals":"any","scope":"data"}]"#;
    let (a, key) = setup(&[("ROUTE_RULES", rules)]).await;
    let v = invoke(&a, common::fixture("http-v2-request.json", &key))
        .await
        .unwrap();
    assert_eq!(v["isAuthorized"], false);
    denied_policy(
        &invoke(&a, common::fixture("rest-token.json", &key))
            .await
            .unwrap(),
    );
    denied_policy(
        &invoke(&a, common::fixture("rest-request.json", &key))
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn narrow_key_scopes_are_enforced() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, Some(&["client"]), None).await;
    let a = Authorizer::new(
        &common::config(store.table(), &[]),
        common::as_function(&store, Function::Authorizer),
        common::secrets().await,
    );
    let mut e = common::fixture("http-v2-request.json", &key);
    assert_eq!(invoke(&a, e.clone()).await.unwrap()["isAuthorized"], true); // /whoami: any
    common::set_route(&mut e, "GET", "/stats");
    assert_eq!(invoke(&a, e.clone()).await.unwrap()["isAuthorized"], false); // needs data
    common::set_route(&mut e, "POST", "/widget/generateToken");
    assert_eq!(invoke(&a, e).await.unwrap()["isAuthorized"], false); // needs widget:issue
}

#[tokio::test]
async fn malformed_events_are_errors_not_allows() {
    let (a, _) = setup(&[]).await;
    for bad in [
        json!({}),
        json!({"type": "TOKEN"}),
        json!({"version": "2.0"}),
        json!("x"),
    ] {
        assert!(invoke(&a, bad).await.is_err());
    }
}

#[tokio::test]
async fn dynamodb_unreachable_fails_closed_on_every_shape() {
    let store = DynamoStore::new(
        common::unreachable_dynamodb().await,
        "gatehouse",
        Function::Authorizer,
    );
    let a = Authorizer::new(
        &common::config("gatehouse", &[]),
        store,
        common::secrets().await,
    );
    let key = format!("gk_{}_{}", "A".repeat(16), "b".repeat(43));
    for f in [
        "http-v2-request.json",
        "rest-token.json",
        "rest-request.json",
    ] {
        let err = invoke(&a, common::fixture(f, &key)).await.unwrap_err();
        assert_eq!(err.to_string(), "temporarily_unavailable", "{f}");
    }
}

#[tokio::test]
async fn dynamodb_throttling_fails_closed() {
    // A fault DynamoDB Local cannot produce: throttling on every attempt.
    let throttled = mock!(aws_sdk_dynamodb::Client::get_item).then_error(|| {
        GetItemError::ProvisionedThroughputExceededException(
            aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException::builder()
                .message("Rate exceeded")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&throttled]);
    let config = common::config("gatehouse", &[]);
    let a = Authorizer::new(
        &config,
        DynamoStore::new(client, "gatehouse", Function::Authorizer),
        common::secrets().await,
    );
    let key = format!("gk_{}_{}", "A".repeat(16), "b".repeat(43));
    let err = invoke(&a, common::fixture("http-v2-request.json", &key))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "temporarily_unavailable");
    // A throttled lookup is not cached as "unknown key": the next call asks again.
    assert!(throttled.num_calls() >= 1);
    let before = throttled.num_calls();
    let _ = invoke(&a, common::fixture("http-v2-request.json", &key)).await;
    assert!(throttled.num_calls() > before);
}

/// The four event shapes with the route API Gateway matched set to `route` (`$default`,
/// a greedy `ANY /{proxy+}` / `/{proxy+}`, or a concrete path) and the request's real
/// path `path`. REST `TOKEN` events carry only the `methodArn`.
fn shaped_events(key: &str, route: &str, path: &str) -> Vec<(&'static str, Value)> {
    let arn = |stage: &str, api: &str| {
        format!("arn:aws:execute-api:us-east-1:123456789012:{api}/{stage}/GET{path}")
    };
    let mut v2 = common::fixture("http-v2-request.json", key);
    common::set_route(&mut v2, "GET", path);
    let route_key = match route {
        "$default" => "$default".to_owned(),
        "greedy" => "ANY /{proxy+}".to_owned(),
        concrete => format!("GET {concrete}"),
    };
    v2["routeKey"] = json!(route_key);
    v2["requestContext"]["routeKey"] = json!(route_key);
    if route == "greedy" {
        v2["pathParameters"] = json!({"proxy": path.trim_start_matches('/')});
    }
    let mut request = common::fixture("rest-request.json", key);
    request["methodArn"] = json!(arn("prod", "s4x3opwd6i"));
    request["path"] = json!(path);
    request["resource"] = json!(match route {
        "$default" | "greedy" => "/{proxy+}",
        concrete => concrete,
    });
    let mut token = common::fixture("rest-token.json", key);
    token["methodArn"] = json!(arn("prod", "s4x3opwd6i"));
    vec![
        ("http-v2", v2),
        ("rest-request", request),
        ("rest-token", token),
    ]
}

fn allowed(v: &Value) -> bool {
    v["isAuthorized"] == true || v["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

/// Rules decide on the route API Gateway matched; where only the path can say
/// (`$default`, `{proxy+}`, REST `TOKEN`), an alias of `GET /display` is denied rather
/// than handed to `GET /*`, which would admit a `data`-only credential. Every shape,
/// simple and IAM answers.
#[tokio::test]
async fn data_credential_cannot_reach_client_routes_through_aliases() {
    for mode in ["simple", "iam"] {
        let store = common::fresh_store().await;
        let key = common::api_key(&store, Some(&["data"]), None).await;
        let a = Authorizer::new(
            &common::config(store.table(), &[("AUTHORIZER_RESPONSE", mode)]),
            store,
            common::secrets().await,
        );
        for route in ["$default", "greedy"] {
            for alias in [
                "/Display",
                "/display/",
                "/%64isplay",
                "/DISPLAY/rules",
                "/display/rules/",
            ] {
                for (shape, e) in shaped_events(&key, route, alias) {
                    let v = invoke(&a, e).await.unwrap();
                    assert!(!allowed(&v), "{mode} {shape} {route} {alias}: {v}");
                }
            }
            for (shape, e) in shaped_events(&key, route, "/stats") {
                let v = invoke(&a, e).await.unwrap();
                assert!(allowed(&v), "{mode} {shape} {route} /stats: {v}");
            }
        }
        // A concrete route decides by its template, whatever the path spelling.
        for (shape, e) in shaped_events(&key, "/display", "/display") {
            if shape != "rest-token" {
                assert!(!allowed(&invoke(&a, e).await.unwrap()), "{mode} {shape}");
            }
        }
        for (shape, e) in shaped_events(&key, "/stats", "/stats") {
            assert!(allowed(&invoke(&a, e).await.unwrap()), "{mode} {shape}");
        }
    }
}

/// A route key the rules meet by template: the `/display` route is `client` even when
/// the raw path is spelled otherwise (the path never overrides the matched route).
#[tokio::test]
async fn concrete_route_key_decides_over_the_raw_path() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, Some(&["data"]), None).await;
    let a = Authorizer::new(
        &common::config(store.table(), &[]),
        store,
        common::secrets().await,
    );
    let (_, mut e) = shaped_events(&key, "/display", "/stats").remove(0);
    assert_eq!(invoke(&a, e.clone()).await.unwrap()["isAuthorized"], false);
    e["routeKey"] = json!("GET /stats");
    e["rawPath"] = json!("/display");
    assert_eq!(invoke(&a, e).await.unwrap()["isAuthorized"], true);
}

/// `ROUTE_PREFIX` (an API-mapping key or stage left in payload-2.0 paths) is removed
/// where the path decides, and required there; without it nothing is stripped.
#[tokio::test]
async fn route_prefix_is_stripped_only_when_configured() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, Some(&["data"]), None).await;
    let a = Authorizer::new(
        &common::config(store.table(), &[("ROUTE_PREFIX", "/v1")]),
        store,
        common::secrets().await,
    );
    let v2 = |path: &str| shaped_events(&key, "$default", path).remove(0).1;
    assert_eq!(
        invoke(&a, v2("/v1/display")).await.unwrap()["isAuthorized"],
        false
    );
    assert_eq!(
        invoke(&a, v2("/v1/Display")).await.unwrap()["isAuthorized"],
        false
    );
    assert_eq!(
        invoke(&a, v2("/v1/stats")).await.unwrap()["isAuthorized"],
        true
    );
    assert_eq!(
        invoke(&a, v2("/stats")).await.unwrap()["isAuthorized"],
        false
    );
    // REST paths come from the methodArn, which never carries a mapping key.
    let (_, token) = shaped_events(&key, "$default", "/stats").remove(2);
    assert!(allowed(&invoke(&a, token).await.unwrap()));
}

/// A custom rule set whose exact rule is narrower than a later wildcard: its aliases
/// are denied on every shape, the wildcard still serves other paths.
#[tokio::test]
async fn custom_rules_exact_rule_is_not_bypassed_by_a_later_wildcard() {
    let rules = r#"[{"method":"GET","path":"/reports/summary","principals":"any","scope":"client"},
                   {"method":"GET","path":"/*","principals":"any","scope":"data"}]"#;
    let store = common::fresh_store().await;
    let key = common::api_key(&store, Some(&["data"]), None).await;
    let a = Authorizer::new(
        &common::config(store.table(), &[("ROUTE_RULES", rules)]),
        store,
        common::secrets().await,
    );
    for alias in [
        "/reports/Summary",
        "/reports/summary/",
        "/Reports/summary",
        "/reports/%73ummary",
    ] {
        for (shape, e) in shaped_events(&key, "greedy", alias) {
            assert!(!allowed(&invoke(&a, e).await.unwrap()), "{shape} {alias}");
        }
    }
    for (shape, e) in shaped_events(&key, "greedy", "/reports/daily") {
        assert!(allowed(&invoke(&a, e).await.unwrap()), "{shape}");
    }
}
