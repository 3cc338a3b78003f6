//! `gatehouse-admin idps ...`: the identity providers (README "Single sign-on"). A
//! client secret is read from standard input (`--client-secret-stdin`), never from an
//! argument, which other users of the machine could see in the process list.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::Call;

#[derive(Subcommand)]
pub(crate) enum Idps {
    /// Every provider (client secrets as their last four characters)
    List,
    /// Add a provider; its client secret is read from standard input
    Add {
        id: String,
        #[arg(long)]
        display_name: String,
        /// https://..., exactly as the provider's discovery document names it
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Read the client secret from standard input (required)
        #[arg(long, required = true)]
        client_secret_stdin: bool,
        #[command(flatten)]
        fields: IdpFields,
    },
    /// Change the options given of a provider (--client-secret-stdin: a new secret)
    Update {
        id: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        client_secret_stdin: bool,
        #[command(flatten)]
        fields: IdpFields,
    },
    /// Disable a provider (its people stop signing in through it)
    Disable { id: String },
    /// Delete a provider and its client secret
    Delete { id: String },
    /// Discovery and the JWKS of a stored provider (ID) or of --issuer; never a grant
    Test {
        id: Option<String>,
        #[arg(long, conflicts_with = "id")]
        issuer: Option<String>,
    },
}

/// The options add and update share.
#[derive(clap::Args)]
pub(crate) struct IdpFields {
    /// Space-separated, with openid (default "openid email profile")
    #[arg(long)]
    scopes: Option<String>,
    /// Comma-separated id_token algorithms (default RS256,ES256)
    #[arg(long, value_delimiter = ',')]
    allowed_algs: Option<Vec<String>>,
    /// The claim naming the username (default preferred_username)
    #[arg(long)]
    username_claim: Option<String>,
    /// The claim naming the display name (default name)
    #[arg(long)]
    display_name_claim: Option<String>,
    /// Comma-separated; empty admits any verified e-mail
    #[arg(long, value_delimiter = ',')]
    allowed_email_domains: Option<Vec<String>>,
    /// existing_only (auto_create and link_verified_email come with provisioning)
    #[arg(long)]
    provisioning: Option<String>,
    /// creator or end_user (default end_user)
    #[arg(long)]
    default_kind: Option<String>,
    /// Comma-separated roles
    #[arg(long, value_delimiter = ',')]
    default_roles: Option<Vec<String>>,
    /// true or false (a new provider is enabled)
    #[arg(long)]
    enabled: Option<bool>,
}

impl IdpFields {
    fn add_to(&self, b: &mut Value) {
        let options = [
            ("scopes", self.scopes.as_ref().map(|v| json!(v))),
            ("allowed_algs", self.allowed_algs.as_ref().map(|v| json!(v))),
            (
                "allowed_email_domains",
                self.allowed_email_domains.as_ref().map(|v| json!(v)),
            ),
            ("provisioning", self.provisioning.as_ref().map(|v| json!(v))),
            ("default_kind", self.default_kind.as_ref().map(|v| json!(v))),
            (
                "default_roles",
                self.default_roles.as_ref().map(|v| json!(v)),
            ),
            ("enabled", self.enabled.map(|v| json!(v))),
        ];
        for (name, value) in options {
            if let Some(v) = value {
                b[name] = v;
            }
        }
        let mut map = serde_json::Map::new();
        for (name, value) in [
            ("username", &self.username_claim),
            ("display_name", &self.display_name_claim),
        ] {
            if let Some(v) = value {
                map.insert(name.into(), json!(v));
            }
        }
        if !map.is_empty() {
            b["claim_map"] = Value::Object(map);
        }
    }
}

fn set_given(b: &mut Value, given: &[(&str, &Option<String>)]) {
    for (name, value) in given {
        if let Some(v) = value {
            b[*name] = json!(v);
        }
    }
}

impl Idps {
    pub(crate) fn request(&self) -> Call {
        let one = |path, id: &String| (Method::POST, path, Some(json!({ "id": id })));
        match self {
            Idps::List => (Method::GET, "/admin/idps", None),
            Idps::Add {
                id,
                display_name,
                issuer,
                client_id,
                fields,
                ..
            } => {
                let mut b = json!({ "id": id, "display_name": display_name, "issuer": issuer, "client_id": client_id });
                fields.add_to(&mut b);
                (Method::POST, "/admin/idps", Some(b))
            }
            Idps::Update {
                id,
                display_name,
                issuer,
                client_id,
                fields,
                ..
            } => {
                let mut b = json!({ "id": id });
                set_given(
                    &mut b,
                    &[
                        ("display_name", display_name),
                        ("issuer", issuer),
                        ("client_id", client_id),
                    ],
                );
                fields.add_to(&mut b);
                (Method::POST, "/admin/idps/update", Some(b))
            }
            Idps::Disable { id } => one("/admin/idps/disable", id),
            Idps::Delete { id } => one("/admin/idps/delete", id),
            Idps::Test { id, issuer } => {
                let mut b = json!({});
                set_given(&mut b, &[("id", id), ("issuer", issuer)]);
                (Method::POST, "/admin/idps/test", Some(b))
            }
        }
    }

    /// Whether the client secret comes from standard input.
    pub(crate) fn reads_secret(&self) -> bool {
        matches!(
            self,
            Idps::Add {
                client_secret_stdin: true,
                ..
            } | Idps::Update {
                client_secret_stdin: true,
                ..
            }
        )
    }
}

/// `call` with the client secret read from standard input (its first line, without
/// the line end) added to the body.
pub(crate) fn with_stdin_secret(mut call: Call) -> Result<Call, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("reading the client secret from standard input: {e}"))?;
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err("no client secret on standard input".into());
    }
    if let Some(b) = call.2.as_mut() {
        b["client_secret"] = json!(secret);
    }
    Ok(call)
}
