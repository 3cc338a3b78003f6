//! `gatehouse-token`: `GET /whoami` (token issuance arrives with the key ring).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::init_logging();
    let function = gatehouse::token::TokenFunction::from_env()?;
    gatehouse::http::run(function).await
}
