#!/usr/bin/env bash
# Builds the deployable arm64 Lambda zips with `sam build` (BuildMethod
# rust-cargolambda). Installs the pinned cargo-lambda and zig (PyPI) into the tool
# directory first. Not part of `make test`: a release cross-build takes minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
bash "$root/local/scripts/install.sh"
# cargo-lambda finds zig through the ziglang package's `python -m ziglang`.
export PATH="$(bash "$root/local/scripts/install-lambda-tools.sh"):$tools/venv/bin:$PATH"
cd "$root"
SAM_CLI_TELEMETRY=0 sam build "$@"
ls -la .aws-sam/build/*/bootstrap
