//! `gatehouse-token`: `/token`, `/authorize`, `/.well-known/*`, `/whoami` and the demo routes.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::init_logging();
    let function = gatehouse::token::TokenFunction::from_env().await?;
    gatehouse::http::run(function).await
}
