//! `gatehouse-widget`: `/widget/generateToken`, `/widget/loginToken`,
//! `/widget/login/token`, `/widget/logout`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::init_logging();
    let function = gatehouse::widget::WidgetFunction::from_env().await?;
    gatehouse::http::run(function).await
}
