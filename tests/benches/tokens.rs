//! Token issuance and verification per algorithm (pure: no AWS). Run with
//! `cargo bench -p gatehouse-e2e --bench tokens` (or `make bench`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::credentials::jwt::{AUD_API, Claims, Expect, issue, read_header, verify_issued};
use gatehouse::credentials::keys::{KeyRing, LoadedRing, SigningAlg};

fn bench(c: &mut Criterion) {
    for alg in [SigningAlg::RS256, SigningAlg::ES256] {
        let ring = LoadedRing::load(&KeyRing::create(alg, 0).unwrap()).unwrap();
        let now = gatehouse::primitives::time::now_epoch();
        let claims = Claims::new("https://auth.example.com", AUD_API, "1", "data", now, 900);
        c.bench_function(&format!("token_issue/{}", alg.as_str()), |b| {
            b.iter(|| issue(black_box(&ring), black_box(&claims)).unwrap())
        });
        let token = issue(&ring, &claims).unwrap();
        let expect = Expect {
            issuer: "https://auth.example.com",
            audiences: &[AUD_API],
            now,
        };
        c.bench_function(&format!("token_verify/{}", alg.as_str()), |b| {
            b.iter(|| {
                // What the authorizer does per bearer request once the ring is warm.
                let header = read_header(black_box(&token)).unwrap();
                let key = ring.verifiers.get(header.kid.as_deref().unwrap()).unwrap();
                verify_issued(&token, &header, key, &expect).unwrap()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
