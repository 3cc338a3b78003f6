//! The benchmark harness, briefly, as CI's smoke check (`make perf` is the real run):
//! the debug executables and the Python peer under the Lambda Runtime API emulator,
//! against the emulators. Times are not asserted (shared, noisy machines); what is
//! asserted is what the harness counts: decisions, and the AWS calls the functions'
//! own interceptors saw — none at init, none for a warm bearer or cached API key, one
//! DynamoDB read per cookie request (widget or user session; the peer has no user
//! sessions).

use gatehouse_e2e as common;
use gatehouse_local::perf::{self, Options, aws_total};
use gatehouse_local::perf_report::{self, Inputs};

fn bin_dir() -> std::path::PathBuf {
    // target/debug/deps/long-… → target/debug (make test builds the binaries).
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

#[tokio::test(flavor = "multi_thread")]
async fn harness_measures_our_functions_and_the_peer() {
    let _alone = crate::ALONE.lock().await;
    let opts = Options {
        bin_dir: bin_dir(),
        python: Some(common::python()),
        peer_script: format!(
            "{}/../local/bench/peer_authorizer.py",
            env!("CARGO_MANIFEST_DIR")
        )
        .into(),
        starts: 1,
        invocations: 5,
    };
    let r = perf::run(&opts).await.unwrap();
    let peer = r.peer.as_ref().unwrap();
    let names =
        |i: &perf::Implementation| -> Vec<&str> { i.scenarios.iter().map(|s| s.name).collect() };
    let peer_names = [
        "bearer RS256",
        "bearer ES256",
        "API key (cached)",
        "session cookie",
        "bearer, bad signature (deny)",
    ];
    assert_eq!(names(peer), peer_names);
    let mut ours = peer_names.to_vec();
    ours.insert(4, "user session");
    ours.insert(5, "user session + grant (cached)");
    ours.insert(6, "user session + grant (uncached)");
    assert_eq!(names(&r.ours), ours);
    for i in [&r.ours, peer] {
        for s in &i.scenarios {
            assert_eq!(s.wrong_decisions, 0, "{} / {}", i.name, s.name);
            let warm_calls = aws_total(&s.aws_calls_per_warm);
            // A cookie's one read; with the grant cache off, the app and grant too.
            let cookie = [
                "session cookie",
                "user session",
                "user session + grant (cached)",
            ];
            let expected = match s.name {
                "user session + grant (uncached)" => 3.0,
                n if cookie.contains(&n) => 1.0,
                _ => 0.0,
            };
            assert_eq!(warm_calls, expected, "{} / {}", i.name, s.name);
            assert!(s.peak_rss_kib > 0, "{} / {}", i.name, s.name);
        }
        assert_eq!(
            i.init.calls_at_init, 0,
            "{}: no network call at init",
            i.name
        );
        assert_eq!(i.init.probe, "deny");
    }
    let probes: Vec<(&str, &str, u64)> = r
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.probe.as_str(), f.calls_at_init))
        .collect();
    assert_eq!(
        probes,
        [
            ("gatehouse-token", "HTTP 400", 0),
            ("gatehouse-widget", "HTTP 403", 0),
            ("gatehouse-admin-api", "HTTP 401", 0),
            ("gatehouse-users", "HTTP 200", 0),
        ]
    );
    let report = perf_report::render(&Inputs {
        harness: &r,
        criterion_dir: None,
        sizes: &[],
        machine: "test",
        command: "cargo test",
        analysis: "",
    });
    for row in [
        "| authorizer init, p50 of 1 starts",
        "| AWS calls per warm request, session cookie | ≤ 1 | 1.00 | 1.00 |",
        "| AWS calls per warm request, user session | ≤ 1 | 1.00 | — |",
        "| authorizer warm invocation p50 via harness, user session | measured (the peer has no user sessions) |",
        "| Gatehouse (Rust) | user session |",
        "| gatehouse-users |",
        "| sign-in (one Argon2id verify at the default parameters) per core on this machine (criterion median) | measured (no number set) | not run |",
        "| no network call during init | 0 (no pre-warm) | 0 | 0 |",
    ] {
        assert!(report.contains(row), "{row}\n{report}");
    }
}
