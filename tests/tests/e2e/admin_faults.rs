//! Fault paths of the admin sign-in that the emulators cannot produce (aws-smithy-mocks):
//! STS or IAM throttling and server errors fail closed with 503, and no session is made.

use aws_sdk_iam::operation::list_groups_for_user::ListGroupsForUserError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use gatehouse::adapters::AwsIdentity;
use gatehouse::adapters::lambda::LambdaAdmin;
use gatehouse_e2e as common;
use lambda_http::Body;
use serde_json::json;

fn signin_request(body: serde_json::Value) -> lambda_http::Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/admin/signin")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn admin_sessions(store: &gatehouse::adapters::DynamoStore) -> usize {
    let scan = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    scan.items()
        .iter()
        .filter(|i| {
            i["pk"]
                .as_s()
                .unwrap()
                .starts_with(gatehouse::records::prefix::ADMIN)
        })
        .count()
}

async fn run(identity: AwsIdentity, body: serde_json::Value) -> (u16, usize) {
    let store = common::fresh_store().await;
    let config = common::config(
        store.table(),
        &[("ADMIN_SERVER_ID", "https://gatehouse.test")],
    );
    let f = LambdaAdmin::with_identity(
        config,
        identity,
        common::secrets().await,
        store.client().clone(),
        aws_sdk_sesv2::Client::new(&common::sdk().await),
    )
    .unwrap();
    let resp = gatehouse::http::respond(&f, signin_request(body)).await;
    (resp.status().as_u16(), admin_sessions(&store).await)
}

fn real_sts(sdk: &aws_config::SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(sdk)
}

fn real_iam(sdk: &aws_config::SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(sdk)
}

#[tokio::test]
async fn sts_throttling_or_5xx_is_503_and_no_session() {
    let sdk = common::sdk().await;
    let member = common::iam_user(true).await;
    let body = json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": member.secret});
    for code in ["Throttling", "InternalFailure"] {
        let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(move || {
            let status = if code == "Throttling" { 400 } else { 500 };
            let xml = format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>fault</Message></Error></ErrorResponse>");
            lambda_http::http::Response::builder()
                .status(status)
                .body(aws_smithy_types::body::SdkBody::from(xml))
                .unwrap()
                .try_into()
                .unwrap()
        });
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]);
        let (status, sessions) = run(
            AwsIdentity::from_clients(sts, real_iam(&sdk)).unwrap(),
            body.clone(),
        )
        .await;
        assert_eq!((status, sessions), (503, 0), "{code}");
    }
}

#[tokio::test]
async fn iam_throttling_is_503_and_no_session() {
    let sdk = common::sdk().await;
    let member = common::iam_user(true).await;
    let rule = mock!(aws_sdk_iam::Client::list_groups_for_user).then_error(|| {
        ListGroupsForUserError::ServiceFailureException(
            aws_sdk_iam::types::error::ServiceFailureException::builder()
                .message("fault")
                .build(),
        )
    });
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&rule]);
    // The function user's own IAM calls go to the mock; STS is moto (real keys).
    let body = json!({"userName": member.name, "accessKeyId": member.key_id, "secretAccessKey": member.secret});
    let (status, sessions) = run(
        AwsIdentity::from_clients(real_sts(&sdk), iam).unwrap(),
        body,
    )
    .await;
    assert_eq!((status, sessions), (503, 0));
    assert!(rule.num_calls() >= 1);
}
