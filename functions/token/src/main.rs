//! `gatehouse-token`: `/token`, `/authorize`, `/.well-known/*`, `/whoami` and the demo routes.

// One event at a time per Lambda environment: a single-threaded runtime starts faster,
// uses less memory and hands work between no threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::primitives::logging::init_logging();
    let function = gatehouse::adapters::lambda::LambdaToken::from_env().await?;
    gatehouse::http::run(function).await
}
