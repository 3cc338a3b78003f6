#![recursion_limit = "256"]
//! `gatehouse-authorizer`: the API Gateway Lambda authorizer.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::init_logging();
    let authorizer = gatehouse::authorizer::from_env().await?;
    gatehouse::authorizer::run(authorizer).await
}
