//! `gatehouse-users`: `/users/signin`, `/users/password-policy`, `/users/me`,
//! `/users/signout`. The only function that hashes passwords (README "People").

// One event at a time per Lambda environment: a single-threaded runtime; the password
// hashes run on the blocking pool beside it (`ARGON2_MAX_CONCURRENT`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::primitives::logging::init_logging();
    let function = gatehouse::adapters::lambda::LambdaUsers::from_env().await?;
    gatehouse::http::run(function).await
}
