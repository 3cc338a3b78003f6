//! `gatehouse-admin`: signs in to the admin API with a presigned STS
//! `GetCallerIdentity` request (your AWS credentials never leave this machine: the
//! standard chain — profile, environment, SSO, credential process — signs it), then runs
//! one admin command and signs out.

use std::process::ExitCode;
use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use clap::{Parser, Subcommand};
use gatehouse::credentials::admin::PresignedRequest;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod idps;
use idps::Idps;

#[derive(Parser)]
#[command(
    name = "gatehouse-admin",
    version,
    about = "Gatehouse admin API client (sign-in with your AWS identity)"
)]
struct Cli {
    /// Base URL of the Gatehouse API, e.g. https://auth.example.com
    #[arg(long, env = "GATEHOUSE_URL")]
    url: String,
    /// Value of the signed x-gatehouse-server-id header (default: --url)
    #[arg(long)]
    server_id: Option<String>,
    /// STS endpoint to sign for (default: AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com)
    #[arg(long)]
    sts_url: Option<String>,
    /// AWS profile (default: the standard chain)
    #[arg(long)]
    profile: Option<String>,
    /// Print the API's JSON instead of a table
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Private API keys
    #[command(subcommand)]
    Keys(Keys),
    /// OAuth clients of CLIENT_SECRETS
    #[command(subcommand)]
    Clients(Clients),
    /// Widget and admin sessions
    #[command(subcommand)]
    Sessions(Sessions),
    /// The signing key ring
    #[command(subcommand, name = "signing-keys")]
    SigningKeys(SigningKeys),
    /// People: creators and end users
    #[command(subcommand)]
    Users(Users),
    /// Runtime settings: who may sign up, whether passwords sign in
    #[command(subcommand)]
    Settings(Settings),
    /// OpenID Connect identity providers (single sign-on)
    #[command(subcommand)]
    Idps(Idps),
    /// Open the admin console signed in as you: prints (and opens) a one-time link
    /// `<url>/admin/console#handoff=<code>`, valid for 60 seconds
    Console {
        /// Only print the link
        #[arg(long)]
        no_open: bool,
    },
}

#[derive(Subcommand)]
enum Keys {
    /// Create a key (its value is shown once)
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated scopes (default: data,client,widget:issue)
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
    },
    List,
    Disable {
        id: String,
    },
    Delete {
        id: String,
    },
}

#[derive(Subcommand)]
enum Clients {
    /// Add a client (its secret is shown once)
    Add,
    /// Every client's id, kind (raw, hashed, disabled) and weakness; never a secret
    List,
    Disable {
        client_id: u32,
    },
}

#[derive(Subcommand)]
enum Sessions {
    List,
    /// Revoke one session by kind (widget|admin) and id hash
    Revoke {
        kind: String,
        id_hash: String,
    },
    /// Revoke every session of a user
    RevokeUser {
        userid: String,
    },
}

#[derive(Subcommand)]
enum SigningKeys {
    /// Rotate now (refused too early unless --force). Prints outcome, current_kid,
    /// next_kid, dropped_kids and trusted_for_at_most_s.
    Rotate {
        /// The ring is compromised: replace current and next, keep no previous (every
        /// old kid is dropped; warm instances trust them for at most
        /// trusted_for_at_most_s, external JWKS caches until their own max-age)
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum Users {
    /// One page of the users whose username or e-mail starts with --q (the answer's
    /// cursor, passed as --cursor, gives the next page)
    List {
        #[arg(long)]
        q: Option<String>,
        /// creator or end_user
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Create an invited user; prints its invite link (shown once: hand it over), or
    /// with --delivery email mails it to --email and prints only where it went
    Create {
        #[arg(long)]
        email: String,
        /// creator or end_user
        #[arg(long)]
        kind: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Comma-separated roles
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
        #[command(flatten)]
        delivery: DeliveryArg,
    },
    /// Reset a user's credentials: no password, its sessions and old link killed; prints
    /// a new invite link (shown once), or with --delivery email mails it to the user
    #[command(alias = "reset-credentials")]
    Reset {
        user_id: String,
        #[command(flatten)]
        delivery: DeliveryArg,
    },
    /// Disable a user (its sessions end at once)
    Disable { user_id: String },
    /// Enable a user (active, or invited while it has no password)
    Enable { user_id: String },
    /// Delete a user, its sessions, its username and e-mail
    Delete { user_id: String },
}

/// How the invite reaches the person (`delivery` of the API).
#[derive(clap::Args)]
struct DeliveryArg {
    /// link (the default): print the invite link, shown once, for you to hand over;
    /// email: the API mails the link to the user's address (it needs EMAIL_FROM, else
    /// 409 email_not_configured) and prints only the address, never the link, and
    /// accepting it marks the address verified
    #[arg(long, value_name = "HOW", value_parser = ["link", "email"])]
    delivery: Option<String>,
}

impl DeliveryArg {
    /// Adds `delivery` to a body when asked (without it the API hands out a link).
    fn add_to(&self, body: &mut Value) {
        if let Some(d) = &self.delivery {
            body["delivery"] = json!(d);
        }
    }
}

#[derive(Subcommand)]
enum Settings {
    /// The settings in force, each group stored or the default, whether EMAIL_FROM is
    /// set, and how long functions may keep using what they read
    Get,
    /// Change some keys of one group: reads the settings in force, changes only the
    /// named keys, and writes the whole group; prints the group as stored
    #[command(subcommand)]
    Set(SetGroup),
}

#[derive(Subcommand)]
enum SetGroup {
    /// Sign-up keys: mode=open|domain|closed, allowed_domains=a.com,b.com (empty:
    /// none; domain mode needs one), require_email_verification=true|false (true needs
    /// EMAIL_FROM), default_kind=creator|end_user, default_roles=a,b (empty: none)
    Signup {
        #[arg(required = true, value_name = "KEY=VALUE", value_parser = signup_change)]
        changes: Vec<(&'static str, Value)>,
    },
    /// Login keys: password_login=true (false is refused until single sign-on exists:
    /// it would leave no way to sign in)
    Login {
        #[arg(required = true, value_name = "KEY=VALUE", value_parser = login_change)]
        changes: Vec<(&'static str, Value)>,
    },
}

/// A list value: comma-separated, blanks dropped (`key=` is the empty list).
fn list(value: &str) -> Value {
    let items: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    json!(items)
}

fn boolean(key: &str, value: &str) -> Result<Value, String> {
    match value {
        "true" => Ok(json!(true)),
        "false" => Ok(json!(false)),
        _ => Err(format!("{key} must be true or false")),
    }
}

/// `key=value` of `settings set signup`.
fn signup_change(arg: &str) -> Result<(&'static str, Value), String> {
    let (key, value) = arg.split_once('=').ok_or("expected KEY=VALUE")?;
    match key {
        "mode" => Ok(("mode", json!(value))),
        "allowed_domains" => Ok(("allowed_domains", list(value))),
        "require_email_verification" => Ok(("require_email_verification", boolean(key, value)?)),
        "default_kind" => Ok(("default_kind", json!(value))),
        "default_roles" => Ok(("default_roles", list(value))),
        _ => Err(format!(
            "unknown key `{key}`: one of mode, allowed_domains, require_email_verification, default_kind, default_roles"
        )),
    }
}

/// `key=value` of `settings set login`.
fn login_change(arg: &str) -> Result<(&'static str, Value), String> {
    match arg.split_once('=').ok_or("expected KEY=VALUE")? {
        ("password_login", value) => Ok(("password_login", boolean("password_login", value)?)),
        (key, _) => Err(format!("unknown key `{key}`: password_login")),
    }
}

impl Settings {
    fn request(&self) -> Call {
        // `set` reads the settings in force first (SetGroup::write then sends the change).
        (Method::GET, "/admin/settings", None)
    }
}

impl SetGroup {
    /// The write of this change over `current` (the answer of `GET /admin/settings`):
    /// the group in force with the named keys replaced.
    fn write(&self, current: &Value) -> Call {
        let (group, path, changes) = match self {
            SetGroup::Signup { changes } => ("signup", "/admin/settings/signup", changes),
            SetGroup::Login { changes } => ("login", "/admin/settings/login", changes),
        };
        let mut body = current[group].as_object().cloned().unwrap_or_default();
        body.remove("source");
        for (key, value) in changes {
            body.insert((*key).to_owned(), value.clone());
        }
        (Method::POST, path, Some(Value::Object(body)))
    }
}

/// One admin API call: method, path and JSON body (for a GET: its query parameters).
pub(crate) type Call = (Method, &'static str, Option<Value>);

impl Command {
    fn request(&self) -> Call {
        match self {
            Command::Keys(c) => c.request(),
            Command::Clients(c) => c.request(),
            Command::Sessions(c) => c.request(),
            Command::SigningKeys(c) => c.request(),
            Command::Users(c) => c.request(),
            Command::Settings(c) => c.request(),
            Command::Idps(c) => c.request(),
            Command::Console { .. } => (Method::POST, "/admin/console/handoff", None),
        }
    }
}

impl Keys {
    fn request(&self) -> Call {
        match self {
            Keys::Create { name, scopes } => {
                let mut b = json!({ "name": name });
                if let Some(s) = scopes {
                    b["scopes"] = json!(s);
                }
                (Method::POST, "/admin/keys", Some(b))
            }
            Keys::List => (Method::GET, "/admin/keys", None),
            Keys::Disable { id } => (
                Method::POST,
                "/admin/keys/disable",
                Some(json!({ "id": id })),
            ),
            Keys::Delete { id } => (
                Method::POST,
                "/admin/keys/delete",
                Some(json!({ "id": id })),
            ),
        }
    }
}

impl Clients {
    fn request(&self) -> Call {
        match self {
            Clients::Add => (Method::POST, "/admin/clients", None),
            Clients::List => (Method::GET, "/admin/clients", None),
            Clients::Disable { client_id } => (
                Method::POST,
                "/admin/clients/disable",
                Some(json!({ "client_id": client_id })),
            ),
        }
    }
}

impl Sessions {
    fn request(&self) -> Call {
        match self {
            Sessions::List => (Method::GET, "/admin/sessions", None),
            Sessions::Revoke { kind, id_hash } => (
                Method::POST,
                "/admin/sessions/revoke",
                Some(json!({ "kind": kind, "id_hash": id_hash })),
            ),
            Sessions::RevokeUser { userid } => (
                Method::POST,
                "/admin/sessions/revoke-user",
                Some(json!({ "userid": userid })),
            ),
        }
    }
}

impl SigningKeys {
    fn request(&self) -> Call {
        match self {
            SigningKeys::Rotate { force } => (
                Method::POST,
                "/admin/signing-keys/rotate",
                Some(json!({ "force": force })),
            ),
        }
    }
}

impl Users {
    fn request(&self) -> Call {
        let user =
            |path, user_id: &String| (Method::POST, path, Some(json!({ "user_id": user_id })));
        match self {
            Users::List { q, kind, cursor } => {
                let mut query = serde_json::Map::new();
                for (name, value) in [("q", q), ("kind", kind), ("cursor", cursor)] {
                    if let Some(v) = value {
                        query.insert(name.into(), json!(v));
                    }
                }
                (Method::GET, "/admin/users", Some(Value::Object(query)))
            }
            Users::Create {
                email,
                kind,
                username,
                display_name,
                roles,
                delivery,
            } => {
                let mut b = json!({ "email": email, "kind": kind });
                for (name, value) in [("username", username), ("display_name", display_name)] {
                    if let Some(v) = value {
                        b[name] = json!(v);
                    }
                }
                if let Some(r) = roles {
                    b["roles"] = json!(r);
                }
                delivery.add_to(&mut b);
                (Method::POST, "/admin/users", Some(b))
            }
            Users::Reset { user_id, delivery } => {
                let mut b = json!({ "user_id": user_id });
                delivery.add_to(&mut b);
                (Method::POST, "/admin/users/reset-credentials", Some(b))
            }
            Users::Disable { user_id } => user("/admin/users/disable", user_id),
            Users::Enable { user_id } => user("/admin/users/enable", user_id),
            Users::Delete { user_id } => user("/admin/users/delete", user_id),
        }
    }
}

/// Why a command failed; shown after `gatehouse-admin: `.
#[derive(Debug)]
enum CliError {
    /// The standard chain found no credentials.
    NoCredentials,
    /// The standard chain failed to provide them.
    Credentials(CredentialsError),
    /// Signing the presigned request failed.
    Presign(gatehouse::Error),
    /// The sign-in request was not answered.
    SignIn(reqwest::Error),
    /// The API refused the sign-in.
    SignInRefused { status: StatusCode, message: String },
    /// The command's request was not answered.
    Send {
        path: &'static str,
        error: reqwest::Error,
    },
    /// The API refused the command.
    Failed {
        path: &'static str,
        status: StatusCode,
        message: String,
    },
    /// The command's input (a client secret on standard input) is missing.
    Input(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::NoCredentials => {
                f.write_str("no AWS credentials found (profile, environment or SSO)")
            }
            CliError::Credentials(e) => write!(f, "AWS credentials: {e}"),
            CliError::Input(e) => f.write_str(e),
            CliError::Presign(e) => write!(f, "{e}"),
            CliError::SignIn(e) => write!(f, "sign-in: {e}"),
            CliError::SignInRefused { status, message } => {
                write!(f, "sign-in refused ({status}): {message}")
            }
            CliError::Send { path, error } => write!(f, "{path}: {error}"),
            CliError::Failed {
                path,
                status,
                message,
            } => write!(f, "{path} failed ({status}): {message}"),
        }
    }
}

impl std::error::Error for CliError {}

/// An error answer's `message` (empty when it has none).
fn message(answer: &Value) -> String {
    answer["message"].as_str().unwrap_or("").to_owned()
}

/// Prints a list as a table (the first array in the answer), or the fields of an object.
fn print_table(v: &Value) {
    // A list answer is `{"<things>": [ {..}, .. ]}`; anything else prints as fields.
    // A page also carries its `cursor`, printed after the table.
    let rows = v.as_object().and_then(|o| {
        let arrays: Vec<&Vec<Value>> = o.values().filter_map(Value::as_array).collect();
        let others_are_cursors = o.keys().filter(|k| k.as_str() != "cursor").count() == 1;
        (others_are_cursors && arrays.len() == 1 && arrays[0].iter().all(Value::is_object))
            .then(|| arrays[0])
    });
    let cursor = v["cursor"].as_str().filter(|_| rows.is_some());
    let cell = |x: &Value| match x {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    match rows {
        Some(rows) if !rows.is_empty() => {
            let cols: Vec<String> = rows[0]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| cols.iter().map(|c| cell(&r[c])).collect())
                .collect();
            let widths: Vec<usize> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    table
                        .iter()
                        .map(|r| r[i].len())
                        .chain([c.len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<String>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            println!("{}", line(cols.clone()));
            for r in table {
                println!("{}", line(r));
            }
        }
        Some(_) => println!("(none)"),
        None => {
            for (k, x) in v.as_object().into_iter().flatten() {
                println!("{k}: {}", cell(x));
            }
        }
    }
    if let Some(c) = cursor {
        println!("cursor: {c}");
    }
}

/// A signed-in admin session: the cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

/// A presigned `GetCallerIdentity` request for `server_id`, signed with the standard
/// chain's credentials (they never leave this machine).
async fn presign(cli: &Cli, server_id: &str) -> Result<PresignedRequest, CliError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &cli.profile {
        loader = loader.profile_name(p);
    }
    let sdk = loader.load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let sts_url = cli
        .sts_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_STS").ok())
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
    let provider = sdk.credentials_provider().ok_or(CliError::NoCredentials)?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(CliError::Credentials)?;
    gatehouse::adapters::presign_get_caller_identity(
        &creds,
        &region,
        &sts_url,
        server_id,
        SystemTime::now(),
    )
    .map_err(CliError::Presign)
}

/// Signs in with the presigned request: the session cookie and CSRF token.
async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    presigned: &PresignedRequest,
) -> Result<Session, CliError> {
    let signin = http
        .post(format!("{url}/admin/signin"))
        .json(&json!({ "presigned": presigned }))
        .send()
        .await
        .map_err(CliError::SignIn)?;
    let status = signin.status();
    let cookie = signin
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let body: Value = signin.json().await.unwrap_or(Value::Null);
    let (Some(cookie), true) = (cookie, status.is_success()) else {
        return Err(CliError::SignInRefused {
            status,
            message: message(&body),
        });
    };
    let csrf = body["csrfToken"].as_str().unwrap_or_default().to_owned();
    Ok(Session { cookie, csrf })
}

/// Runs one command in `session`, starting with `first` (`settings set`: the read, then
/// the write), then signs out (whatever the command's answer).
async fn call(
    http: &reqwest::Client,
    url: &str,
    session: &Session,
    command: &Command,
    first: Call,
) -> Result<Value, CliError> {
    let mut answer = send(http, url, session, first).await;
    if let (Ok(current), Command::Settings(Settings::Set(set))) = (&answer, command) {
        answer = send(http, url, session, set.write(current)).await;
    }
    sign_out(http, url, session).await;
    answer
}

/// One call in `session`: its JSON answer, or the API's refusal.
async fn send(
    http: &reqwest::Client,
    url: &str,
    session: &Session,
    (method, path, payload): Call,
) -> Result<Value, CliError> {
    let method_is_get = method == Method::GET;
    let mut req = http
        .request(method, format!("{url}{path}"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf);
    match payload {
        Some(p) if method_is_get => req = req.query(&p),
        Some(p) => req = req.json(&p),
        None => {}
    }
    let resp = req
        .send()
        .await
        .map_err(|error| CliError::Send { path, error })?;
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(CliError::Failed {
            path,
            status,
            message: message(&answer),
        });
    }
    Ok(answer)
}

/// Ends the session (best effort: it expires anyway).
async fn sign_out(http: &reqwest::Client, url: &str, session: &Session) {
    let _ = http
        .post(format!("{url}/admin/signout"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .send()
        .await;
}

async fn run(cli: Cli) -> Result<Value, CliError> {
    let url = cli.url.trim_end_matches('/').to_owned();
    let server_id = cli.server_id.clone().unwrap_or_else(|| url.clone());
    // A client secret is read before signing in, so a missing one costs no sign-in.
    let first = match &cli.command {
        Command::Idps(i) if i.reads_secret() => {
            idps::with_stdin_secret(cli.command.request()).map_err(CliError::Input)?
        }
        c => c.request(),
    };
    let presigned = presign(&cli, &server_id).await?;
    gatehouse::adapters::sdk::install_crypto_provider();
    let http = reqwest::Client::new();
    let session = sign_in(&http, &url, &presigned).await?;
    let answer = call(&http, &url, &session, &cli.command, first).await?;
    match &cli.command {
        Command::Console { no_open } => Ok(console_link(&url, &answer, *no_open)),
        _ => Ok(answer),
    }
}

/// The hand-off's link (the code in the fragment, never in a query string), opened in
/// the default browser unless `no_open`; the answer printed is `{link, expires_at}`.
fn console_link(url: &str, answer: &Value, no_open: bool) -> Value {
    let code = answer["code"].as_str().unwrap_or_default();
    let link = format!("{url}/admin/console#handoff={code}");
    if !no_open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if std::process::Command::new(opener)
            .arg(&link)
            .spawn()
            .is_err()
        {
            eprintln!("gatehouse-admin: could not start {opener}; open the link yourself");
        }
    }
    json!({ "link": link, "expires_at": answer["expires_at"] })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let as_json = cli.json;
    let settings = matches!(cli.command, Command::Settings(_));
    match run(cli).await {
        Ok(v) if as_json => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        // Settings are nested groups: printed as JSON, not as a table.
        Ok(v) if settings => {
            println!("{v:#}");
            ExitCode::SUCCESS
        }
        Ok(v) => {
            print_table(&v);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gatehouse-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
