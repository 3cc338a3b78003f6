//! Rotation of the signing key ring against moto: the four Secrets Manager steps run
//! directly (moto cannot invoke a rotation Lambda), signing as the function user whose
//! policy mirrors template.yaml.

mod common;

use std::collections::HashSet;

use gatehouse::jwt::{AUD_API, Claims, Expect, issue, read_header, verify_issued};
use gatehouse::keys::{KeyRing, LoadedRing, RotationOutcome, SigningAlg};
use gatehouse::rotation::{self, AWSCURRENT, AWSPENDING, RotationPolicy, SecretVersions};

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
        now: gatehouse::now_epoch(),
    };
    verify_issued(token, &header, key, &expect).is_ok()
}

fn jwks_kids(ring: &KeyRing) -> HashSet<String> {
    let loaded = LoadedRing::load(ring).unwrap();
    loaded.jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn four_steps_create_the_ring_then_rotate_it() {
    let sm = common::secrets().await; // the function user: template permissions only
    let id = common::fresh_secret("ring", gatehouse::keys::UNINITIALIZED).await;
    let now = gatehouse::now_epoch();
    for (round, expected) in [(0, RotationOutcome::Created), (1, RotationOutcome::Rotated)] {
        let token = format!("token-{round}-{}", gatehouse::crypto::random_base62(40));
        let created = rotation::run_step(&sm, POLICY, "createSecret", &id, &token, now)
            .await
            .unwrap();
        assert_eq!(created, Some(expected));
        // A retried createSecret does nothing (the pending version exists).
        assert_eq!(
            rotation::run_step(&sm, POLICY, "createSecret", &id, &token, now)
                .await
                .unwrap(),
            None
        );
        for step in ["setSecret", "testSecret", "finishSecret"] {
            rotation::run_step(&sm, POLICY, step, &id, &token, now)
                .await
                .unwrap();
        }
        let versions = sm.versions(&id).await.unwrap();
        assert!(
            versions[&token].iter().any(|s| s == AWSCURRENT),
            "{versions:?}"
        );
        assert!(!versions[&token].iter().any(|s| s == AWSPENDING));
        // Once current, every step is a no-op.
        assert_eq!(
            rotation::run_step(&sm, POLICY, "finishSecret", &id, &token, now)
                .await
                .unwrap(),
            None
        );
    }
    let ring = current(&sm, &id).await;
    assert!(ring.previous.is_some());
    assert!(
        rotation::run_step(&sm, POLICY, "bogusStep", &id, "t", now)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tokens_survive_one_rotation_but_not_two_and_next_is_always_published() {
    let sm = common::secrets().await;
    let id = common::fresh_secret("ring", gatehouse::keys::UNINITIALIZED).await;
    let now = gatehouse::now_epoch();
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
    let id = common::fresh_secret("ring", gatehouse::keys::UNINITIALIZED).await;
    let now = gatehouse::now_epoch();
    let strict = RotationPolicy {
        alg: SigningAlg::ES256,
        min_interval_secs: 86_400 + 300,
    };
    rotation::rotate_now(&sm, strict, &id, now, false)
        .await
        .unwrap();
    let before = current(&sm, &id).await;

    let err = rotation::rotate_now(&sm, strict, &id, now + 60, false)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 409);
    assert_eq!(current(&sm, &id).await, before, "nothing changed");
    assert_eq!(
        sm.versions(&id)
            .await
            .unwrap()
            .values()
            .filter(|s| s.iter().any(|x| x == AWSPENDING))
            .count(),
        0
    );

    // Through the Lambda's createSecret step too.
    assert!(
        rotation::run_step(&sm, strict, "createSecret", &id, "early", now + 60)
            .await
            .is_err()
    );

    let outcome = rotation::rotate_now(&sm, strict, &id, now + 60, true)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RotationOutcome::EmergencyRotated {
            dropped_kid: before.current.kid.clone()
        }
    );
    let after = current(&sm, &id).await;
    assert!(
        !jwks_kids(&after).contains(&before.current.kid),
        "compromised key dropped at once"
    );
    assert_eq!(after.current.kid, before.next.kid);
}
