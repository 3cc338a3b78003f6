//! The test identity provider (`local/idp/provider.mjs`: npm `oidc-provider`, a dev
//! login page) as `make run` and the tests start it (README "Single sign-on", "Trying
//! it locally"): one process on loopback, its clients and accounts given at start,
//! killed on drop. [`register`] adds it to the local stack as the provider
//! [`DEV_IDP_ID`], provisioning `auto_create` with the kind `creator`.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use gatehouse::adapters::DynamoStore;
use gatehouse::config::Config;
use gatehouse::credentials::idps::IdpStore;
use gatehouse::credentials::idps::secrets::IdpSecrets;
use gatehouse::credentials::secrets::{SecretSource, SecretWriter};
use gatehouse::credentials::users::settings::Changed;
use gatehouse::requests::idps::IdpBody;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;

use crate::bootstrap::BoxError;

/// The provider id `make run` registers the test provider under.
pub const DEV_IDP_ID: &str = "test-idp";
/// The client id Gatehouse has at the test provider.
pub const DEV_CLIENT_ID: &str = "gatehouse";

/// A person who can sign in at the test provider (its e-mail is verified).
#[derive(Debug, Clone, Serialize)]
pub struct DevAccount {
    pub username: String,
    pub password: String,
    pub sub: String,
    pub email: String,
    pub name: String,
}

impl DevAccount {
    /// An account named `username`, e-mail `email`, with a generated password.
    pub fn new(username: &str, email: &str) -> DevAccount {
        DevAccount {
            username: username.into(),
            password: gatehouse::primitives::crypto::random_base62(20),
            sub: format!("sub-{username}"),
            email: email.into(),
            name: format!("{username} (test IdP)"),
        }
    }
}

/// The running provider.
pub struct DevIdp {
    /// `http://127.0.0.1:<port>`, as discovery and the id_token's `iss` spell it.
    pub issuer: String,
    /// The client secret of [`DEV_CLIENT_ID`] (generated at start).
    pub client_secret: String,
    child: Child,
}

impl Drop for DevIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DevIdp {
    /// Starts the provider on `addr` (`host:port`; port 0 for a free one) with one client,
    /// [`DEV_CLIENT_ID`], whose only redirect URI is `redirect_uri` (the provider
    /// compares it exactly), and `accounts`. Returns once it listens.
    pub fn start(
        addr: &str,
        redirect_uri: &str,
        accounts: &[DevAccount],
    ) -> Result<DevIdp, BoxError> {
        let (host, port) = addr.rsplit_once(':').ok_or("IDP_ADDR: host:port")?;
        let port: u16 = port.parse().map_err(|_| "IDP_ADDR: host:port")?;
        let client_secret = gatehouse::primitives::crypto::random_base62(43);
        let config = json!({
            "host": host, "port": port, "accounts": accounts,
            "clients": [{"client_id": DEV_CLIENT_ID, "client_secret": client_secret,
                         "redirect_uris": [redirect_uri]}],
        });
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/idp/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("IDP_CONFIG", config.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("node {script}: {e} (`bash local/scripts/install.sh` installs it)")
            })?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the provider's stdout")?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let Some(port) = line.trim().strip_prefix("PORT ") else {
            let _ = child.kill();
            return Err(format!("{script} did not start (printed {line:?})").into());
        };
        Ok(DevIdp {
            issuer: format!("http://{host}:{port}"),
            client_secret,
            child,
        })
    }

    /// The body of `POST /admin/idps` that adds this provider as `id`: `auto_create`,
    /// new accounts are creators.
    pub fn admin_body(&self, id: &str) -> serde_json::Value {
        json!({"id": id, "display_name": "Test IdP", "issuer": self.issuer,
               "client_id": DEV_CLIENT_ID, "client_secret": self.client_secret,
               "allowed_algs": ["RS256"], "provisioning": "auto_create",
               "default_kind": "creator"})
    }
}

/// Adds (or replaces) `idp` as the provider [`DEV_IDP_ID`] of the local stack, as the
/// admin API would: its secret in `IDP_SECRETS` first, then the providers item.
pub async fn register(
    config: &Config,
    store: &DynamoStore,
    secrets: &aws_sdk_secretsmanager::Client,
    idp: &DevIdp,
) -> Result<(), BoxError> {
    let body: IdpBody = serde_json::from_value(idp.admin_body(DEV_IDP_ID))?;
    let now = gatehouse::primitives::time::now_epoch();
    let (provider, secret) = body.new_provider(&config.outbound_rule(), "make run", now)?;
    let secret_id = config.idp_secrets_id()?;
    let mut all = IdpSecrets::parse(&secrets.fetch(secret_id).await?)?;
    all.set(DEV_IDP_ID, secret.clone());
    secrets
        .put(secret_id, all.to_json().expose_secret())
        .await?;
    let mut providers = store.get_idps().await?;
    providers.0.insert(DEV_IDP_ID.into(), provider);
    let changed = Changed {
        by: "make run",
        at: now,
    };
    store.put_idps(&providers, &changed).await?;
    Ok(())
}

/// `make run`'s provider: on `addr` (`IDP_ADDR`, default `127.0.0.1:3002`), its client
/// registered with `<ISSUER>/sso/callback`, one account (`dev`, e-mail
/// `dev@idp.example`, its password kept from `previous`, the credentials file as it
/// was), added to the stack by [`register`]. Answers the provider and the `idp` entry
/// of `.local/credentials.json`.
pub async fn start_for_stack(
    config: &Config,
    store: &DynamoStore,
    secrets: &aws_sdk_secretsmanager::Client,
    gateway_url: &str,
    addr: &str,
    previous: &serde_json::Value,
) -> Result<(DevIdp, serde_json::Value), BoxError> {
    let issuer = (config.issuer.clone().map(String::from)).unwrap_or_else(|| gateway_url.into());
    let mut account = DevAccount::new("dev", "dev@idp.example");
    if let Some(kept) = previous["idp"]["password"].as_str() {
        kept.clone_into(&mut account.password);
    }
    let idp = DevIdp::start(addr, &format!("{issuer}/sso/callback"), &[account.clone()])?;
    register(config, store, secrets, &idp).await?;
    let entry = json!({"provider_id": DEV_IDP_ID, "issuer": idp.issuer,
        "username": account.username, "password": account.password, "email": account.email});
    Ok((idp, entry))
}
