#!/usr/bin/env bash
# Installs the Rust developer tools the security gates use, pinned, idempotently:
#   - cargo-fuzz (libFuzzer driver; local/scripts/fuzz.sh)
#   - cargo-deny (bans / licenses / sources policy; deny.toml)
# Into "$GATEHOUSE_TOOLS_DIR/cargo/bin" (default .local/tools/cargo/bin). A tool is
# rebuilt only when the installed binary does not report the pinned version.
# Prints the bin directory on stdout (callers may prepend it to PATH).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
prefix="$tools/cargo"
mkdir -p "$prefix/bin"

CARGO_FUZZ_VERSION=0.13.2
CARGO_DENY_VERSION=0.20.2

install_tool() { # crate version binary
  local crate="$1" version="$2" bin="$prefix/bin/$3"
  if [ -x "$bin" ] && "$bin" "${3#cargo-}" --version 2>/dev/null | grep -qF " $version"; then
    return 0
  fi
  echo "install-rust-tools.sh: cargo install $crate $version" >&2
  # A throw-away target dir: never contends with (or grows) the project's build cache.
  local build
  build="$(mktemp -d "$tools/cargo-build.XXXXXX")"
  trap 'rm -rf "$build"' RETURN
  CARGO_TARGET_DIR="$build" nice -n 10 \
    cargo install --locked --quiet --force --version "=$version" --root "$prefix" "$crate"
}

install_tool cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz
install_tool cargo-deny "$CARGO_DENY_VERSION" cargo-deny
echo "$prefix/bin"
