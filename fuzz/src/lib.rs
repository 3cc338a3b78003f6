//! Fixtures shared by the fuzz targets: a fixed signing key ring (test keys, generated
//! once for fuzzing, never deployed), the host key for authorization codes, an
//! in-memory store holding one API key and one widget session, and the config of the
//! authorizer under test. Seeds are written by `cargo test -- --ignored write_seeds`.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::config::Config;
use gatehouse::credentials::apikey::ApiKeyRecord;
use gatehouse::credentials::apikey::ApiKeyStore;
use gatehouse::credentials::keys::{KeyRing, LoadedRing, public_jwk};
use gatehouse::credentials::secrets::SecretSource;
use gatehouse::credentials::users::{UserSession, UserSessionStore};
use gatehouse::credentials::widget::Session;
use gatehouse::credentials::widget::SessionStore;
use gatehouse::credentials::widget::TempToken;
use gatehouse::credentials::widget::WidgetUser;
use gatehouse::error::Result;
use gatehouse::primitives::crypto::sha256_hex;
use jsonwebtoken::{Algorithm, EncodingKey};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Issuer the authorizer under test expects.
pub const ISSUER: &str = "https://issuer.example";
/// The one allowed embedding origin.
pub const ORIGIN: &str = "https://app.example";
/// The fixed clock of the pure checks (2027-01-15).
pub const NOW: i64 = 1_800_000_000;
/// Expiry of seed tokens (2100-01-01), so they stay valid on the real clock too.
pub const FAR: i64 = 4_102_444_800;
/// The one valid API key (a fuzzing fixture, not a secret).
pub const API_KEY: &str = "gk_Fuzz0Fixture0Key_Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// The one valid widget session id (43 base64url characters).
pub const SESSION_ID: &str = "fuzz-session-0123456789-abcdefghijklmnopqrs";
/// Separator of multi-part inputs (never valid inside JSON, JWTs or header values).
pub const SEP: u8 = 0;

const KEYRING_JSON: &str = include_str!("../fixtures/keyring.json");

/// Splits `data` at [`SEP`] into exactly `n` parts (missing parts are empty).
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == SEP).collect();
    out.resize(n, &[]);
    out
}

/// The signing key ring: `current` ES256, `next` and `previous` RS256.
pub fn key_ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        KeyRing::parse(KEYRING_JSON)
            .expect("fixture key ring parses")
            .expect("fixture key ring is initialized")
    })
}

/// The ring, loaded (signer = the ES256 `current` key).
pub fn loaded_ring() -> &'static LoadedRing {
    static RING: OnceLock<LoadedRing> = OnceLock::new();
    RING.get_or_init(|| LoadedRing::load(key_ring()).expect("fixture key ring loads"))
}

/// The host site's RS256 key (the ring's `previous` key, in a ring of its own so its
/// private half signs).
pub fn host_ring() -> &'static LoadedRing {
    static RING: OnceLock<LoadedRing> = OnceLock::new();
    RING.get_or_init(|| {
        let r = key_ring();
        let host = r.previous.clone().expect("fixture ring has a previous key");
        let ring = KeyRing {
            next: host.clone(),
            current: host,
            previous: None,
            rotated_at: 0,
            derived_from: None,
        };
        LoadedRing::load(&ring).expect("host key loads")
    })
}

/// The host's JWKS document (one RS256 `use=sig` key with `kid`).
pub fn host_jwks() -> Value {
    let host = key_ring().previous.as_ref().expect("previous key");
    json!({ "keys": [public_jwk(host).expect("public JWK")] })
}

/// A JSON payload with its numeric `exp`, `iat` and `nbf` read as offsets from `now`
/// (so fuzzed claims land near the present and the time checks are reached).
pub fn shift_times(payload: &[u8], now: i64) -> Vec<u8> {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(mut m)) => {
            for k in ["exp", "iat", "nbf"] {
                if let Some(off) = m.get(k).and_then(Value::as_i64) {
                    m.insert(k.into(), now.saturating_add(off).into());
                }
            }
            serde_json::to_vec(&m).unwrap()
        }
        _ => payload.to_vec(),
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over arbitrary header and payload bytes, signed with `key`.
pub fn sign_jws(header: &[u8], payload: &[u8], key: &EncodingKey, alg: Algorithm) -> String {
    let message = format!("{}.{}", b64(header), b64(payload));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).expect("signing works");
    format!("{message}.{sig}")
}

/// A single-threaded runtime for the async verifiers.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

/// The authorizer's configuration: fixed issuer, one allowed origin, default rules.
pub fn config() -> Config {
    Config::from_lookup(|k| {
        let v = match k {
            "TABLE_NAME" => "fuzz-table",
            "ISSUER" => ISSUER,
            "ALLOWED_ORIGINS" => ORIGIN,
            "SIGNING_KEYS_SECRET_ARN" => "fuzz-ring",
            _ => return None,
        };
        Some(v.to_owned())
    })
    .expect("fuzz config is valid")
}

fn api_key_record() -> ApiKeyRecord {
    let (id, secret) = API_KEY["gk_".len()..].split_at(16);
    let secret = &secret[1..];
    ApiKeyRecord {
        id: id.to_owned(),
        secret_hash: sha256_hex(secret.as_bytes()),
        name: "fuzz".to_owned(),
        scopes: vec!["data".into(), "client".into(), "widget:issue".into()],
        created_at: 0,
        expires_at: None,
        disabled: false,
        last4: secret[secret.len() - 4..].to_owned(),
        last_used: None,
    }
}

/// Everything in memory: one API key, one widget session, the public app `app`;
/// writes are accepted.
#[derive(Clone, Copy)]
pub struct MemStore;

impl gatehouse::credentials::apps::AppRecords for MemStore {
    async fn get_app(&self, id: &str) -> Result<Option<gatehouse::credentials::apps::App>> {
        use gatehouse::credentials::apps::{App, Visibility};
        Ok((id == "app").then(|| App::new(id, "fuzz-owner", "Fuzz", Visibility::Public, 0)))
    }
    async fn get_grant(
        &self,
        _app: &str,
        _user: &str,
    ) -> Result<Option<gatehouse::credentials::apps::AppGrant>> {
        Ok(None)
    }
}

impl ApiKeyStore for MemStore {
    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
        let r = api_key_record();
        Ok((r.id == id).then_some(r))
    }
    async fn put_api_key(&self, _record: &ApiKeyRecord) -> Result<()> {
        Ok(())
    }
    async fn touch_api_key(&self, _id: &str, _at: i64) -> Result<()> {
        Ok(())
    }
}

impl SessionStore for MemStore {
    async fn put_temp_token(&self, _hash: &str, _token: &TempToken) -> Result<()> {
        Ok(())
    }
    async fn redeem_temp_token(
        &self,
        _hash: &str,
        _session_hash: &str,
        _origin: &str,
        _now: i64,
    ) -> Result<Option<Session>> {
        Ok(None)
    }
    async fn get_session(&self, hash: &str, now: i64) -> Result<Option<Session>> {
        let s = Session {
            user: WidgetUser {
                userid: "fuzz-user".into(),
                app_id: Some("app".into()),
                client_id: None,
                org_id: None,
            },
            origin: Some(ORIGIN.to_owned()),
            created_at: 0,
            expires_at: FAR,
        };
        Ok((hash == sha256_hex(SESSION_ID.as_bytes()) && s.expires_at > now).then_some(s))
    }
    async fn delete_session(&self, _hash: &str) -> Result<()> {
        Ok(())
    }
}

/// No user sessions: a user cookie is denied after its one (empty) read.
impl UserSessionStore for MemStore {
    async fn get_user_session(&self, _hash: &str, _now: i64) -> Result<Option<UserSession>> {
        Ok(None)
    }
}

/// The key ring secret, always available.
pub struct FixedSecrets;

impl SecretSource for FixedSecrets {
    async fn fetch(&self, _secret_id: &str) -> Result<SecretString> {
        Ok(SecretString::from(KEYRING_JSON.to_owned()))
    }
}

#[cfg(test)]
mod seeds;
