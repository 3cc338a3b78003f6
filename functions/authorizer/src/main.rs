#![recursion_limit = "256"]
//! `gatehouse-authorizer`: the API Gateway Lambda authorizer.

// One event at a time per Lambda environment: a single-threaded runtime starts faster,
// uses less memory and hands work between no threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::primitives::logging::init_logging();
    let authorizer = gatehouse::adapters::lambda::LambdaAuthorizer::from_env().await?;
    gatehouse::adapters::lambda::run_authorizer(authorizer).await
}
