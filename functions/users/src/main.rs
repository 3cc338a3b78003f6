//! `gatehouse-users`: `/users/signin`, `/users/password-policy`, `/users/me`,
//! `/users/signout`, sign-up and e-mail verification. The only function that hashes
//! passwords and sends e-mail (README "People").
// The handler's future (DynamoDB, Argon2, SES) nests deeper than the compiler's default
// layout query depth of 128.
#![recursion_limit = "256"]

// One event at a time per Lambda environment: a single-threaded runtime; the password
// hashes run on the blocking pool beside it (`ARGON2_MAX_CONCURRENT`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::primitives::logging::init_logging();
    let function = gatehouse::adapters::lambda::LambdaUsers::from_env().await?;
    gatehouse::http::run(function).await
}
