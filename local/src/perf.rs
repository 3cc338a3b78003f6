//! The performance run behind `make perf` (and, briefly, the CI smoke test): starts the
//! real function executables under the Runtime API emulator ([`crate::runtime_api`]),
//! Gatehouse's authorizer and the Python peer alike, with the same events and the same
//! data in the emulators, and collects init times, latencies, peak RSS and outbound
//! calls. [`report`] turns the figures (plus criterion's and the binary sizes) into
//! `docs/PERFORMANCE.md`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use gatehouse::adapters::DynamoStore;
use gatehouse::config::Config;
use gatehouse::credentials::jwt::{AUD_API, Claims};
use gatehouse::credentials::keys::{KeyRing, LoadedRing, SigningAlg};
use gatehouse::credentials::users::{Email, NewUser, UserKind, UserSession, UserStore, Username};
use gatehouse::credentials::widget::SessionStore;
use gatehouse::credentials::widget::TempToken;
use gatehouse::credentials::widget::WidgetUser;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Value, json};

use crate::bootstrap;
use crate::runtime_api::{BoxError, FunctionSpec, Running};

pub const ISSUER: &str = "http://127.0.0.1:3000";
pub const ORIGIN: &str = "http://localhost:3001";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory holding the `gatehouse-*` executables.
    pub bin_dir: PathBuf,
    /// Python interpreter for the peer (`None`: no peer).
    pub python: Option<String>,
    pub peer_script: PathBuf,
    /// Process starts per function for the init figure.
    pub starts: usize,
    /// Warm invocations per scenario.
    pub invocations: usize,
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Percentiles {
    pub fn of(samples: &[Duration]) -> Percentiles {
        let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        us.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if us.is_empty() {
                return 0.0;
            }
            let i = ((q * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1;
            us[i]
        };
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
        }
    }
}

/// One authorizer scenario, as one implementation ran it.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: &'static str,
    /// The first invocation after init (fills the caches).
    pub first_us: f64,
    pub warm: Percentiles,
    /// AWS calls per warm invocation, by service (averaged).
    pub aws_calls_per_warm: HashMap<String, f64>,
    /// Decisions that differed from the expected one (must be 0).
    pub wrong_decisions: usize,
    pub peak_rss_kib: u64,
}

/// Fresh starts of one function, each followed by one probe request that needs no
/// AWS call (no credential, or a malformed body): whatever was called by then, init
/// called.
#[derive(Debug, Clone)]
pub struct InitRuns {
    pub name: String,
    pub init: Percentiles,
    /// The probe's answer: `HTTP <status>`, `allow` or `deny`.
    pub probe: String,
    /// Outbound calls by the end of the probe, most of any start (0: init is offline).
    pub calls_at_init: u64,
    pub peak_rss_kib: u64,
}

/// The figures of one authorizer implementation.
#[derive(Debug, Clone)]
pub struct Implementation {
    pub name: String,
    pub init: InitRuns,
    pub scenarios: Vec<ScenarioResult>,
}

#[derive(Debug, Clone)]
pub struct HarnessResults {
    pub ours: Implementation,
    pub peer: Option<Implementation>,
    /// The token, widget, admin and users functions.
    pub functions: Vec<InitRuns>,
    /// Our authorizer again, with `SSL_CERT_DIR` pointing at an empty directory: what
    /// reading the machine's CA directory costs at init (the SDK loads the native
    /// roots when its clients are built).
    pub authorizer_no_cert_dir: InitRuns,
    pub starts: usize,
    pub invocations: usize,
}

/// Data in the emulators that every scenario uses.
struct Fixture {
    env: Vec<(String, String)>,
    es256_ring: String,
    api_key: String,
    session_id: String,
    /// The `__Host-gh_user` cookie of an active user's session.
    user_session_id: String,
    token_rs256: String,
    token_es256: String,
}

struct Scenario {
    name: &'static str,
    event: Value,
    allow: bool,
    es256: bool,
    /// The Python peer implements it (it has no user sessions).
    peer: bool,
    /// Environment the scenario's function gets on top of the fixture's.
    extra_env: &'static [(&'static str, &'static str)],
}

/// The shared app of the grant scenarios, owned by someone else and granted to the
/// fixture's user (README "Applications and sharing").
const PERF_APP: &str = "perf-app";

impl Fixture {
    async fn create() -> Result<Fixture, BoxError> {
        let suffix = gatehouse::primitives::crypto::random_base62(8);
        let table = format!("gatehouse-perf-{suffix}");
        let rs_ring = format!("gatehouse-perf-rs256-{suffix}");
        let es_ring = format!("gatehouse-perf-es256-{suffix}");
        let clients = format!("gatehouse-perf-clients-{suffix}");
        let sdk = gatehouse::adapters::sdk::sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let operator = bootstrap::operator_secrets(&sdk);
        bootstrap::create_table(&dynamodb, &table).await?;
        bootstrap::ensure_secret(&operator, &clients, "[]").await?;
        // Fixture setup acts as the operator (the admin function, unrestricted).
        let store = DynamoStore::new(
            dynamodb,
            table.clone(),
            gatehouse::records::access::Function::Admin,
        );
        let (api_key, _) = bootstrap::create_api_key(&store, "perf", None, None).await?;

        let now = gatehouse::primitives::time::now_epoch();
        let mut tokens = Vec::new();
        for (id, alg) in [(&rs_ring, SigningAlg::RS256), (&es_ring, SigningAlg::ES256)] {
            let ring = KeyRing::create(alg, now)?;
            bootstrap::ensure_secret(&operator, id, &ring.to_json()).await?;
            let claims = Claims::new(ISSUER, AUD_API, "1", "client data", now, 6 * 3600);
            tokens.push(gatehouse::credentials::jwt::issue(
                &LoadedRing::load(&ring)?,
                &claims,
            )?);
        }

        // A widget session, opened the way loginToken opens one.
        let temp = gatehouse::primitives::crypto::random_id();
        let session_id = gatehouse::primitives::crypto::random_id();
        let sha = |s: &str| gatehouse::primitives::crypto::sha256_hex(s.as_bytes());
        let user = WidgetUser {
            userid: "perf-user".into(),
            app_id: Some("app".into()),
            client_id: None,
            org_id: None,
        };
        let temp_token = TempToken {
            user,
            session_ttl: 6 * 3600,
            expires_at: now + 60,
        };
        store.put_temp_token(&sha(&temp), &temp_token).await?;
        store
            .redeem_temp_token(&sha(&temp), &sha(&session_id), ORIGIN, now)
            .await?
            .ok_or("the session was not opened")?;

        let env: Vec<(String, String)> = [
            ("TABLE_NAME", table.as_str()),
            ("SIGNING_KEYS_SECRET_ARN", rs_ring.as_str()),
            ("CLIENT_SECRETS_SECRET_ARN", clients.as_str()),
            ("ISSUER", ISSUER),
            ("ALLOWED_ORIGINS", ORIGIN),
            ("ADMIN_ACCOUNT_ID", "123456789012"),
            ("RUST_LOG", "info,gatehouse::metrics=debug"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(
            std::env::var("AWS_ENDPOINT_URL_STS")
                .ok()
                .map(|v| ("ADMIN_STS_ENDPOINT".to_owned(), v)),
        )
        .collect();
        let token_es256 = tokens.pop().ok_or("no token")?;
        let token_rs256 = tokens.pop().ok_or("no token")?;
        // Fail here, with the variable's name, rather than in every started function.
        let config = Config::from_lookup(|k| env_get(&env, k))?;
        let (user_session_id, user_id) = user_session(&store, &config, now).await?;
        grant_app(&store, &user_id, now).await?;
        Ok(Fixture {
            env,
            es256_ring: es_ring,
            api_key,
            session_id,
            user_session_id,
            token_rs256,
            token_es256,
        })
    }

    fn scenarios(&self) -> Vec<Scenario> {
        let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];
        let mut s = vec![
            Scenario {
                name: "bearer RS256",
                event: authorizer_event("GET", "/display", &bearer(&self.token_rs256)),
                allow: true,
                es256: false,
                peer: true,
                extra_env: &[],
            },
            Scenario {
                name: "bearer ES256",
                event: authorizer_event("GET", "/display", &bearer(&self.token_es256)),
                allow: true,
                es256: true,
                peer: true,
                extra_env: &[],
            },
            Scenario {
                name: "API key (cached)",
                event: authorizer_event("GET", "/display", &[("x-api-key", self.api_key.clone())]),
                allow: true,
                es256: false,
                peer: true,
                extra_env: &[],
            },
            Scenario {
                name: "session cookie",
                event: authorizer_event(
                    "GET",
                    "/display",
                    &[
                        ("cookie", format!("__Host-gh_session={}", self.session_id)),
                        ("origin", ORIGIN.to_owned()),
                    ],
                ),
                allow: true,
                es256: false,
                peer: true,
                extra_env: &[],
            },
            Scenario {
                name: "user session",
                event: authorizer_event(
                    "GET",
                    "/users/me",
                    &[
                        ("cookie", format!("__Host-gh_user={}", self.user_session_id)),
                        ("origin", ORIGIN.to_owned()),
                    ],
                ),
                allow: true,
                es256: false,
                peer: false,
                extra_env: &[],
            },
        ];
        // An app-bearing rule for a user with a grant: warm, the app and the grant come
        // from the cache (the session's read only); with the cache off, three reads.
        let user = [
            ("cookie", format!("__Host-gh_user={}", self.user_session_id)),
            ("origin", ORIGIN.to_owned()),
        ];
        let app_event = authorizer_event("GET", &format!("/apps/{PERF_APP}/data"), &user);
        for (name, extra_env) in [
            ("user session + grant (cached)", &[][..]),
            (
                "user session + grant (uncached)",
                &[("GRANT_CACHE_TTL", "0")][..],
            ),
        ] {
            s.push(Scenario {
                name,
                event: app_event.clone(),
                allow: true,
                es256: false,
                peer: false,
                extra_env,
            });
        }
        // A forged token: signature of another key (kid known, signature wrong).
        let forged = forge(&self.token_rs256);
        s.push(Scenario {
            name: "bearer, bad signature (deny)",
            event: authorizer_event("GET", "/display", &bearer(&forged)),
            allow: false,
            es256: false,
            peer: true,
            extra_env: &[],
        });
        s
    }

    fn spec(&self, name: &str, program: String, args: Vec<String>, es256: bool) -> FunctionSpec {
        let mut env = self.env.clone();
        if es256 {
            env.retain(|(k, _)| k != "SIGNING_KEYS_SECRET_ARN");
            env.push(("SIGNING_KEYS_SECRET_ARN".into(), self.es256_ring.clone()));
        }
        FunctionSpec {
            name: name.to_owned(),
            program,
            args,
            env,
        }
    }
}

/// An active user (created the one way users are created, at the configured Argon2id
/// parameters) and one session of it, opened as a sign-in opens one (README "People":
/// `usess#<sha256 of its id>`, listed by its user); the session's cookie value and the
/// user's id.
async fn user_session(
    store: &DynamoStore,
    config: &Config,
    now: i64,
) -> Result<(String, String), BoxError> {
    let new = NewUser {
        username: Some(Username::parse("perf-user")?),
        email: Some(Email::parse("perf-user@example.com")?),
        email_verified: true,
        display_name: None,
        kind: UserKind::Creator,
        roles: vec!["perf".into()],
        password: Some(secrecy::SecretString::from(
            gatehouse::primitives::crypto::random_id(),
        )),
        created_by: "bootstrap".into(),
    };
    let created =
        gatehouse::credentials::users::create_user(store, &config.passwords(), new, now).await?;
    let user = store
        .get_user(&created.id)
        .await?
        .ok_or("the user was not written")?;
    let id = gatehouse::primitives::crypto::random_id();
    let session = UserSession {
        user_id: user.id.clone(),
        kind: user.kind,
        roles: user.roles.clone(),
        created_at: now,
        expires_at: now + 6 * 3600,
    };
    let change = user.open_session(
        gatehouse::primitives::crypto::sha256_hex(id.as_bytes()),
        session,
    );
    if !store.change_sessions(&change).await? {
        return Err("the user session was not opened".into());
    }
    Ok((id, user.id))
}

/// [`PERF_APP`], shared and owned by another creator, and `user`'s grant on it.
async fn grant_app(store: &DynamoStore, user: &str, now: i64) -> Result<(), BoxError> {
    use gatehouse::credentials::apps::{App, AppGrant, AppStore, Visibility};
    let app = App::new(
        PERF_APP,
        "perf-owner-00000",
        "Perf",
        Visibility::Shared,
        now,
    );
    store.create_app(&app).await?;
    let grant = AppGrant {
        app_id: PERF_APP.into(),
        user_id: user.into(),
        permissions: None,
        asset_permissions: None,
        granted_by: app.owner.clone(),
        created_at: now,
    };
    store.put_grant(&grant).await?;
    Ok(())
}

fn env_get(env: &[(String, String)], k: &str) -> Option<String> {
    env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// Flips one character of the signature (still valid base64url).
fn forge(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().unwrap_or('A');
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}

/// The payload-2.0 request event API Gateway would send for this request.
fn http_event(method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Value {
    let mut map = HeaderMap::new();
    map.insert("user-agent", HeaderValue::from_static("gatehouse-perf"));
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(*k), HeaderValue::from_str(v)) {
            map.append(k, v);
        }
    }
    let uri: http::Uri = path.parse().unwrap_or_default();
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let peer: SocketAddr = ([198, 51, 100, 7], 443).into();
    // The route the gateway would match, and the parameters it would bind.
    let (template, params) = match crate::routes::find(method.as_str(), uri.path()) {
        Some((route, params)) => (route.path, params),
        None => (uri.path(), Vec::new()),
    };
    let mut event = crate::events::http_event(
        "127.0.0.1:3000",
        &format!("{method} {template}"),
        &method,
        &uri,
        &map,
        body,
        peer,
    );
    crate::events::set_path_parameters(&mut event, params);
    event
}

/// The authorizer's payload-2.0 event for a request with these headers (cookies included).
pub fn authorizer_event(method: &str, path: &str, headers: &[(&str, String)]) -> Value {
    crate::events::authorizer_event(&http_event(method, path, headers, b""))
}

fn is_allow(answer: &Value) -> bool {
    answer["isAuthorized"] == json!(true)
}

/// Differences between successive running totals: calls per invocation, by service.
fn per_invocation(totals: &[HashMap<String, u64>]) -> Vec<HashMap<String, u64>> {
    totals
        .windows(2)
        .map(|w| {
            w[1].iter()
                .map(|(k, v)| (k.clone(), v.saturating_sub(*w[0].get(k).unwrap_or(&0))))
                .collect()
        })
        .collect()
}

/// AWS calls only (the host JWKS and the identity providers are not AWS).
pub fn aws_total(calls: &HashMap<String, f64>) -> f64 {
    calls
        .iter()
        .filter(|(k, _)| !["host_jwks", "idp"].contains(&k.as_str()))
        .map(|(_, v)| v)
        .sum()
}

fn answer(o: &crate::runtime_api::Outcome) -> String {
    match o.body.get("statusCode").and_then(Value::as_u64) {
        Some(status) => format!("HTTP {status}"),
        None if o.error => "error".to_owned(),
        None if is_allow(&o.body) => "allow".to_owned(),
        None => "deny".to_owned(),
    }
}

async fn init_runs(
    spec: &FunctionSpec,
    probe: &Value,
    starts: usize,
) -> Result<InitRuns, BoxError> {
    // One unmeasured start first: the executable's pages come into the page cache and
    // the emulators settle, so the first sample does not measure the previous step.
    let mut warm_up = Running::start(spec).await?;
    warm_up.init_time(Duration::from_secs(30)).await?;
    warm_up.stop().await;
    let mut samples = Vec::with_capacity(starts);
    let (mut calls, mut peak, mut probe_answer) = (0, 0, String::new());
    for _ in 0..starts.max(1) {
        let mut r = Running::start(spec).await?;
        samples.push(r.init_time(Duration::from_secs(30)).await?);
        let o = r.invoke(probe).await?;
        probe_answer = answer(&o);
        let totals = r.call_totals(1).await;
        let first = totals.first().ok_or("no call-count line")?;
        calls = calls.max(first.values().sum());
        peak = peak.max(r.peak_rss_kib().unwrap_or(0));
        r.stop().await;
    }
    Ok(InitRuns {
        name: spec.name.clone(),
        init: Percentiles::of(&samples),
        probe: probe_answer,
        calls_at_init: calls,
        peak_rss_kib: peak,
    })
}

async fn run_scenario(
    spec: &FunctionSpec,
    scenario: &Scenario,
    invocations: usize,
) -> Result<ScenarioResult, BoxError> {
    let mut r = Running::start(spec).await?;
    r.init_time(Duration::from_secs(30)).await?;
    let first = r.invoke(&scenario.event).await?;
    let mut wrong = usize::from(first.error || is_allow(&first.body) != scenario.allow);
    let mut warm = Vec::with_capacity(invocations);
    for _ in 0..invocations {
        let o = r.invoke(&scenario.event).await?;
        wrong += usize::from(o.error || is_allow(&o.body) != scenario.allow);
        warm.push(o.latency);
    }
    let totals = r.call_totals(invocations + 1).await;
    let peak = r.peak_rss_kib().unwrap_or(0);
    r.stop().await;
    // Warm calls: from the end of the first invocation to the end of the last.
    let deltas = per_invocation(&totals);
    let mut sums: HashMap<String, f64> = HashMap::new();
    for d in deltas.iter().take(invocations) {
        for (k, v) in d {
            *sums.entry(k.clone()).or_default() += *v as f64;
        }
    }
    let n = deltas.len().clamp(1, invocations.max(1)) as f64;
    if totals.len() < invocations + 1 {
        return Err(format!(
            "{}: {} of {} call-count lines",
            scenario.name,
            totals.len(),
            invocations + 1
        )
        .into());
    }
    Ok(ScenarioResult {
        name: scenario.name,
        first_us: first.latency.as_secs_f64() * 1e6,
        warm: Percentiles::of(&warm),
        aws_calls_per_warm: sums.into_iter().map(|(k, v)| (k, v / n)).collect(),
        wrong_decisions: wrong,
        peak_rss_kib: peak,
    })
}

async fn run_implementation(
    name: &str,
    is_peer: bool,
    fixture: &Fixture,
    spec_of: impl Fn(bool) -> FunctionSpec,
    opts: &Options,
) -> Result<Implementation, BoxError> {
    let probe = authorizer_event("GET", "/display", &[]);
    let init = init_runs(&spec_of(false), &probe, opts.starts).await?;
    let mut scenarios = Vec::new();
    for s in fixture.scenarios() {
        if is_peer && !s.peer {
            continue;
        }
        let mut spec = spec_of(s.es256);
        let extra = s
            .extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()));
        spec.env.extend(extra);
        scenarios.push(run_scenario(&spec, &s, opts.invocations).await?);
    }
    Ok(Implementation {
        name: name.to_owned(),
        init,
        scenarios,
    })
}

/// The other functions: init, then one request each that needs no AWS call.
async fn run_functions(fixture: &Fixture, opts: &Options) -> Result<Vec<InitRuns>, BoxError> {
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let json = [("content-type", "application/json".to_owned())];
    let cases = [
        ("gatehouse-token", http_event("POST", "/token", &form, b"")),
        (
            "gatehouse-widget",
            http_event("POST", "/widget/loginToken", &json, br#"{"token":"x"}"#),
        ),
        (
            "gatehouse-admin-api",
            http_event("GET", "/admin/session", &[], b""),
        ),
        (
            "gatehouse-users",
            http_event("GET", "/users/password-policy", &[], b""),
        ),
    ];
    let mut out = Vec::new();
    for (bin, probe) in cases {
        let program = opts.bin_dir.join(bin).to_string_lossy().into_owned();
        let spec = fixture.spec(bin, program, vec![], false);
        out.push(init_runs(&spec, &probe, opts.starts).await?);
    }
    Ok(out)
}

/// Runs everything against the emulators named by the environment.
pub async fn run(opts: &Options) -> Result<HarnessResults, BoxError> {
    let fixture = Fixture::create().await?;
    let authorizer = opts
        .bin_dir
        .join("gatehouse-authorizer")
        .to_string_lossy()
        .into_owned();
    let ours = run_implementation(
        "Gatehouse (Rust)",
        false,
        &fixture,
        |es| fixture.spec("gatehouse-authorizer", authorizer.clone(), vec![], es),
        opts,
    )
    .await?;
    let peer = match &opts.python {
        Some(py) => {
            let script = opts.peer_script.to_string_lossy().into_owned();
            Some(
                run_implementation(
                    "Python 3.11 peer",
                    true,
                    &fixture,
                    |es| fixture.spec("peer-authorizer", py.clone(), vec![script.clone()], es),
                    opts,
                )
                .await?,
            )
        }
        None => None,
    };
    let functions = run_functions(&fixture, opts).await?;
    let empty = std::env::temp_dir().join(format!(
        "gatehouse-perf-empty-{}",
        gatehouse::primitives::crypto::random_base62(8)
    ));
    std::fs::create_dir_all(&empty)?;
    let mut spec = fixture.spec(
        "gatehouse-authorizer (empty SSL_CERT_DIR)",
        authorizer,
        vec![],
        false,
    );
    spec.env
        .push(("SSL_CERT_DIR".into(), empty.to_string_lossy().into_owned()));
    let authorizer_no_cert_dir = init_runs(
        &spec,
        &authorizer_event("GET", "/display", &[]),
        opts.starts,
    )
    .await;
    let _ = std::fs::remove_dir(&empty);
    let authorizer_no_cert_dir = authorizer_no_cert_dir?;
    Ok(HarnessResults {
        ours,
        peer,
        functions,
        authorizer_no_cert_dir,
        starts: opts.starts,
        invocations: opts.invocations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::of(&d);
        assert_eq!((p.p50, p.p90, p.p99), (50.0, 90.0, 99.0));
        assert_eq!(Percentiles::of(&[]).p50, 0.0);
    }

    #[test]
    fn calls_per_invocation_are_differences() {
        let t = |d: u64, s: u64| HashMap::from([("dynamodb".into(), d), ("sts".into(), s)]);
        let per = per_invocation(&[t(0, 0), t(1, 0), t(1, 0), t(3, 1)]);
        assert_eq!(per.len(), 3);
        assert_eq!(per[0]["dynamodb"], 1);
        assert_eq!(per[1]["dynamodb"], 0);
        assert_eq!((per[2]["dynamodb"], per[2]["sts"]), (2, 1));
    }

    #[test]
    fn forged_tokens_differ_in_the_signature_only() {
        let t = "a.b.cdA";
        assert_eq!(forge(t), "a.b.cdB");
        assert_eq!(forge("a.b.cdB"), "a.b.cdA");
    }
}
