//! Password hashes at the production parameters (Argon2id m=19456 KiB, t=2, p=1): one
//! hash, one verification of the right password, one unknown-user verification (the
//! dummy hash), each through the bounded worker as the users function calls them. Needs
//! no emulator. Run with `cargo bench -p gatehouse-e2e --bench password` (also in
//! `make bench`); the first run's numbers are in docs/DECISIONS.md, "Passwords".

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::credentials::password::{PasswordSettings, Passwords, Verdict};
use secrecy::SecretString;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let passwords = Passwords::new(&PasswordSettings::default());
    let password = SecretString::from("correct horse battery staple");
    let stored = rt.block_on(passwords.hash(&password)).unwrap();

    c.bench_function("password/hash", |b| {
        b.iter(|| {
            rt.block_on(passwords.hash(std::hint::black_box(&password)))
                .unwrap()
        })
    });
    c.bench_function("password/verify", |b| {
        b.iter(|| {
            let verdict = rt
                .block_on(passwords.verify(std::hint::black_box(&password), &stored))
                .unwrap();
            assert_eq!(verdict, Verdict::Match { rehash: false });
        })
    });
    c.bench_function("password/verify_unknown_user", |b| {
        b.iter(|| {
            rt.block_on(passwords.verify_unknown(std::hint::black_box(&password)))
                .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(10));
    targets = bench
}
criterion_main!(benches);
