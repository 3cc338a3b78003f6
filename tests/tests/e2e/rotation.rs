//! Rotation of the signing key ring against moto: the four Secrets Manager steps run
//! directly (moto cannot invoke a rotation Lambda), signing as the function user whose
//! policy mirrors template.yaml.

use std::collections::HashSet;
use std::time::Duration;

use common::{Stack, full};
use gatehouse::credentials::jwt::{AUD_API, Claims, Expect, issue, read_header, verify_issued};
use gatehouse::credentials::keys::{KeyRing, LoadedRing, RotationKind, SigningAlg, StoredKey};
use gatehouse::credentials::rotation::{
    self, AWSCURRENT, AWSPENDING, Caller, RotationPolicy, RotationStep, SecretVersions, StepOutcome,
};
use gatehouse::records::lock;
use gatehouse_e2e as common;
use reqwest::StatusCode;

const POLICY: RotationPolicy = RotationPolicy {
    alg: SigningAlg::RS256,
    min_interval_secs: 0,
};

async fn current(sm: &aws_sdk_secretsmanager::Client, id: &str) -> KeyRing {
    let v = sm.value(id, None, AWSCURRENT).await.unwrap().unwrap();
    KeyRing::parse(&v).unwrap().unwrap()
}

fn verifies(ring: &KeyRing, token: &str) -> bool {
    let loaded = LoadedRing::load(ring).unwrap();
    let header = read_header(token).unwrap();
    let Some(key) = loaded.verifiers.get(header.kid.as_deref().unwrap()) else {
        return false;
    };
    let expect = Expect {
        issuer: "https://iss",
        audiences: &[AUD_API],
        now: gatehouse::primitives::time::now_epoch(),
    };
    verify_issued(token, &header, key, &expect).is_ok()
}

fn jwks_kids(ring: &KeyRing) -> HashSet<String> {
    let loaded = LoadedRing::load(ring).unwrap();
    loaded.jwks.keys.iter().map(|k| k.kid.clone()).collect()
}

#[tokio::test]
async fn four_steps_create_the_ring_then_rotate_it() {
    let sm = common::secrets().await; // the function user: template permissions only
    let locks = common::fresh_store().await;
    let id = common::fresh_secret("ring", gatehouse::credentials::keys::UNINITIALIZED).await;
    let now = gatehouse::primitives::time::now_epoch();
    for (round, expected) in [(0, RotationKind::Created), (1, RotationKind::Rotated)] {
        let token = format!(
            "token-{round}-{}",
            gatehouse::primitives::crypto::random_base62(40)
        );
        let step = |name| RotationStep::direct(name, &id, &token);
        let created = rotation::run_step(&sm, &locks, POLICY, &step("createSecret"), now)
            .await
            .unwrap();
        let StepOutcome::Staged(o) = created else {
            panic!("{created:?}")
        };
        assert_eq!(o.kind, expected);
        // A retried createSecret does nothing (the pending version exists).
        assert_eq!(
            rotation::run_step(&sm, &locks, POLICY, &step("createSecret"), now)
                .await
                .unwrap(),
            StepOutcome::Unchanged
        );
        for (name, outcome) in [
            ("setSecret", StepOutcome::Unchanged),
            ("testSecret", StepOutcome::Tested),
            ("finishSecret", StepOutcome::Promoted),
        ] {
            assert_eq!(
                rotation::run_step(&sm, &locks, POLICY, &step(name), now)
                    .await
                    .unwrap(),
                outcome
            );
        }
        let versions = sm.versions(&id).await.unwrap();
        assert!(
            versions[&token].iter().any(|s| s == AWSCURRENT),
            "{versions:?}"
        );
        assert!(!versions[&token].iter().any(|s| s == AWSPENDING));
        // Once current, every step is a no-op.
        assert_eq!(
            rotation::run_step(&sm, &locks, POLICY, &step("finishSecret"), now)
                .await
                .unwrap(),
            StepOutcome::Unchanged
        );
    }
    let ring = current(&sm, &id).await;
    assert!(ring.previous.is_some());
    assert!(
        ring.derived_from.is_some(),
        "createSecret records its source"
    );
    let bogus = RotationStep::direct("bogusStep", &id, "t");
    assert!(
        rotation::run_step(&sm, &locks, POLICY, &bogus, now)
            .await
            .is_err()
    );
    assert!(!lock_held(&locks).await, "finishSecret released the lock");
}

#[tokio::test]
async fn tokens_survive_one_rotation_but_not_two_and_next_is_always_published() {
    let sm = common::secrets().await;
    let id = common::fresh_secret("ring", gatehouse::credentials::keys::UNINITIALIZED).await;
    let now = gatehouse::primitives::time::now_epoch();
    rotation::rotate_now(&sm, POLICY, &id, now, false)
        .await
        .unwrap();
    let r0 = current(&sm, &id).await;
    let token = issue(
        &LoadedRing::load(&r0).unwrap(),
        &Claims::new("https://iss", AUD_API, "1", "data", now, 900),
    )
    .unwrap();
    assert!(verifies(&r0, &token));
    assert!(
        jwks_kids(&r0).contains(&r0.next.kid),
        "the key that signs next is public"
    );

    rotation::rotate_now(&sm, POLICY, &id, now, false)
        .await
        .unwrap();
    let r1 = current(&sm, &id).await;
    assert_eq!(r1.current.kid, r0.next.kid, "next became current");
    assert!(
        jwks_kids(&r0).contains(&r1.current.kid),
        "published a full period before signing"
    );
    assert!(jwks_kids(&r1).contains(&r1.next.kid));
    assert!(
        verifies(&r1, &token),
        "a token from before one rotation still verifies"
    );

    rotation::rotate_now(&sm, POLICY, &id, now, false)
        .await
        .unwrap();
    let r2 = current(&sm, &id).await;
    assert!(
        !verifies(&r2, &token),
        "after two rotations the old key is gone"
    );
}

#[tokio::test]
async fn too_early_rotation_is_refused_unless_forced() {
    let sm = common::secrets().await;
    let locks = common::fresh_store().await;
    let id = common::fresh_secret("ring", gatehouse::credentials::keys::UNINITIALIZED).await;
    let now = gatehouse::primitives::time::now_epoch();
    rotation::rotate_now(&sm, STRICT, &id, now, false)
        .await
        .unwrap();
    let before = current(&sm, &id).await;

    let err = rotation::rotate_now(&sm, STRICT, &id, now + 60, false)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 409);
    assert_eq!(current(&sm, &id).await, before, "nothing changed");
    assert_eq!(pending_versions(&sm, &id).await, 0);

    // Through the Lambda's createSecret step too.
    let early = RotationStep::direct("createSecret", &id, "early");
    assert!(
        rotation::run_step(&sm, &locks, STRICT, &early, now + 60)
            .await
            .is_err()
    );

    let outcome = rotation::rotate_now(&sm, STRICT, &id, now + 60, true)
        .await
        .unwrap();
    assert_eq!(outcome.kind, RotationKind::EmergencyRotated);
    let after = current(&sm, &id).await;
    for old in before.keys() {
        assert!(
            !jwks_kids(&after).contains(&old.kid),
            "old key dropped at once"
        );
    }
}

/// The function user's Secrets Manager, a lock table, and a ring secret with all three
/// keys, last rotated at `t0` under [`STRICT`].
async fn three_key_ring() -> (
    aws_sdk_secretsmanager::Client,
    gatehouse::adapters::DynamoStore,
    String,
    i64,
) {
    let sm = common::secrets().await;
    let locks = common::fresh_store().await;
    let id = common::fresh_secret("ring", gatehouse::credentials::keys::UNINITIALIZED).await;
    let t0 = gatehouse::primitives::time::now_epoch();
    let interval = STRICT.min_interval_secs;
    rotation::rotate_now(&sm, STRICT, &id, t0 - interval, false)
        .await
        .unwrap();
    rotation::rotate_now(&sm, STRICT, &id, t0, false)
        .await
        .unwrap();
    assert!(current(&sm, &id).await.previous.is_some());
    (sm, locks, id, t0)
}

/// A forced rotation `after` seconds past the last one: a new current and next, no
/// previous, and the answer names every old kid.
async fn forced_rotation_after(after: i64) {
    let (sm, _, id, t0) = three_key_ring().await;
    let before = current(&sm, &id).await;
    let outcome = rotation::rotate_now(&sm, STRICT, &id, t0 + after, true)
        .await
        .unwrap();
    assert_eq!(outcome.kind, RotationKind::EmergencyRotated);
    let after_ring = current(&sm, &id).await;
    assert!(
        after_ring.previous.is_none(),
        "no previous after a forced rotation"
    );
    let published = jwks_kids(&after_ring);
    let old: HashSet<String> = before.keys().map(|k| k.kid.clone()).collect();
    assert_eq!(old.len(), 3);
    assert!(
        published.is_disjoint(&old),
        "no old kid in the JWKS: {published:?}"
    );
    let dropped: HashSet<String> = outcome.dropped_kids.iter().cloned().collect();
    assert_eq!(dropped, old, "the answer names previous, current and next");
    assert_eq!(outcome.current_kid, after_ring.current.kid);
    assert_eq!(outcome.next_kid, after_ring.next.kid);
}

#[tokio::test]
async fn forced_rotation_inside_the_interval_replaces_the_whole_ring() {
    forced_rotation_after(60).await;
}

#[tokio::test]
async fn forced_rotation_outside_the_interval_replaces_the_whole_ring() {
    forced_rotation_after(STRICT.min_interval_secs + 60).await;
}

/// `claims` signed by `key` (any key of a ring, not only its current one).
fn signed_by(key: &StoredKey, claims: &Claims) -> String {
    let ring = KeyRing {
        next: key.clone(),
        current: key.clone(),
        previous: None,
        rotated_at: 0,
        derived_from: None,
    };
    issue(&LoadedRing::load(&ring).unwrap(), claims).unwrap()
}

/// The authorizer's answer for `token` on `GET /stats` (scope `data`).
async fn at_authorizer(s: &Stack, token: &str) -> StatusCode {
    let bearer = format!("Bearer {token}");
    s.get("/stats", &[("authorization", &bearer)]).await.status
}

#[tokio::test]
async fn after_a_forced_rotation_no_old_key_is_published_or_trusted_once_the_ring_refreshes() {
    let refresh = Duration::from_secs(1);
    let s = full(&[("KEY_RING_REFRESH", "1")]).await;
    let sm = common::secrets().await;
    // Give the ring a previous key (its interval does not apply with min 0).
    rotation::rotate_now(
        &sm,
        POLICY,
        &s.ring,
        gatehouse::primitives::time::now_epoch(),
        false,
    )
    .await
    .unwrap();
    let old = current(&sm, &s.ring).await;
    let claims = common::claims_of(&s.client_token().await);
    let tokens: Vec<(String, String)> = old
        .keys()
        .map(|k| (k.kid.clone(), signed_by(k, &claims)))
        .collect();
    assert_eq!(tokens.len(), 3, "previous, current and next");
    tokio::time::sleep(refresh * 2).await;
    for (kid, t) in &tokens {
        assert_eq!(
            at_authorizer(&s, t).await,
            StatusCode::OK,
            "{kid} verifies before"
        );
    }

    // The operator's emergency rotation, right after the last one (inside the interval).
    let strict = RotationPolicy {
        min_interval_secs: STRICT.min_interval_secs,
        ..POLICY
    };
    let outcome = lock::locked(&s.store, lock::SIGNING_KEYS, async || {
        rotation::rotate_now(
            &sm,
            strict,
            &s.ring,
            gatehouse::primitives::time::now_epoch(),
            true,
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(outcome.dropped_kids.len(), 3);
    tokio::time::sleep(refresh * 2 + Duration::from_millis(500)).await;

    let jwks = common::get_json(&s.http, &format!("{}/.well-known/jwks.json", s.url)).await;
    let published: HashSet<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        published,
        HashSet::from([outcome.current_kid.as_str(), outcome.next_kid.as_str()])
    );
    for (kid, t) in &tokens {
        assert_eq!(
            at_authorizer(&s, t).await,
            StatusCode::FORBIDDEN,
            "a token signed by old key {kid} is denied"
        );
    }
    let fresh = s.client_token().await;
    assert_eq!(
        at_authorizer(&s, &fresh).await,
        StatusCode::OK,
        "the new ring signs"
    );
}

#[tokio::test]
async fn scheduled_rotation_overtaken_by_an_emergency_one_ends_superseded() {
    let (sm, locks, id, t0) = three_key_ring().await;
    let compromised = current(&sm, &id).await;
    // Secrets Manager starts its scheduled rotation: createSecret derives a pending ring
    // from the (compromised) AWSCURRENT.
    let scheduled = gatehouse::primitives::crypto::random_id();
    let step = |name| RotationStep::direct(name, &id, &scheduled);
    let later = t0 + STRICT.min_interval_secs + 1;
    let staged = rotation::run_step(&sm, &locks, STRICT, &step("createSecret"), later)
        .await
        .unwrap();
    assert!(matches!(staged, StepOutcome::Staged(_)), "{staged:?}");

    // Meanwhile the operator forces an emergency rotation (the admin API's path).
    let emergency = lock::locked(&locks, lock::SIGNING_KEYS, async || {
        rotation::rotate_now(&sm, STRICT, &id, later, true).await
    })
    .await
    .unwrap();
    let revoked = current(&sm, &id).await;
    assert_eq!(revoked.current.kid, emergency.current_kid);

    // The scheduled rotation goes on: its pending ring still tests fine, but
    // finishSecret sees that AWSCURRENT moved on and promotes nothing.
    assert_eq!(
        rotation::run_step(&sm, &locks, STRICT, &step("testSecret"), later)
            .await
            .unwrap(),
        StepOutcome::Tested
    );
    assert_eq!(
        rotation::run_step(&sm, &locks, STRICT, &step("finishSecret"), later)
            .await
            .unwrap(),
        StepOutcome::Superseded
    );
    let now_current = current(&sm, &id).await;
    assert_eq!(now_current, revoked, "the emergency ring stays AWSCURRENT");
    let published = jwks_kids(&now_current);
    for k in compromised.keys() {
        assert!(!published.contains(&k.kid), "{} is not resurrected", k.kid);
    }
    assert_eq!(pending_versions(&sm, &id).await, 0, "AWSPENDING removed");
    assert!(!lock_held(&locks).await);
    // A retried finishSecret changes nothing either.
    assert!(
        rotation::run_step(&sm, &locks, STRICT, &step("finishSecret"), later)
            .await
            .is_err()
    );
    assert_eq!(current(&sm, &id).await, revoked);
}

#[tokio::test]
async fn test_and_finish_refuse_a_token_secrets_manager_does_not_list() {
    let (sm, locks, id, t0) = three_key_ring().await;
    let before = current(&sm, &id).await;
    let versions_before = sm.versions(&id).await.unwrap();
    for name in ["setSecret", "testSecret", "finishSecret"] {
        let unknown = RotationStep::direct(name, &id, "never-listed-by-secrets-manager-0123");
        let err = rotation::run_step(&sm, &locks, POLICY, &unknown, t0)
            .await
            .unwrap_err();
        assert_eq!(err.status().as_u16(), 409, "{name}: {err:?}");
        assert!(err.to_string().contains("lists"), "{name}: {err}");
    }
    // The rotation Lambda refuses an unlisted token in createSecret too: only direct
    // callers (tests, the admin API through rotate_now) bring their own.
    let lambda = RotationStep {
        caller: Caller::SecretsManager,
        ..RotationStep::direct("createSecret", &id, "never-listed-by-secrets-manager-4567")
    };
    let err = rotation::run_step(&sm, &locks, POLICY, &lambda, t0)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 409, "{err:?}");
    assert_eq!(current(&sm, &id).await, before, "nothing changed");
    assert_eq!(
        sm.versions(&id).await.unwrap(),
        versions_before,
        "no version written"
    );
}

const STRICT: RotationPolicy = RotationPolicy {
    alg: SigningAlg::ES256,
    min_interval_secs: 86_400 + 300,
};

/// How many versions carry AWSPENDING.
async fn pending_versions(sm: &aws_sdk_secretsmanager::Client, id: &str) -> usize {
    sm.versions(id)
        .await
        .unwrap()
        .values()
        .filter(|s| s.iter().any(|x| x == AWSPENDING))
        .count()
}

/// Whether the `signing-keys` lock item exists.
async fn lock_held(store: &gatehouse::adapters::DynamoStore) -> bool {
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(
                gatehouse::records::prefix::SIGNING_KEYS_LOCK.into(),
            ),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    item.item().is_some()
}
