#!/usr/bin/env bash
# `make perf`: regenerates docs/PERFORMANCE.md from one run on this machine.
#   1. release executables of every function (this machine's architecture), for the
#      Lambda Runtime API harness;
#   2. arm64 release builds (cargo lambda, stripped) of every function, for the sizes;
#   3. under the emulators: the criterion benches (the password bench gives the
#      sign-in per core), then the harness, which runs
#      Gatehouse's functions and the Python peer authorizer and writes the report.
# Environment: PERF_STARTS (process starts per function, default 20),
# PERF_INVOCATIONS (warm invocations per scenario, default 2000), PERF_OUT (default
# docs/PERFORMANCE.md), PERF_SKIP_ARM64=1 (no cross-build: the sizes are left out),
# PERF_SKIP_BUILD=1 (reuse the release and arm64 builds already in the target
# directory, e.g. to measure again on a quieter machine).
# Takes 15-25 minutes on 2 cores (two release builds with LTO).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="${PERF_OUT:-$root/docs/PERFORMANCE.md}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-perf.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bash "$root/local/scripts/install.sh"
functions=(gatehouse-authorizer gatehouse-token gatehouse-widget gatehouse-admin-api gatehouse-rotate)

skip_build="${PERF_SKIP_BUILD:-0}"
if [ "$skip_build" != 1 ]; then
  echo "perf: release build (native, for the harness)" >&2
  cargo build --release --workspace --bins
fi

: >"$work/sizes"
if [ "${PERF_SKIP_ARM64:-0}" != 1 ]; then
  if [ "$skip_build" != 1 ]; then
    echo "perf: arm64 release build (cargo lambda)" >&2
    lambda_bin="$(bash "$root/local/scripts/install-lambda-tools.sh")"
    pkgs=()
    for f in "${functions[@]}"; do pkgs+=(-p "$f"); done
    PATH="$lambda_bin:$PATH" cargo lambda build --release --arm64 "${pkgs[@]}"
  fi
  for f in "${functions[@]}"; do
    echo "$f $(stat -c %s "$target/lambda/$f/bootstrap")" >>"$work/sizes"
  done
fi

{
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores available)"
  echo "- Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); kernel $(uname -r)"
  echo "- $(rustc --version); $("$tools/venv/bin/python" --version 2>&1); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Emulators: DynamoDB Local (Java 17) and moto server on loopback"
} >"$work/machine"

export GATEHOUSE_PERF_COMMAND="make perf"
bash "$root/local/scripts/with-emulators.sh" bash -c '
  set -euo pipefail
  cargo bench -p gatehouse-e2e --bench apikey --bench tokens --bench authorizer --bench password
  "$0/release/gatehouse-perf" --bin-dir "$0/release" \
    --python "$1/venv/bin/python" --peer local/bench/peer_authorizer.py \
    --starts "${PERF_STARTS:-20}" --invocations "${PERF_INVOCATIONS:-2000}" \
    --criterion "$0/criterion" --sizes "$2/sizes" --machine "$2/machine" \
    --analysis local/bench/analysis.md --out "$3"
' "$target" "$tools" "$work" "$out"
