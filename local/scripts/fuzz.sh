#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for SECONDS (default 20) with
# libFuzzer; fails on any crash, hang (-timeout=10) or OOM (-rss_limit_mb=2048).
# Prints one summary line per target: seconds, executions, execs/s, corpus size.
#
#   local/scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Tools: cargo-fuzz from local/scripts/install-rust-tools.sh ($GATEHOUSE_TOOLS_DIR).
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
# Env: FUZZ_SANITIZER (address | none; default address, falling back to none when the
# ASan build fails), FUZZ_TARGET_DIR (default $CARGO_TARGET_DIR/fuzz), FUZZ_KEEP_CORPUS=1
# (write new inputs into fuzz/corpus/<target>, as for the long runs; otherwise they go to
# a temporary directory and the committed corpus is only read).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/fuzz"
secs="${1:-20}"
shift || true
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
export PATH="$tools/cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null 2>&1 || {
  echo "fuzz.sh: cargo-fuzz not found; run local/scripts/install-rust-tools.sh" >&2
  exit 1
}
export RUSTC_BOOTSTRAP=1
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
sanitizer="${FUZZ_SANITIZER:-address}"
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

build_all() {
  local t
  for t in "${targets[@]}"; do
    nice -n 10 cargo fuzz build --sanitizer "$1" --target-dir "$target_dir" "$t" >"$logs/build.log" 2>&1 || return 1
  done
}
logs="$target_dir/logs"
mkdir -p "$logs"
echo "fuzz.sh: building ${#targets[@]} targets (sanitizer $sanitizer)" >&2
if ! build_all "$sanitizer"; then
  if [ "$sanitizer" = address ] && [ -z "${FUZZ_SANITIZER:-}" ]; then
    echo "fuzz.sh: ASan build failed (see $logs/build.log); retrying with --sanitizer none" >&2
    sanitizer=none
    build_all none || { cat "$logs/build.log" >&2; exit 1; }
  else
    cat "$logs/build.log" >&2
    exit 1
  fi
fi
host="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$target_dir/$host/release"

failed=0
summary=()
for t in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$t"
  mkdir -p "$seeds" "$root/fuzz/artifacts/$t"
  if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
    dirs=("$seeds")
  else
    work="$(mktemp -d)"
    dirs=("$work" "$seeds")
  fi
  log="$logs/$t.log"
  echo "fuzz.sh: $t for ${secs}s" >&2
  rc=0
  nice -n 10 "$bin_dir/$t" "${dirs[@]}" \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$root/fuzz/artifacts/$t/" >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  [ -n "$execs" ] || execs="$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -n1)"
  execs="${execs:-0}"
  elapsed="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)"
  elapsed="${elapsed:-$secs}"
  rate=$(( execs / (elapsed > 0 ? elapsed : 1) ))
  files="$(find "${dirs[@]}" -type f | wc -l)"
  bytes="$(find "${dirs[@]}" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
  if [ "$rc" -ne 0 ]; then
    failed=1
    what="$(grep -m1 -E 'ERROR: libFuzzer|panicked at|ERROR: AddressSanitizer' "$log" || echo "exit $rc")"
    line="$(printf '%-18s FAILED after %s execs: %s (log %s, artifacts fuzz/artifacts/%s/)' "$t" "$execs" "$what" "$log" "$t")"
  else
    line="$(printf '%-18s %5ss %12s execs %8s/s  corpus %5s files %8s bytes  crashes 0' "$t" "$elapsed" "$execs" "$rate" "$files" "$bytes")"
  fi
  summary+=("$line")
  echo "$line" >&2
  [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$work"
done

printf '\n=== fuzz summary (%ss per target, sanitizer %s, %s) ===\n' "$secs" "$sanitizer" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%s\n' "${summary[@]}"
exit "$failed"
