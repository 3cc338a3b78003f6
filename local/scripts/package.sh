#!/usr/bin/env bash
# Builds the deployable arm64 Lambda zips with `sam build` (BuildMethod
# rust-cargolambda). Installs the pinned cargo-lambda and zig (PyPI) into the tool
# directory first. Not part of `make test`: a release cross-build takes minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
bash "$root/local/scripts/install.sh"
if [ ! -x "$tools/lambda-venv/bin/cargo-lambda" ]; then
  python3 -m venv "$tools/lambda-venv"
  "$tools/lambda-venv/bin/pip" install --quiet --disable-pip-version-check \
    'cargo-lambda==1.9.2' 'ziglang==0.17.1'
fi
# cargo-lambda finds zig through the ziglang package's `python -m ziglang`.
export PATH="$tools/lambda-venv/bin:$tools/venv/bin:$PATH"
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
cd "$root"
SAM_CLI_TELEMETRY=0 sam build "$@"
ls -la .aws-sam/build/*/bootstrap
