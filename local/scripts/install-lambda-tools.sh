#!/usr/bin/env bash
# Installs the pinned cargo-lambda and zig (both from PyPI) into the tool directory's
# `lambda-venv`, and the arm64 Rust target: what cross-building the Lambda binaries
# needs. Idempotent. Prints the venv's bin directory (put it first on PATH).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
venv="$tools/lambda-venv"
if [ ! -x "$venv/bin/cargo-lambda" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'cargo-lambda==1.9.2' 'ziglang==0.17.1' >&2
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
echo "$venv/bin"
