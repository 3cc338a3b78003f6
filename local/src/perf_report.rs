//! `docs/PERFORMANCE.md` from one run's figures: the harness results, criterion's
//! medians, the arm64 binary sizes and the machine they were measured on.

use std::fmt::Write;
use std::path::Path;

use gatehouse::credentials::password::{DEFAULT_MAX_CONCURRENT, Params};
use serde_json::Value;

use crate::perf::{HarnessResults, Implementation, ScenarioResult, aws_total};

/// Everything one `make perf` run measured.
pub struct Inputs<'a> {
    pub harness: &'a HarnessResults,
    /// criterion's output directory (`<target>/criterion`).
    pub criterion_dir: Option<&'a Path>,
    /// `(binary, bytes)` of the stripped arm64 builds.
    pub sizes: &'a [(String, u64)],
    pub machine: &'a str,
    pub command: &'a str,
    /// Hand-written analysis appended as is.
    pub analysis: &'a str,
}

/// criterion's median for a benchmark id, in microseconds.
pub fn criterion_median_us(dir: &Path, id: &str) -> Option<f64> {
    // criterion names the directory after the id with `/` replaced by `_`.
    let text =
        std::fs::read_to_string(dir.join(id.replace('/', "_")).join("new/estimates.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    Some(v["median"]["point_estimate"].as_f64()? / 1000.0)
}

const CRITERION_IDS: &[(&str, &str)] = &[
    (
        "authorizer_handle/api_key_cached",
        "authorizer handler, API key (cache hit)",
    ),
    (
        "authorizer_handle/bearer_RS256",
        "authorizer handler, bearer RS256",
    ),
    (
        "authorizer_handle/bearer_ES256",
        "authorizer handler, bearer ES256",
    ),
    (
        "authorizer_handle/session_cookie_no_dynamodb",
        "authorizer handler, session cookie (store in memory)",
    ),
    (
        "authorizer_handle/user_session_no_dynamodb",
        "authorizer handler, user session cookie (store in memory)",
    ),
    (
        "authorizer_handle/no_credential",
        "event parse + deny response (no credential)",
    ),
    ("apikey_verify/cache_hit", "API-key check, cache hit"),
    (
        "apikey_verify/cache_miss_dynamodb_local",
        "API-key check, cache miss (DynamoDB Local)",
    ),
    ("token_verify/RS256", "JWT verify, RS256"),
    ("token_verify/ES256", "JWT verify, ES256"),
    ("token_issue/RS256", "token issue, RS256"),
    ("token_issue/ES256", "token issue, ES256"),
    (
        "password/verify",
        "Argon2id verify, default parameters (a sign-in)",
    ),
    ("password/hash", "Argon2id hash, default parameters"),
    (
        "password/verify_unknown_user",
        "Argon2id verify of the dummy hash (unknown user)",
    ),
];

/// `MemorySize` of the users function in `template.yaml` (checked by a test below).
const USERS_MEMORY_MB: u32 = 1024;

/// The benchmark a sign-in's CPU cost is read from.
const VERIFY_ID: &str = "password/verify";

/// Sign-ins one core completes per second: one verify each.
fn sign_ins_per_second(verify_us: f64) -> f64 {
    1e6 / verify_us
}

/// The target-table row of the sign-in (issue 18 sets no number: it is measured).
fn sign_in_target_row(verify_us: Option<f64>) -> String {
    format!(
        "| sign-in (one Argon2id verify at the default parameters) per core on this machine \
         (criterion median) | measured (no number set) | {} | — | — | measured |",
        verify_us
            .map(|v| format!(
                "{:.1} sign-ins/s per core ({} per verify)",
                sign_ins_per_second(v),
                ms(v)
            ))
            .unwrap_or("not run".into()),
    )
}

/// The sign-in section: what the verify costs and what that means per core.
fn sign_in_section(verify_us: Option<f64>, hash_us: Option<f64>) -> String {
    let p = Params::DEFAULT;
    let mut o = String::new();
    let _ = writeln!(o, "\n## Sign-in per core (criterion, median)\n");
    let _ = writeln!(
        o,
        "A password sign-in computes one Argon2id verify at the configured parameters \
         (the defaults the template ships: m = {} KiB, t = {}, p = {}); that verify is the \
         whole CPU cost of a sign-in, the rest being DynamoDB reads and one transaction, \
         which wait on the network. One core therefore completes 1 s ÷ (verify median) \
         sign-ins per second. The users function computes at most \
         `ARGON2_MAX_CONCURRENT` hashes at once (default {DEFAULT_MAX_CONCURRENT}) and the \
         template gives it {USERS_MEMORY_MB} MB; Lambda's CPU share grows with the memory (README), so \
         the figure below is per core of this machine, not per Lambda environment \
         (`tests/benches/password.rs`, through the bounded worker as the function calls it).\n",
        p.memory_kib(),
        p.iterations(),
        p.parallelism(),
    );
    let _ = writeln!(o, "| what | median | per core |");
    let _ = writeln!(o, "|---|---|---|");
    let _ = writeln!(
        o,
        "| verify (a sign-in, `{VERIFY_ID}`) | {} | {} |",
        verify_us.map(ms).unwrap_or("not run".into()),
        verify_us
            .map(|v| format!("{:.1} sign-ins/s", sign_ins_per_second(v)))
            .unwrap_or("—".into()),
    );
    let _ = writeln!(
        o,
        "| hash (a password set, `password/hash`) | {} | {} |",
        hash_us.map(ms).unwrap_or("not run".into()),
        hash_us
            .map(|v| format!("{:.1} hashes/s", sign_ins_per_second(v)))
            .unwrap_or("—".into()),
    );
    o
}

fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

fn us(v: f64) -> String {
    if v >= 1000.0 {
        ms(v)
    } else {
        format!("{v:.1} µs")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ratio(ours: f64, peer: f64) -> String {
    if ours > 0.0 {
        format!("peer ÷ ours = {:.1}×", peer / ours)
    } else {
        "—".to_owned()
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

fn scenario<'a>(i: &'a Implementation, name: &str) -> Option<&'a ScenarioResult> {
    i.scenarios.iter().find(|s| s.name == name)
}

fn calls(s: &ScenarioResult) -> f64 {
    aws_total(&s.aws_calls_per_warm)
}

fn peak(i: &Implementation) -> u64 {
    i.scenarios
        .iter()
        .map(|s| s.peak_rss_kib)
        .chain([i.init.peak_rss_kib])
        .max()
        .unwrap_or(0)
}

/// The whole document.
pub fn render(x: &Inputs<'_>) -> String {
    let h = x.harness;
    let ours = &h.ours;
    let peer = h.peer.as_ref();
    let crit = |id: &str| x.criterion_dir.and_then(|d| criterion_median_us(d, id));
    let size = |bin: &str| x.sizes.iter().find(|(b, _)| b == bin).map(|(_, n)| *n);
    let mut o = String::new();
    let _ = writeln!(o, "# Performance\n");
    let _ = writeln!(
        o,
        "Generated by `{}`; do not edit by hand (the analysis at the end comes from \
         `local/bench/analysis.md`). Every figure below was measured in the same run, on:\n",
        x.command
    );
    let _ = writeln!(o, "{}\n", x.machine);
    let _ = writeln!(
        o,
        "The harness (`local/src/runtime_api.rs`) is a Lambda Runtime API emulator: it \
         starts each release executable with `AWS_LAMBDA_RUNTIME_API` pointing at itself, \
         hands out real-shaped HTTP API payload-2.0 events, and measures init (spawn → \
         first `GET /runtime/invocation/next`), latency (event handed out → response \
         posted), peak RSS (`VmHWM` from `/proc`) and outbound calls (the functions' \
         `gatehouse::primitives::metrics` counters, an SDK interceptor; the peer counts with a boto3 \
         hook). DynamoDB Local and moto stand in for AWS, on loopback, so a call to them \
         costs far less than a call to AWS would. The peer is \
         `local/bench/peer_authorizer.py`: a Python 3.11 authorizer written the usual way \
         (boto3 clients at init, PyJWT + cryptography, hashlib + `hmac.compare_digest`, \
         a minimal Runtime API loop) making the same checks with the same caching.\n"
    );

    // Targets.
    let _ = writeln!(o, "## Targets\n");
    let _ = writeln!(o, "| what | target | Gatehouse | peer | ratio | result |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    let init = ours.init.init.p50;
    let peer_init = peer.map(|p| p.init.init.p50);
    let _ = writeln!(
        o,
        "| authorizer init, p50 of {} starts | ≤ 5 ms and ≤ 1/20 of the peer | {} | {} | {} | {} |",
        h.starts,
        ms(init),
        peer_init.map(ms).unwrap_or("—".into()),
        peer_init.map(|p| ratio(init, p)).unwrap_or("—".into()),
        met(init <= 5000.0 && peer_init.is_none_or(|p| init * 20.0 <= p)),
    );
    let sdk_max = h.functions.iter().map(|f| f.init.p50).fold(0.0, f64::max);
    let _ = writeln!(
        o,
        "| SDK functions init (token, widget, admin, users), slowest p50 | ≤ 12 ms | {} | — | — | {} |",
        ms(sdk_max),
        met(sdk_max <= 12000.0)
    );
    for name in ["bearer RS256", "API key (cached)", "session cookie"] {
        let Some(s) = scenario(ours, name) else {
            continue;
        };
        let p = peer.and_then(|p| scenario(p, name)).map(|s| s.warm.p50);
        let _ = writeln!(
            o,
            "| authorizer warm invocation p50 via harness, {name} | ≤ 1/2 of the peer | {} | {} | {} | {} |",
            us(s.warm.p50),
            p.map(us).unwrap_or("—".into()),
            p.map(|p| ratio(s.warm.p50, p)).unwrap_or("—".into()),
            met(p.is_none_or(|p| s.warm.p50 * 2.0 <= p)),
        );
    }
    for name in [
        "user session",
        "user session + grant (cached)",
        "user session + grant (uncached)",
    ] {
        if let Some(s) = scenario(ours, name) {
            let _ = writeln!(
                o,
                "| authorizer warm invocation p50 via harness, {name} | measured (the peer has no user sessions) | {} | — | — | measured |",
                us(s.warm.p50),
            );
        }
    }
    let _ = writeln!(o, "{}", sign_in_target_row(crit(VERIFY_ID)));
    for (id, what, limit) in [
        (
            "authorizer_handle/bearer_RS256",
            "handler time, RS256 bearer verify",
            30.0,
        ),
        (
            "authorizer_handle/api_key_cached",
            "handler time, API key cache hit",
            10.0,
        ),
        (
            "authorizer_handle/bearer_ES256",
            "handler time, ES256 bearer",
            70.0,
        ),
    ] {
        let v = crit(id);
        let _ = writeln!(
            o,
            "| {what} (criterion median) | ≤ {limit} µs p50 | {} | — | — | {} |",
            v.map(us).unwrap_or("not run".into()),
            v.map(|v| met(v <= limit)).unwrap_or("—"),
        );
    }
    for (name, limit) in [
        ("bearer RS256", 0.0),
        ("bearer ES256", 0.0),
        ("API key (cached)", 0.0),
        ("session cookie", 1.0),
        ("user session", 1.0),
        ("user session + grant (cached)", 1.0),
        ("user session + grant (uncached)", 3.0),
    ] {
        let Some(s) = scenario(ours, name) else {
            continue;
        };
        let p = peer.and_then(|p| scenario(p, name)).map(calls);
        let _ = writeln!(
            o,
            "| AWS calls per warm request, {name} | {} | {:.2} | {} | — | {} |",
            if limit == 0.0 {
                "0".to_owned()
            } else {
                format!("≤ {limit}")
            },
            calls(s),
            p.map(|p| format!("{p:.2}")).unwrap_or("—".into()),
            met(calls(s) <= limit),
        );
    }
    let pk = peak(ours);
    let ppk = peer.map(peak);
    let _ = writeln!(
        o,
        "| peak RSS, authorizer (most of any run) | ≤ 20 MB | {} | {} | {} | {} |",
        mib(pk),
        ppk.map(mib).unwrap_or("—".into()),
        ppk.map(|p| ratio(pk as f64, p as f64))
            .unwrap_or("—".into()),
        met(pk as f64 * 1024.0 <= 20e6),
    );
    for (bin, limit) in [
        ("gatehouse-authorizer", 5e6),
        ("gatehouse-token", 8e6),
        ("gatehouse-widget", 8e6),
        ("gatehouse-admin-api", 8e6),
        ("gatehouse-rotate", 8e6),
    ] {
        let v = size(bin);
        let _ = writeln!(
            o,
            "| stripped arm64 binary, `{bin}` | ≤ {:.0} MB | {} | — | — | {} |",
            limit / 1e6,
            v.map(|b| format!("{:.2} MB", b as f64 / 1e6))
                .unwrap_or("not built".into()),
            v.map(|b| met(b as f64 <= limit)).unwrap_or("—"),
        );
    }
    let init_calls: u64 = h
        .functions
        .iter()
        .map(|f| f.calls_at_init)
        .chain([ours.init.calls_at_init])
        .sum();
    let _ = writeln!(
        o,
        "| no network call during init | 0 (no pre-warm) | {init_calls} | {} | — | {} |",
        peer.map(|p| p.init.calls_at_init.to_string())
            .unwrap_or("—".into()),
        met(init_calls == 0),
    );

    // Harness details.
    let _ = writeln!(o, "\n## Authorizer under the harness\n");
    let _ = writeln!(
        o,
        "{} warm invocations per scenario after one first invocation (which fills the \
         caches); a fresh process per scenario. Latencies are event handed out → response \
         posted.\n",
        h.invocations
    );
    let _ = writeln!(
        o,
        "| implementation | scenario | first | warm p50 | p90 | p99 | AWS calls / warm request | peak RSS | wrong decisions |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for i in [Some(ours), peer].into_iter().flatten() {
        for s in &i.scenarios {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {:.2} | {} | {} |",
                i.name,
                s.name,
                us(s.first_us),
                us(s.warm.p50),
                us(s.warm.p90),
                us(s.warm.p99),
                calls(s),
                mib(s.peak_rss_kib),
                s.wrong_decisions
            );
        }
    }
    let _ = writeln!(o, "\n## Init\n");
    let _ = writeln!(
        o,
        "Each function started {} times (after one unmeasured start); after init, one \
         probe request that needs no AWS call, so the calls counted by then are init's.\n",
        h.starts
    );
    let _ = writeln!(
        o,
        "| function | init p50 | p90 | probe answer | calls by end of probe | peak RSS |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    let mut all = vec![&ours.init];
    all.extend(peer.map(|p| &p.init));
    all.extend(h.functions.iter());
    all.push(&h.authorizer_no_cert_dir);
    for f in all {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            f.name,
            ms(f.init.p50),
            ms(f.init.p90),
            f.probe,
            f.calls_at_init,
            mib(f.peak_rss_kib)
        );
    }

    let _ = writeln!(o, "\n## Hot paths (criterion, median)\n");
    let _ = writeln!(o, "| benchmark | median |");
    let _ = writeln!(o, "|---|---|");
    for (id, what) in CRITERION_IDS {
        let _ = writeln!(
            o,
            "| {what} (`{id}`) | {} |",
            crit(id).map(us).unwrap_or("not run".into())
        );
    }
    if let (Some(hit), Some(miss)) = (
        crit("apikey_verify/cache_hit"),
        crit("apikey_verify/cache_miss_dynamodb_local"),
    ) {
        let _ = writeln!(
            o,
            "\nAPI-key cache miss ÷ hit, same run: {:.0}×.",
            miss / hit
        );
    }

    o.push_str(&sign_in_section(crit(VERIFY_ID), crit("password/hash")));

    let _ = writeln!(o, "\n## Binary sizes (arm64, release, stripped)\n");
    let _ = writeln!(o, "| binary | bytes | MB |");
    let _ = writeln!(o, "|---|---|---|");
    for (bin, bytes) in x.sizes {
        let _ = writeln!(o, "| `{bin}` | {bytes} | {:.2} |", *bytes as f64 / 1e6);
    }
    if x.sizes.is_empty() {
        let _ = writeln!(o, "| (not built in this run) | | |");
    }
    let _ = writeln!(o, "\n{}", x.analysis.trim_end());
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_per_core_is_one_second_over_the_verify() {
        assert_eq!(sign_ins_per_second(40_000.0), 25.0);
        let row = sign_in_target_row(Some(40_000.0));
        assert!(
            row.contains(
                "| measured (no number set) | 25.0 sign-ins/s per core (40.00 ms per verify) |"
            ),
            "{row}"
        );
        assert!(sign_in_target_row(None).contains("| not run |"));
    }

    #[test]
    fn the_sign_in_section_names_the_defaults_and_both_medians() {
        let text = sign_in_section(Some(50_000.0), Some(25_000.0));
        for part in [
            "m = 19456 KiB, t = 2, p = 1",
            "whole CPU cost of a sign-in",
            "1024 MB",
            "| verify (a sign-in, `password/verify`) | 50.00 ms | 20.0 sign-ins/s |",
            "| hash (a password set, `password/hash`) | 25.00 ms | 40.0 hashes/s |",
        ] {
            assert!(text.contains(part), "{part}\n{text}");
        }
        assert!(sign_in_section(None, None).contains("| not run | — |"));
    }

    #[test]
    fn the_users_memory_is_the_templates() {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
                .unwrap();
        let users = template.split("\n  UsersFunction:\n").nth(1).unwrap();
        let memory = users
            .lines()
            .find_map(|l| l.trim().strip_prefix("MemorySize: "))
            .unwrap();
        assert_eq!(memory, USERS_MEMORY_MB.to_string());
    }
}
