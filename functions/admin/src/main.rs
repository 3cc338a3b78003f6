//! `gatehouse-admin-api`: IAM admin sign-in and the admin API (`/admin/*`).

// One event at a time per Lambda environment: a single-threaded runtime starts faster,
// uses less memory and hands work between no threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::primitives::logging::init_logging();
    let function = gatehouse::adapters::lambda::LambdaAdmin::from_env().await?;
    gatehouse::http::run(function).await
}
