//! The authorizer on each of the four API Gateway event shapes (fixtures of the real
//! shapes), with API keys in DynamoDB Local.

mod common;

use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use gatehouse::access::Function;
use gatehouse::authorizer::{Authorizer, LambdaAuthorizer, invoke};
use gatehouse::store::DynamoStore;
use serde_json::{Value, json};

async fn setup(extra: &[(&str, &str)]) -> (LambdaAuthorizer, String) {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, None, None).await;
    let config = common::config(store.table(), extra);
    (
        Authorizer::new(
            &config,
            common::as_function(&store, Function::Authorizer),
            common::secrets().await,
        ),
        key,
    )
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
    e["rawPath"] = json!("/stats");
    e["requestContext"]["http"]["path"] = json!("/stats");
    assert_eq!(invoke(&a, e.clone()).await.unwrap()["isAuthorized"], false); // needs data
    e["rawPath"] = json!("/widget/generateToken");
    e["requestContext"]["http"]["method"] = json!("POST");
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
