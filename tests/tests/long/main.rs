//! The long runs, in a binary apart from the suites (`e2e`), so that they run after
//! them: the loopback load test (`load::`; the full 20 000-request run with
//! `-- --ignored`) and the benchmark harness's smoke run (`perf_harness::`).

mod load;
mod perf_harness;

/// Held by each test for its whole run, so that the long runs never overlap (each had
/// its process to itself before they shared this binary).
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
