//! `gatehouse-admin-api`: IAM admin sign-in and the admin API (`/admin/*`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::init_logging();
    let function = gatehouse::admin::AdminFunction::from_env().await?;
    gatehouse::http::run(function).await
}
