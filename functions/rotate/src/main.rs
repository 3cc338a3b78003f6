//! `gatehouse-rotate`: Secrets Manager rotation of the signing key ring.

// One event at a time per Lambda environment: a single-threaded runtime starts faster,
// uses less memory and hands work between no threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::primitives::logging::init_logging();
    let rotator = gatehouse::adapters::lambda::LambdaRotator::from_env().await?;
    gatehouse::adapters::lambda::run_rotator(rotator).await
}
