//! Each function's DynamoDB store refuses records outside its row of the access table
//! (`gatehouse::records::access`) with an internal error and makes no AWS call; its own records
//! go through. The client is a mock that counts every call (no emulator needed).
//! docs/SECURITY.md, finding 2.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use gatehouse::Error;
use gatehouse::adapters::DynamoStore;
use gatehouse::credentials::admin::AdminSession;
use gatehouse::credentials::admin::AdminStore;
use gatehouse::credentials::apikey::ApiKeyStore;
use gatehouse::credentials::widget::SessionStore;
use gatehouse::credentials::widget::TempToken;
use gatehouse::credentials::widget::WidgetUser;
use gatehouse::records::access::Function;
use gatehouse::records::lock::LockStore;
use gatehouse::records::once::OneTimeStore;
use gatehouse::records::rate::RateStore;

/// A store for `function` over a mock DynamoDB that answers every call with success.
struct Mocked {
    store: DynamoStore,
    rules: Vec<Rule>,
}

impl Mocked {
    fn new(function: Function) -> Self {
        let rules = vec![
            mock!(aws_sdk_dynamodb::Client::get_item)
                .then_output(|| GetItemOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::put_item)
                .then_output(|| PutItemOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::update_item)
                .then_output(|| UpdateItemOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::delete_item)
                .then_output(|| DeleteItemOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::scan).then_output(|| ScanOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::transact_write_items)
                .then_output(|| TransactWriteItemsOutput::builder().build()),
        ];
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [
                &rules[0], &rules[1], &rules[2], &rules[3], &rules[4], &rules[5]
            ]
        );
        Mocked {
            store: DynamoStore::new(client, "gatehouse", function),
            rules,
        }
    }

    fn calls(&self) -> usize {
        self.rules.iter().map(Rule::num_calls).sum()
    }
}

/// Refused as an internal error (500), not a dependency failure: nothing was sent.
fn refused<T: std::fmt::Debug>(r: gatehouse::Result<T>) {
    match r {
        Err(e @ Error::Internal(_)) => assert!(e.detail().contains("may not"), "{e:?}"),
        other => panic!("expected an access refusal, got {other:?}"),
    }
}

fn api_key() -> gatehouse::credentials::apikey::ApiKeyRecord {
    gatehouse::credentials::apikey::generate("forged", None, None, 0)
        .unwrap()
        .record
}

fn admin_session() -> AdminSession {
    AdminSession {
        user_name: "mallory".into(),
        csrf_hash: "00".into(),
        checked_at: i64::MAX / 2,
        created_at: 0,
        expires_at: i64::MAX / 2,
    }
}

fn temp_token() -> TempToken {
    TempToken {
        user: WidgetUser {
            userid: "u".into(),
            app_id: None,
            client_id: None,
            org_id: None,
        },
        session_ttl: 60,
        expires_at: i64::MAX / 2,
    }
}

#[tokio::test]
async fn the_authorizer_store_cannot_forge_admin_sessions_or_api_keys() {
    let m = Mocked::new(Function::Authorizer);
    let s = &m.store;
    refused(s.put_admin_session("ff", &admin_session()).await);
    refused(s.touch_admin_session("ff", i64::MAX / 2).await);
    refused(s.get_admin_session("ff", 0).await);
    refused(s.put_api_key(&api_key()).await);
    refused(s.set_api_key_disabled("id").await);
    refused(s.delete_api_key("id").await);
    refused(s.list_api_keys().await);
    refused(s.put_temp_token("ff", &temp_token()).await);
    refused(s.rate_increment("admin#ip#x#1", 10).await);
    refused(s.rate_reserve("token#ip#x#1", 10, 10).await);
    assert_eq!(m.calls(), 0, "a refused request reaches no AWS API");

    // Its own records: an API key read, `last_used`, a session read.
    s.get_api_key("id").await.unwrap();
    s.touch_api_key("id", 1).await.unwrap();
    s.get_session("ff", 0).await.unwrap();
    assert_eq!(m.calls(), 3);
}

#[tokio::test]
async fn the_token_store_cannot_write_api_keys_or_other_one_time_values() {
    let m = Mocked::new(Function::Token);
    let s = &m.store;
    refused(s.put_api_key(&api_key()).await);
    refused(s.put_admin_session("ff", &admin_session()).await);
    refused(s.redeem_once("presign", "ff", 10).await);
    refused(s.put_temp_token("ff", &temp_token()).await);
    refused(s.get_api_key("id").await);
    // The admin sign-in's counters are not its own.
    refused(s.rate_reserve("admin#ip#x#1", 10, 10).await);
    refused(s.rate_increment("admin#user#alice#1", 10).await);
    refused(s.rate_release("admin#ip#x#1").await);
    assert_eq!(m.calls(), 0);

    assert!(s.redeem_once("code", "ff", 10).await.unwrap());
    assert_eq!(m.calls(), 1);
    // Its own counters: a reserve, a release (the mock's delete succeeds: one call),
    // a failure count.
    assert!(s.rate_reserve("token#ip#x#1", 10, 10).await.unwrap());
    s.rate_release("token#ip#x#1").await.unwrap();
    s.rate_increment("token#client#1#1", 10).await.unwrap();
    assert_eq!(m.calls(), 4);
}

#[tokio::test]
async fn the_widget_store_cannot_touch_keys_admin_sessions_or_counters() {
    let m = Mocked::new(Function::Widget);
    let s = &m.store;
    refused(s.put_api_key(&api_key()).await);
    refused(s.get_api_key("id").await);
    refused(s.put_admin_session("ff", &admin_session()).await);
    refused(s.rate_increment("token#client#1#1", 10).await);
    refused(s.get_session("ff", 0).await);
    refused(s.redeem_once("code", "ff", 10).await);
    assert_eq!(m.calls(), 0);

    s.put_temp_token("ff", &temp_token()).await.unwrap();
    s.delete_session("ff").await.unwrap();
    // Unknown temp token (the mock has no item): one read, no transaction.
    assert_eq!(
        s.redeem_temp_token("ff", "ee", "https://a.example", 0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(m.calls(), 3);
}

#[tokio::test]
async fn the_rotate_store_holds_only_the_key_ring_lock() {
    let m = Mocked::new(Function::Rotate);
    let s = &m.store;
    refused(s.try_lock("other", "me", 0, 10).await);
    refused(s.put_api_key(&api_key()).await);
    refused(s.put_admin_session("ff", &admin_session()).await);
    assert_eq!(m.calls(), 0);

    assert!(
        s.try_lock(gatehouse::records::lock::SIGNING_KEYS, "me", 0, 10)
            .await
            .unwrap()
    );
    s.unlock(gatehouse::records::lock::SIGNING_KEYS, "me")
        .await
        .unwrap();
    assert_eq!(m.calls(), 2);
}

#[tokio::test]
async fn the_admin_store_is_unrestricted() {
    let m = Mocked::new(Function::Admin);
    let s = &m.store;
    s.list_api_keys().await.unwrap();
    s.put_admin_session("ff", &admin_session()).await.unwrap();
    s.try_lock("anything", "me", 0, 10).await.unwrap();
    assert_eq!(m.calls(), 3);
}
