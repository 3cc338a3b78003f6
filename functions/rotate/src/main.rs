//! `gatehouse-rotate`: Secrets Manager rotation of the signing key ring.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::init_logging();
    let rotator = gatehouse::rotation::Rotator::from_env().await?;
    gatehouse::rotation::run(rotator).await
}
