//! `gatehouse-perf`: the benchmark harness run by `make perf` (see `local/scripts/perf.sh`).
//! Expects the emulators' environment (`local/scripts/with-emulators.sh`).
//!
//! ```text
//! gatehouse-perf --bin-dir DIR [--python PY --peer SCRIPT] [--starts N]
//!                [--invocations N] [--criterion DIR] [--sizes FILE]
//!                [--machine FILE] [--analysis FILE] [--out FILE]
//! ```
//! `--sizes` is a file of `<binary> <bytes>` lines; `--machine` a text file describing
//! the machine. Without `--out` the report goes to stdout.

use std::path::{Path, PathBuf};

use gatehouse_local::perf::{self, Options};
use gatehouse_local::perf_report::{self, Inputs};
use gatehouse_local::runtime_api::BoxError;

fn read(path: Option<&String>) -> Result<String, BoxError> {
    Ok(match path {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?,
        None => String::new(),
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let number = |name: &str, default: usize| -> Result<usize, BoxError> {
        Ok(match arg(name) {
            Some(v) => v.parse().map_err(|_| format!("{name}: not a number"))?,
            None => default,
        })
    };
    let opts = Options {
        bin_dir: PathBuf::from(arg("--bin-dir").ok_or("--bin-dir is required")?),
        python: arg("--python").cloned(),
        peer_script: PathBuf::from(
            arg("--peer").map_or("local/bench/peer_authorizer.py", String::as_str),
        ),
        starts: number("--starts", 20)?,
        invocations: number("--invocations", 2000)?,
    };
    let results = perf::run(&opts).await?;
    let sizes: Vec<(String, u64)> = read(arg("--sizes"))?
        .lines()
        .filter_map(|l| {
            let (bin, bytes) = l.split_once(' ')?;
            Some((bin.to_owned(), bytes.trim().parse().ok()?))
        })
        .collect();
    let machine = read(arg("--machine"))?;
    let analysis = read(arg("--analysis"))?;
    let command = std::env::var("GATEHOUSE_PERF_COMMAND").unwrap_or_else(|_| "make perf".into());
    let report = perf_report::render(&Inputs {
        harness: &results,
        criterion_dir: arg("--criterion").map(Path::new),
        sizes: &sizes,
        machine: &machine,
        command: &command,
        analysis: &analysis,
    });
    match arg("--out") {
        Some(out) => {
            std::fs::write(out, report)?;
            eprintln!("gatehouse-perf: wrote {out}");
        }
        None => print!("{report}"),
    }
    Ok(())
}
