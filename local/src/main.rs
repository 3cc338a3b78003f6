//! `gatehouse-local`: the local stack's gateway. Expects the emulators to be running
//! (see `local/run.sh`) and the usual configuration variables in the environment.
//!
//! Environment: the functions' variables (`TABLE_NAME`, `ALLOWED_ORIGINS`, ...), plus
//! `GATEWAY_ADDR` (default `127.0.0.1:3000`), `DEMO_ADDR` (default `127.0.0.1:3001`,
//! the demo embedding page, opened as `http://localhost:3001`), `IDP_ADDR` (default
//! `127.0.0.1:3002`, the test identity provider; port 0 for a free one), `CREDENTIALS_FILE` (default
//! `.local/credentials.json`) and `GATEHOUSE_OPERATOR_ACCESS_KEY_ID` /
//! `GATEHOUSE_OPERATOR_SECRET_ACCESS_KEY` (the moto user that creates the secrets).

use std::sync::Arc;

use gatehouse::config::Config;
use gatehouse_local::demo::DemoApp;
use gatehouse_local::{bootstrap, gateway::Gateway, idp};

#[tokio::main]
async fn main() -> Result<(), bootstrap::BoxError> {
    gatehouse::primitives::logging::init_logging();
    let config = Config::from_env()?;
    let addr = std::env::var("GATEWAY_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let demo_addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let creds_path =
        std::env::var("CREDENTIALS_FILE").unwrap_or_else(|_| ".local/credentials.json".into());

    let sdk = gatehouse::adapters::sdk::sdk_config().await;
    let dynamodb = gatehouse::adapters::sdk::dynamodb(&sdk);
    let url = format!("http://{addr}");
    let creds_file = std::path::Path::new(&creds_path);
    let previous = bootstrap::read_credentials(creds_file);
    let operator = bootstrap::operator_secrets(&sdk);
    let mut creds = bootstrap::bootstrap(&config, &dynamodb, &operator, &url, &previous).await?;
    // The test identity provider, added as `test-idp` (README "Trying it locally").
    let store = gatehouse::adapters::DynamoStore::new(
        dynamodb.clone(),
        config.table_name.clone(),
        gatehouse::records::access::Function::Admin,
    );
    // It is on plain http, so it needs the dev-only loopback flag; without it, none.
    let idp_addr = std::env::var("IDP_ADDR").unwrap_or_else(|_| "127.0.0.1:3002".into());
    let _idp = if config.outbound_rule().allow_insecure_loopback {
        let (idp, entry) =
            idp::start_for_stack(&config, &store, &operator, &url, &idp_addr, &previous).await?;
        creds["idp"] = entry;
        Some(idp)
    } else {
        eprintln!("gatehouse-local: no test IdP (SSO_ALLOW_INSECURE_LOOPBACK is not true)");
        None
    };
    bootstrap::write_credentials(creds_file, &creds)?;

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let secrets = gatehouse::adapters::sdk::secretsmanager(&sdk);
    let gateway = Arc::new(Gateway::new(
        &config,
        dynamodb,
        secrets,
        &sdk,
        addr.clone(),
    )?);
    eprintln!("\nGatehouse local gateway on {url}");
    eprintln!("Demo credentials (shown once; also in {creds_path}):");
    eprintln!(
        "  API key:       {}",
        creds["api_key"]["key"].as_str().unwrap_or("")
    );
    if let Some(c) = creds.get("client") {
        eprintln!(
            "  OAuth client:  client_id={} client_secret={}",
            c["client_id"].as_str().unwrap_or(""),
            c["client_secret"].as_str().unwrap_or("")
        );
    }
    for (role, shown) in [("creator", "Creator"), ("end_user", "End user")] {
        let u = &creds["users"][role];
        eprintln!(
            "  {:<14} {} / {}",
            format!("{shown}:"),
            u["username"].as_str().unwrap_or(""),
            u["password"]
                .as_str()
                .unwrap_or("(unknown: it existed before)")
        );
    }
    let demo_listener = tokio::net::TcpListener::bind(&demo_addr).await?;
    let demo_port = demo_addr.rsplit(':').next().unwrap_or("3001");
    let key = |name: &str| creds[name]["key"].as_str().unwrap_or_default().to_owned();
    let mut demo = DemoApp::new(url.clone(), key("api_key"), key("widget_dev_key"));
    if creds.get("idp").is_some() {
        demo = demo.with_idp(idp::DEV_IDP_ID);
    }
    let demo = Arc::new(demo);
    eprintln!("Demo embedding page: http://localhost:{demo_port} (ALLOWED_ORIGINS must list it)");
    if let Some(i) = creds.get("idp") {
        eprintln!(
            "Test IdP: {} (sign in from the demo page as {} / {})",
            i["issuer"].as_str().unwrap_or(""),
            i["username"].as_str().unwrap_or(""),
            i["password"].as_str().unwrap_or("")
        );
    }
    eprintln!("Admin console: {url}/admin/console (sign in with the admin user above)");
    if let Ok(moto) = std::env::var("MOTO_URL") {
        // README "Reading sent mail locally".
        eprintln!(
            "Sent mail (moto's SES; EMAIL_FROM={}), newest last:\n  {}",
            config
                .users
                .signup
                .email_from
                .as_ref()
                .map_or("(empty: mail off)", |e| e.shown()),
            sent_mail_command(&moto)
        );
    }
    eprintln!("Try:\n  curl -H \"x-api-key: $KEY\" {url}/whoami\n");
    tokio::select! {
        r = gateway.serve(listener) => r?,
        r = demo.serve(demo_listener) => r?,
        _ = tokio::signal::ctrl_c() => eprintln!("gatehouse-local: stopping"),
    }
    Ok(())
}

/// The one-liner that prints the mail moto's SES accepted (README "Reading sent mail
/// locally").
fn sent_mail_command(moto: &str) -> String {
    format!(
        "curl -s {moto}/moto-api/data.json | python3 -c 'import json,sys; \
         [print(\"To:\", *m[\"destinations\"][\"ToAddresses\"], \"| Subject:\", m[\"subject\"], \"\\n\" + m[\"body\"]) \
         for m in json.load(sys.stdin)[\"ses\"][\"Message\"]]'"
    )
}
