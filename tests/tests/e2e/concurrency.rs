//! Concurrency through the local gateway (DynamoDB Local, moto): one-time values
//! redeemed by many requests at once, and signing-key rotation while clients keep
//! verifying. Each test prints its figures (run with `--nocapture` to see them).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::Answer;
use common::{ORIGIN, Stack, full};
use gatehouse::credentials::keys::SigningAlg;
use gatehouse::credentials::rotation::{self, RotationPolicy, RotationStep};
use gatehouse_e2e as common;
use reqwest::StatusCode;
use serde_json::json;

/// Rounds per one-time value kind; each round redeems a fresh value.
const ROUNDS: usize = 100;
/// Concurrent redemptions of one value.
const RACERS: usize = 50;

/// `ROUNDS` rounds: each makes a fresh value with `fresh`, then fires `RACERS`
/// concurrent `redeem`s of it. Exactly one may succeed (200); every other answer must
/// be the documented refusal (`status`, JSON `error`), never a 5xx.
async fn race<Fut>(
    s: &Arc<Stack>,
    fresh: impl AsyncFn(&Stack) -> String,
    redeem: fn(Arc<Stack>, String) -> Fut,
    refusal: (StatusCode, &str),
) -> usize
where
    Fut: Future<Output = Answer> + Send + 'static,
{
    let (mut successes, mut refusals) = (0, 0);
    for round in 0..ROUNDS {
        let value = fresh(s).await;
        let tasks: Vec<_> = (0..RACERS)
            .map(|_| tokio::spawn(redeem(s.clone(), value.clone())))
            .collect();
        let mut won = 0;
        for t in tasks {
            let a = t.await.unwrap();
            if a.status == StatusCode::OK {
                won += 1;
            } else {
                assert_eq!(
                    (a.status, a.body["error"].as_str()),
                    (refusal.0, Some(refusal.1)),
                    "round {round}: {}",
                    a.text
                );
                refusals += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one redemption succeeds");
        successes += won;
    }
    assert_eq!(successes, ROUNDS);
    assert_eq!(refusals, ROUNDS * (RACERS - 1));
    println!(
        "{ROUNDS} rounds x {RACERS} concurrent requests = {} requests: {successes} successes, {refusals} refusals ({}), 0 server errors",
        ROUNDS * RACERS,
        refusal.0
    );
    successes
}

async fn login(s: Arc<Stack>, token: String) -> Answer {
    s.login(&token).await
}

async fn redeem(s: Arc<Stack>, code: String) -> Answer {
    s.redeem(&code).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temp_token_raced_by_50_logins_opens_one_session_in_each_of_100_rounds() {
    let s = Arc::new(full(&[]).await);
    let refusal = (StatusCode::UNAUTHORIZED, "unauthorized");
    race(&s, async |s| s.temp_token().await, login, refusal).await;
    assert_eq!(
        s.items_of(gatehouse::records::prefix::SESSION).await.len(),
        ROUNDS,
        "one session per token"
    );
    assert_eq!(
        s.items_of(gatehouse::records::prefix::TEMP).await.len(),
        0,
        "every token consumed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_code_raced_by_50_redemptions_yields_one_token_in_each_of_100_rounds() {
    // Every losing redemption is a failed attempt from this one address: the per-IP
    // limit (README, "Rate limits") is raised so the race, not the limit, decides.
    let s = Arc::new(full(&[("TOKEN_IP_LIMIT", "10000")]).await);
    let fresh = async |s: &Stack| {
        let now = gatehouse::primitives::time::now_epoch();
        s.code(json!({"exp": now + 60, "jti": gatehouse::primitives::crypto::random_id()}))
            .await
    };
    let refusal = (StatusCode::BAD_REQUEST, "invalid_grant");
    race(&s, fresh, redeem, refusal).await;
    assert_eq!(
        s.items_of(gatehouse::records::prefix::USED_CODE)
            .await
            .len(),
        ROUNDS,
        "one mark per code"
    );
}

/// Rotations in the test; each is followed by `SETTLE` (several `KEY_RING_REFRESH`
/// periods, so every function and the authorizer have reloaded the ring).
const ROTATIONS: usize = 4;
const SETTLE: Duration = Duration::from_millis(2500);
const CLIENTS: usize = 10;

/// Verifies `token` at the authorizer: access tokens on `GET /stats` (scope `data`),
/// widget tokens on `GET /display` from their origin.
async fn verify(s: &Stack, token: &str, widget: bool) -> StatusCode {
    let bearer = format!("Bearer {token}");
    let a = if widget {
        let h = [("authorization", bearer.as_str()), ("origin", ORIGIN)];
        s.get("/display", &h).await
    } else {
        s.get("/stats", &[("authorization", &bearer)]).await
    };
    a.status
}

/// One client until `stop`: gets a fresh token from the current key, verifies it and the
/// one before it (which may predate a rotation). Returns (requests, rejections).
async fn client(s: Arc<Stack>, widget: bool, stop: Arc<AtomicBool>) -> (usize, usize) {
    let (mut requests, mut rejections) = (0, 0);
    let mut previous: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let token = if widget {
            s.security_token().await
        } else {
            s.client_token().await
        };
        for t in std::iter::once(&token).chain(previous.iter()) {
            let status = verify(&s, t, widget).await;
            requests += 1;
            if status != StatusCode::OK {
                rejections += 1;
                eprintln!("false rejection ({status}) of a widget={widget} token");
            }
        }
        previous = Some(token);
    }
    (requests, rejections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ring_rotations_while_10_clients_verify_reject_no_valid_token() {
    let s = Arc::new(full(&[("KEY_RING_REFRESH", "1")]).await);
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(s.clone(), i % 2 == 1, stop.clone())))
        .collect();
    // The rotation Lambda's four steps, as the function user (template permissions).
    let sm = common::secrets().await;
    let policy = RotationPolicy {
        alg: SigningAlg::RS256,
        min_interval_secs: 0,
    };
    let mut held: Vec<String> = Vec::new();
    for r in 0..ROTATIONS {
        tokio::time::sleep(SETTLE).await;
        let before = s.client_token().await;
        let version = gatehouse::primitives::crypto::random_id();
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let now = gatehouse::primitives::time::now_epoch();
            let req = RotationStep::direct(step, &s.ring, &version);
            rotation::run_step(&sm, &s.store, policy, &req, now)
                .await
                .unwrap();
        }
        tokio::time::sleep(SETTLE).await;
        assert_eq!(
            verify(&s, &before, false).await,
            StatusCode::OK,
            "rotation {r}: a token from before it still verifies (previous key published)"
        );
        if let Some(older) = held.last() {
            assert_eq!(
                verify(&s, older, false).await,
                StatusCode::FORBIDDEN,
                "rotation {r}: two rotations later the key is gone (the rotations took effect)"
            );
        }
        held.push(before);
    }
    stop.store(true, Ordering::Relaxed);
    let (mut requests, mut rejections) = (0, 0);
    for c in clients {
        let (n, bad) = c.await.unwrap();
        requests += n;
        rejections += bad;
    }
    println!(
        "{ROTATIONS} rotations, {CLIENTS} clients: {requests} verifications, {rejections} rejections"
    );
    assert_eq!(rejections, 0, "no valid token was rejected");
    assert!(
        requests >= CLIENTS * ROTATIONS,
        "the clients kept verifying: {requests}"
    );
}
