//! API-key check: cache hit (memory only) against cache miss (a DynamoDB Local read),
//! measured in the same run. Run with `make bench`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::adapters::DynamoStore;
use gatehouse::credentials::apikey::ApiKeyVerifier;
use gatehouse::records::access::Function;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        eprintln!("apikey bench: AWS_ENDPOINT_URL_DYNAMODB unset; run `make bench`");
        return;
    }
    let (store, key) = rt.block_on(async {
        let sdk = gatehouse::adapters::sdk::sdk_config().await;
        let client = aws_sdk_dynamodb::Client::new(&sdk);
        let table = format!(
            "gatehouse-bench-{}",
            gatehouse::primitives::crypto::random_base62(6)
        );
        gatehouse_local::bootstrap::create_table(&client, &table)
            .await
            .unwrap();
        let admin = DynamoStore::new(client.clone(), table.clone(), Function::Admin);
        let (key, _) = gatehouse_local::bootstrap::create_api_key(&admin, "bench", None, None)
            .await
            .unwrap();
        (DynamoStore::new(client, table, Function::Authorizer), key)
    });
    let now = gatehouse::primitives::time::now_epoch();

    let warm = ApiKeyVerifier::new(store.clone(), Duration::from_secs(3600));
    rt.block_on(warm.verify(&key, now)).unwrap();
    c.bench_function("apikey_verify/cache_hit", |b| {
        b.iter(|| {
            rt.block_on(warm.verify(std::hint::black_box(&key), now))
                .unwrap()
        })
    });

    // TTL 0: every check reads DynamoDB Local (and, as last_used is recent, writes nothing).
    let cold = ApiKeyVerifier::new(store, Duration::ZERO);
    c.bench_function("apikey_verify/cache_miss_dynamodb_local", |b| {
        b.iter(|| {
            rt.block_on(cold.verify(std::hint::black_box(&key), now))
                .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
