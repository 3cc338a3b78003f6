//! API-key verification against DynamoDB Local: the cache, revocation, `last_used`,
//! and failing closed when the store fails.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gatehouse::adapters::DynamoStore;
use gatehouse::authz::{DenyReason, PrincipalType};
use gatehouse::credentials::apikey::ApiKeyStore;
use gatehouse::credentials::apikey::{ApiKeyRecord, ApiKeyVerifier, VerifyError};
use gatehouse::records::access::Function;
use gatehouse_e2e as common;

/// The real DynamoDB store, counting the calls made through it.
struct Counting {
    inner: DynamoStore,
    gets: AtomicUsize,
    touches: AtomicUsize,
}

impl Counting {
    fn new(inner: DynamoStore) -> Self {
        Counting {
            inner,
            gets: AtomicUsize::new(0),
            touches: AtomicUsize::new(0),
        }
    }
    fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }
}

impl ApiKeyStore for Counting {
    async fn get_api_key(&self, id: &str) -> gatehouse::Result<Option<ApiKeyRecord>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get_api_key(id).await
    }
    async fn put_api_key(&self, record: &ApiKeyRecord) -> gatehouse::Result<()> {
        self.inner.put_api_key(record).await
    }
    async fn touch_api_key(&self, id: &str, at: i64) -> gatehouse::Result<()> {
        self.touches.fetch_add(1, Ordering::SeqCst);
        self.inner.touch_api_key(id, at).await
    }
}

fn denied(r: Result<gatehouse::authz::Principal, VerifyError>) -> DenyReason {
    match r {
        Err(VerifyError::Denied(d)) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_key_verifies_and_warm_checks_make_no_store_call() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, None, None).await;
    let v = ApiKeyVerifier::new(
        Counting::new(common::as_function(&store, Function::Authorizer)),
        Duration::from_secs(60),
    );
    let now = gatehouse::primitives::time::now_epoch();

    let p = v.verify(&key, now).await.unwrap();
    assert_eq!(p.principal_type, PrincipalType::ApiKey);
    assert_eq!(p.scopes, vec!["data", "client", "widget:issue"]);
    assert_eq!(v.store().gets(), 1);
    for _ in 0..100 {
        v.verify(&key, now).await.unwrap();
    }
    assert_eq!(v.store().gets(), 1, "cache hits must not call DynamoDB");
    assert_eq!(
        v.store().touches.load(Ordering::SeqCst),
        1,
        "last_used written once per period"
    );
}

#[tokio::test]
async fn last_used_is_recorded_in_the_table() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, None, None).await;
    let id = gatehouse::credentials::apikey::parse(&key)
        .unwrap()
        .id
        .to_owned();
    let v = ApiKeyVerifier::new(
        common::as_function(&store, Function::Authorizer),
        Duration::from_secs(60),
    );
    let now = gatehouse::primitives::time::now_epoch();
    v.verify(&key, now).await.unwrap();
    let rec = store.get_api_key(&id).await.unwrap().unwrap();
    assert_eq!(rec.last_used, Some(now));
}

#[tokio::test]
async fn unknown_wrong_disabled_and_expired_keys_are_denied() {
    let store = common::fresh_store().await;
    let now = gatehouse::primitives::time::now_epoch();
    let key = common::api_key(&store, None, None).await;
    let short = common::api_key(&store, None, Some(now + 2)).await;
    let v = ApiKeyVerifier::new(
        common::as_function(&store, Function::Authorizer),
        Duration::from_secs(60),
    );

    // Unknown id (well-formed).
    let unknown = format!("gk_{}_{}", "A".repeat(16), "b".repeat(43));
    assert_eq!(
        denied(v.verify(&unknown, now).await),
        DenyReason::UnknownKey
    );
    // Right id, wrong secret; the cached record does not change the answer.
    let wrong = format!("{}{}", &key[..20], "Z".repeat(43));
    assert_eq!(denied(v.verify(&wrong, now).await), DenyReason::WrongSecret);
    assert!(v.verify(&key, now).await.is_ok());
    assert_eq!(denied(v.verify(&wrong, now).await), DenyReason::WrongSecret);
    // Expired: checked on every request, cache or not.
    assert!(v.verify(&short, now).await.is_ok());
    assert_eq!(denied(v.verify(&short, now + 2).await), DenyReason::Expired);
    // Malformed never reaches the store.
    assert_eq!(
        denied(v.verify("gk_short", now).await),
        DenyReason::MalformedCredential
    );
}

#[tokio::test]
async fn disabled_key_stops_working_within_the_cache_ttl() {
    let store = common::fresh_store().await;
    let key = common::api_key(&store, None, None).await;
    let id = gatehouse::credentials::apikey::parse(&key)
        .unwrap()
        .id
        .to_owned();
    let ttl = Duration::from_millis(300);
    let v = ApiKeyVerifier::new(common::as_function(&store, Function::Authorizer), ttl);
    let now = gatehouse::primitives::time::now_epoch();
    assert!(v.verify(&key, now).await.is_ok());

    store
        .client()
        .update_item()
        .table_name(store.table())
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(gatehouse::records::Key::ApiKey(&id).pk()),
        )
        .update_expression("SET disabled = :t")
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(denied(v.verify(&key, now).await), DenyReason::Disabled);
}

#[tokio::test]
async fn unreachable_dynamodb_fails_closed() {
    let store = DynamoStore::new(
        common::unreachable_dynamodb().await,
        "gatehouse",
        Function::Authorizer,
    );
    let v = ApiKeyVerifier::new(store, Duration::from_secs(60));
    let key = format!("gk_{}_{}", "A".repeat(16), "b".repeat(43));
    match v
        .verify(&key, gatehouse::primitives::time::now_epoch())
        .await
    {
        Err(VerifyError::Store(e)) => assert_eq!(e.status().as_u16(), 503),
        other => panic!("expected a store failure, got {other:?}"),
    }
}

#[tokio::test]
async fn duplicate_ids_are_refused_by_the_store() {
    let store = common::fresh_store().await;
    let new = gatehouse::credentials::apikey::generate(
        "a",
        None,
        None,
        gatehouse::primitives::time::now_epoch(),
    )
    .unwrap();
    store.put_api_key(&new.record).await.unwrap();
    assert!(store.put_api_key(&new.record).await.is_err());
}
