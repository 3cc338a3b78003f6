//! Fault injection through the whole stack (real HTTP to the local gateway): each
//! dependency of each function goes out — throttled, failing with 5xx, never
//! answering, resetting connections (a fault proxy, for what emulators cannot do), or
//! its emulator process killed mid-test — and every request that needs it fails closed
//! (the expected 500/503, no principal, token, session or JWKS granted, nothing
//! written) within a bounded time; once the dependency is back, the same requests
//! succeed on the same warm functions. Run with `--nocapture` for the times.

use common::admin::keys_body;
use common::faults::{
    self as kit, Emulator, Fault, FaultProxy, Outage, Probe, StackSecrets, Wiring, dynamodb_error,
    outage_round, query_error, secrets_error,
};
use common::{CLIENT_SECRET, ORIGIN, Stack, USER_PASSWORD};
use gatehouse::credentials::users::{User, UserKind, UserStore};
use gatehouse_e2e as common;
use reqwest::Method;
use serde_json::json;

/// Every request that reads or writes DynamoDB: the authorizer (an API key it has not
/// cached, a widget session cookie, a user session cookie), the widget's generateToken
/// and loginToken, both grants of /token (their failed-attempt counters), the admin
/// sign-in, and `person` signing in with the right password (README "People").
async fn dynamodb_probes(f: &Stack, admin: &common::IamUser, person: &User) -> Vec<Probe> {
    let fresh_key = common::api_key(&f.store, None, None).await;
    // Also puts the stack's own key in the authorizer's cache, so the widget requests
    // below reach the widget function.
    let temp = f.temp_token().await;
    let cookie = f.session_cookie().await;
    let user_cookie = f.user_cookie(UserKind::EndUser).await;
    let code = kit::host_code(&f.host().url).await;
    let identifier = person.username.as_ref().unwrap().as_str();
    vec![
        Probe::new("authorizer: API key", Method::GET, "/whoami", 500)
            .header("x-api-key", &fresh_key),
        kit::with_cookie(
            Probe::new("authorizer: session cookie", Method::GET, "/whoami", 500),
            &cookie,
        ),
        kit::with_cookie(
            Probe::new("authorizer: user session", Method::GET, "/users/me", 500),
            &user_cookie,
        ),
        Probe::new(
            "widget: generateToken",
            Method::POST,
            "/widget/generateToken",
            503,
        )
        .header("x-api-key", &f.key)
        .json(json!({"userid": "u"})),
        Probe::new(
            "widget: loginToken",
            Method::POST,
            "/widget/loginToken",
            503,
        )
        .header("origin", ORIGIN)
        .header("authorization", &temp),
        code_probe(&code),
        Probe::new("token: client_credentials", Method::POST, "/token", 503).form(&format!(
            "grant_type=client_credentials&client_id=1&client_secret={CLIENT_SECRET}"
        )),
        Probe::new("admin: sign-in", Method::POST, "/admin/signin", 503).json(keys_body(admin)),
        Probe::new("users: sign-in", Method::POST, "/users/signin", 503)
            .header("origin", ORIGIN)
            .json(json!({"identifier": identifier, "password": USER_PASSWORD})),
    ]
}

/// One outage of DynamoDB under [`dynamodb_probes`], a fresh person signing in among
/// them (so no lockout or failure carries over from a round before). The sign-in
/// during the outage opened no session: after the round the person lists exactly one,
/// the sign-in's after recovery, and exactly one `usess#` item was added (README
/// "People": a session is `usess#<sha256 of its id>`, listed by its user).
async fn dynamodb_round(f: &Stack, admin: &common::IamUser, outage: Outage<'_>) {
    let person = f.person(UserKind::Creator).await;
    let probes = dynamodb_probes(f, admin, &person).await;
    let sessions = f.items_of("usess#").await.len();
    outage_round(f, &probes, outage).await;
    let listed = f
        .store
        .get_user(&person.id)
        .await
        .unwrap()
        .unwrap()
        .sessions;
    assert_eq!(
        listed.len(),
        1,
        "only the sign-in after recovery: {listed:?}"
    );
    assert_eq!(
        f.items_of("usess#").await.len(),
        sessions + 1,
        "the sign-in during the outage wrote no session"
    );
}

fn code_probe(code: &str) -> Probe {
    Probe::new("token: code redemption", Method::POST, "/token", 503)
        .form(&format!("grant_type=authorization_code&code={code}"))
}

/// Every request that reads Secrets Manager: the JWKS, both grants of /token, the
/// widget security token, a bearer token at the authorizer.
async fn secrets_probes(f: &Stack, secrets: &StackSecrets) -> Vec<Probe> {
    // The stack's key in the authorizer's cache (its first use writes `last_used`).
    let warm = f.get("/whoami", &[("x-api-key", &f.key)]).await;
    assert!(kit::granted(&warm), "{}", warm.text);
    let bearer = format!("Bearer {}", secrets.access_token(&f.url));
    let code = kit::host_code(&f.host().url).await;
    vec![
        Probe::new("token: JWKS", Method::GET, "/.well-known/jwks.json", 503),
        Probe::new("token: client_credentials", Method::POST, "/token", 503).form(&format!(
            "grant_type=client_credentials&client_id=1&client_secret={CLIENT_SECRET}"
        )),
        code_probe(&code),
        Probe::new(
            "widget: security token",
            Method::POST,
            "/widget/login/token",
            503,
        )
        .header("x-api-key", &f.key)
        .json(json!({"userid": "u", "appid": "a"})),
        Probe::new("authorizer: bearer", Method::GET, "/stats", 500)
            .header("authorization", &bearer),
    ]
}

/// The faults no emulator produces, for a service's wire protocol.
fn proxy_faults(error: fn(u16, &str) -> Fault, throttled: &str, failed: &str) -> Vec<Fault> {
    vec![
        error(400, throttled),
        error(500, failed),
        Fault::Hang,
        Fault::Reset,
    ]
}

#[tokio::test]
async fn dynamodb_throttling_5xx_timeouts_and_resets_fail_closed_everywhere_then_recover() {
    let proxy = FaultProxy::start(&common::require_env("AWS_ENDPOINT_URL_DYNAMODB"));
    let mut w = Wiring::emulators().await;
    w.dynamodb = kit::dynamodb_at(&proxy.url).await;
    let f = kit::full_via(w, &StackSecrets::new(), &[]).await;
    let admin = common::iam_user(true).await;
    let mut faults = proxy_faults(
        dynamodb_error,
        "ProvisionedThroughputExceededException",
        "InternalServerError",
    );
    faults.push(dynamodb_error(400, "ThrottlingException"));
    for fault in faults {
        dynamodb_round(&f, &admin, Outage::Proxy(&proxy, fault, None)).await;
    }
}

#[tokio::test]
async fn dynamodb_killed_mid_test_fails_closed_everywhere_then_recovers_on_restart() {
    let mut dynamodb = Emulator::dynamodb().await;
    let mut w = Wiring::emulators().await;
    w.dynamodb = kit::dynamodb_at(&dynamodb.url).await;
    w.store = kit::table_in(w.dynamodb.clone()).await;
    let f = kit::full_via(w, &StackSecrets::new(), &[]).await;
    let admin = common::iam_user(true).await;
    dynamodb_round(&f, &admin, Outage::Kill(&mut dynamodb, None)).await;
}

/// Caches short enough that each round starts cold (the ring is reloaded after 1 s,
/// client secrets are not cached).
const COLD_SECRETS: [(&str, &str); 2] = [("KEY_RING_REFRESH", "1"), ("SECRETS_CACHE_TTL", "0")];

async fn let_caches_expire() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn secrets_manager_throttling_5xx_timeouts_and_resets_fail_closed_then_recover() {
    let proxy = FaultProxy::start(&common::require_env("AWS_ENDPOINT_URL_SECRETS_MANAGER"));
    let mut w = Wiring::emulators().await;
    w.secrets = kit::secrets_at(&proxy.url).await;
    let secrets = StackSecrets::new();
    let f = kit::full_via(w, &secrets, &COLD_SECRETS).await;
    for fault in proxy_faults(secrets_error, "ThrottlingException", "InternalServiceError") {
        let_caches_expire().await;
        let probes = secrets_probes(&f, &secrets).await;
        outage_round(&f, &probes, Outage::Proxy(&proxy, fault, None)).await;
    }
}

#[tokio::test]
async fn secrets_manager_killed_mid_test_fails_closed_then_recovers_on_restart() {
    let mut moto = Emulator::moto().await;
    let mut w = Wiring::emulators().await;
    w.secrets = kit::secrets_at(&moto.url).await;
    w.secrets_admin = w.secrets.clone();
    let secrets = StackSecrets::new();
    let f = kit::full_via(w, &secrets, &COLD_SECRETS).await;
    let probes = secrets_probes(&f, &secrets).await;
    outage_round(&f, &probes, Outage::Kill(&mut moto, Some(&secrets))).await;
}

#[tokio::test]
async fn sts_and_iam_throttling_5xx_timeouts_and_resets_fail_closed_then_recover() {
    let proxy = FaultProxy::start(&common::require_env("AWS_ENDPOINT_URL_STS"));
    let mut w = Wiring::emulators().await;
    w.admin_sdk = kit::sdk_at(&proxy.url).await;
    let f = kit::full_via(w, &StackSecrets::new(), &[]).await;
    let admin = common::iam_user(true).await;
    let signin = [
        Probe::new("admin: sign-in", Method::POST, "/admin/signin", 503).json(keys_body(&admin)),
    ];
    let services = [
        ("Action=GetCallerIdentity", "Throttling", "InternalFailure"),
        ("Action=ListGroupsForUser", "Throttling", "ServiceFailure"),
    ];
    for (only, throttled, failed) in services {
        for fault in proxy_faults(query_error, throttled, failed) {
            outage_round(&f, &signin, Outage::Proxy(&proxy, fault, Some(only))).await;
        }
    }
}

#[tokio::test]
async fn host_jwks_down_slow_garbage_or_10_mb_fails_closed_then_recovers() {
    let mut host = Emulator::host().await;
    let jwk = format!("{}/jwk", host.url);
    // The host's keys are cached for 1 s, so each round fetches them again.
    let extra = [("JWK_URL", jwk.as_str()), ("HOST_JWKS_TTL", "1")];
    let f = kit::full_via(Wiring::emulators().await, &StackSecrets::new(), &extra).await;
    for mode in ["slow", "garbage", "error", "huge", "huge-unsized"] {
        let_caches_expire().await;
        let probe = [code_probe(&kit::host_code(&host.url).await)];
        outage_round(&f, &probe, Outage::HostMode(&host.url, mode)).await;
    }
    let_caches_expire().await;
    let probe = [code_probe(&kit::host_code(&host.url).await)];
    outage_round(&f, &probe, Outage::Kill(&mut host, None)).await;
}
