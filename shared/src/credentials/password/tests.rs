//! The password layer at the production parameters.

use super::*;

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

fn defaults() -> Passwords {
    Passwords::new(&PasswordSettings::default())
}

/// A PHC string made by the `argon2` crate itself with `m`, `t`, `p` (which may be
/// below the floor: an old hash).
fn foreign_hash(password: &str, m: u32, t: u32, p: u32) -> String {
    let params = argon2::Params::new(m, t, p, None).unwrap();
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_stored_hash_is_argon2id_v19_with_the_default_parameters() {
    let phc = defaults()
        .hash(&secret("correct horse battery staple"))
        .await
        .unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    let stored = Stored::parse(&phc).unwrap();
    assert_eq!(stored.salt.len(), 16);
    assert_eq!(stored.output.len(), 32);
}

#[tokio::test]
async fn two_hashes_of_one_password_differ_by_their_salt() {
    let p = defaults();
    let a = p
        .hash(&secret("correct horse battery staple"))
        .await
        .unwrap();
    let b = p
        .hash(&secret("correct horse battery staple"))
        .await
        .unwrap();
    assert_ne!(a, b);
}

#[tokio::test]
async fn the_right_password_matches_and_a_wrong_one_does_not() {
    let p = defaults();
    let phc = p
        .hash(&secret("correct horse battery staple"))
        .await
        .unwrap();
    assert_eq!(
        p.verify(&secret("correct horse battery staple"), &phc)
            .await
            .unwrap(),
        Verdict::Match { rehash: false }
    );
    assert_eq!(
        p.verify(&secret("correct horse battery stapler"), &phc)
            .await
            .unwrap(),
        Verdict::Mismatch
    );
    assert_eq!(
        p.verify(&secret("Correct horse battery staple"), &phc)
            .await
            .unwrap(),
        Verdict::Mismatch
    );
}

#[tokio::test]
async fn a_hash_weaker_than_the_current_parameters_matches_and_asks_for_a_rehash() {
    let p = defaults();
    let old = foreign_hash("an old password of mine", 4096, 1, 1);
    assert_eq!(
        p.verify(&secret("an old password of mine"), &old)
            .await
            .unwrap(),
        Verdict::Match { rehash: true }
    );
    // A stronger one than the current parameters is kept.
    let strong = foreign_hash("an old password of mine", 19_456, 3, 1);
    assert_eq!(
        p.verify(&secret("an old password of mine"), &strong)
            .await
            .unwrap(),
        Verdict::Match { rehash: false }
    );
}

#[tokio::test]
async fn a_stored_hash_over_the_cap_or_malformed_is_an_error_before_any_work() {
    let p = defaults();
    for stored in [
        "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY",
        "$argon2id$v=19$m=19456,t=4294967295,p=1$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY",
        "",
        "not a hash",
        "$2b$12$abcdefghijklmnopqrstuu",
    ] {
        let err = p.verify(&secret("whatever it is here"), stored).await;
        assert!(matches!(err, Err(Error::Internal(_))), "{stored}: {err:?}");
    }
}

#[test]
fn the_shipped_dummy_hash_has_the_default_parameters() {
    let dummy = Stored::parse(DUMMY_PHC).unwrap();
    assert_eq!(dummy.params, Params::DEFAULT);
    assert_eq!(dummy.params, PasswordSettings::default().params);
    assert_eq!(
        (dummy.salt.len(), dummy.output.len()),
        (SALT_LEN, OUTPUT_LEN)
    );
}

#[tokio::test]
async fn an_unknown_user_is_verified_against_a_dummy_of_the_configured_parameters() {
    let p = defaults();
    assert_eq!(
        p.verify_unknown(&secret("correct horse battery staple"))
            .await
            .unwrap(),
        Verdict::Mismatch
    );
    assert_eq!(p.dummy().await.unwrap().params, Params::DEFAULT);

    let other = Params::new(47_104, 1, 1).unwrap();
    let p = Passwords::new(&PasswordSettings {
        params: other,
        ..PasswordSettings::default()
    });
    assert_eq!(
        p.verify_unknown(&secret("correct horse battery staple"))
            .await
            .unwrap(),
        Verdict::Mismatch
    );
    let derived = p.dummy().await.unwrap().clone();
    assert_eq!(derived.params, other);
    assert_eq!(
        p.dummy().await.unwrap(),
        &derived,
        "derived once, then cached"
    );
}

#[tokio::test(start_paused = true)]
async fn hashing_without_a_free_turn_for_two_seconds_is_a_503() {
    let p = defaults();
    let _all = p.worker.occupy().await;
    for err in [
        p.hash(&secret("correct horse battery staple"))
            .await
            .unwrap_err(),
        p.verify_unknown(&secret("correct horse battery staple"))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::Busy(_)), "{err:?}");
        assert_eq!(err.status().as_u16(), 503);
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output() {
    let password = secret("correct horse battery staple");
    assert!(!format!("{password:?}").contains("horse"));
    let p = defaults();
    let _ = p.verify_unknown(&password).await.unwrap();
    assert!(!format!("{p:?}").contains("horse"));
    let refusal = p
        .policy()
        .check(&secret("horse"), &ContextWords::new(None, None))
        .unwrap_err();
    assert!(!format!("{refusal:?} {refusal}").contains("horse"));
    let err = p.verify(&password, "$argon2id$horse").await.unwrap_err();
    assert!(!format!("{err:?} {}", err.detail()).contains("horse"));
}

#[test]
#[ignore = "prints a fresh DUMMY_PHC: cargo test print_a_dummy_hash -- --ignored --nocapture"]
fn print_a_dummy_hash() {
    let phc = hash_now(&SecretString::from(crypto::random_id()), Params::DEFAULT).unwrap();
    println!("{phc}");
}
