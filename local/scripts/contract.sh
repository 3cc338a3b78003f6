#!/usr/bin/env bash
# `make contract`: schemathesis against the OpenAPI document (docs/openapi.json) on a
# stack of its own. Starts DynamoDB Local and moto (with-emulators.sh), the local
# gateway on free ports with every rate limit at its maximum, waits for it and its
# credentials file, then runs four phases, each a schemathesis run with fresh
# credentials (local/contract/hooks.py): every operation that leaves credentials
# intact (main: generated bodies and parameters, valid credentials; credentials:
# generated credentials), then the same two for the destructive ones (rotation,
# disabling, deleting, revoking, sign-out, logout). Positive and negative cases; fails
# on any server error or any answer the document does not describe (status code,
# content type, body schema).
# Prints per phase the generated cases and the wall time; stops everything on exit.
#
#   local/scripts/contract.sh
#
# Env: OPENAPI_SPEC (default docs/openapi.json), GATEHOUSE_LOCAL_BIN (a built
# gatehouse-local; default: cargo build -p gatehouse-local), CONTRACT_MAX_EXAMPLES
# (per operation, main and destructive phases, default 50), CONTRACT_AUTH_EXAMPLES
# (the credential phases, default 15), CONTRACT_BUDGET (seconds for the whole run
# after the build, default 300; a run takes about 200 s on two cores),
# CONTRACT_SEED, CONTRACT_ST_ARGS (more schemathesis run options, e.g.
# "--output-sanitize false"), CONTRACT_REPORT_DIR (default .local/contract:
# schemathesis' output, JUnit and NDJSON reports, the gateway log).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
tools="${GATEHOUSE_TOOLS_DIR:-$root/.local/tools}"


if [ "${1:-}" != "--inner" ]; then
  spec="$(realpath "${OPENAPI_SPEC:-docs/openapi.json}")"
  [ -f "$spec" ] || { echo "contract: no OpenAPI document at $spec" >&2; exit 1; }
  bin="${GATEHOUSE_LOCAL_BIN:-}"
  if [ -z "$bin" ]; then
    cargo build -q -p gatehouse-local --bin gatehouse-local
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/gatehouse-local"
  fi
  [ -x "$bin" ] || { echo "contract: $bin is not an executable" >&2; exit 1; }
  export CONTRACT_SPEC="$spec" CONTRACT_BIN="$(realpath "$bin")"
  # The clock of the whole run (after the build): every phase stops by its end.
  CONTRACT_T0=$(date +%s)
  export CONTRACT_T0 CONTRACT_DEADLINE=$((CONTRACT_T0 + ${CONTRACT_BUDGET:-300}))
  exec bash local/scripts/with-emulators.sh bash "$root/local/scripts/contract.sh" --inner
fi

# --- inside with-emulators.sh: the emulators run, their endpoints are exported ---
start=$SECONDS
reports="${CONTRACT_REPORT_DIR:-$root/.local/contract}"
mkdir -p "$reports"
state="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-contract.XXXXXX")"
gateway=""
cleanup() {
  if [ -n "$gateway" ]; then
    kill "$gateway" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

free_port() { "$GATEHOUSE_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
gw_port="$(free_port)"
demo_port="$(free_port)"
while [ "$demo_port" = "$gw_port" ]; do demo_port="$(free_port)"; done

# The local stack's configuration (local/run.sh), on this run's ports.
export GATEWAY_ADDR="127.0.0.1:$gw_port" DEMO_ADDR="127.0.0.1:$demo_port"
# No test identity provider: without the dev-only loopback flag the gateway starts
# none. An enabled provider would let the run's generated login settings turn password
# login off, and the user-session operations sign in with a password.
export IDP_ADDR="127.0.0.1:0"
export ISSUER="http://127.0.0.1:$gw_port" ALLOWED_ORIGINS="http://localhost:$demo_port"
export TABLE_NAME="gatehouse-contract"
export SIGNING_KEYS_SECRET_ARN="gatehouse-signing-keys"
export CLIENT_SECRETS_SECRET_ARN="gatehouse-client-secrets"
export IDP_SECRETS_SECRET_ARN="gatehouse-idp-secrets"
export ADMIN_ACCOUNT_ID="123456789012"
export EMAIL_FROM="noreply@gatehouse.local"
export CREDENTIALS_FILE="$state/credentials.json"
# Every limit at its maximum (the window stays the default): thousands of sign-ins and
# token requests from one IP are the point here. The user lockout too: the hooks send
# the seeded creator's identifier with wrong passwords, and sign in as it themselves.
export SIGNIN_IP_LIMIT=10000 SIGNIN_USER_LIMIT=10000 TOKEN_IP_LIMIT=10000 TOKEN_CLIENT_LIMIT=10000
export USER_SIGNIN_IP_LIMIT=100000 USER_LOCKOUT_THRESHOLD=10000
export RUST_LOG="${RUST_LOG:-info}"
"$CONTRACT_BIN" >"$reports/gateway.log" 2>&1 &
gateway=$!

ready=""
for _ in $(seq 1 150); do
  kill -0 "$gateway" 2>/dev/null || break
  if [ -s "$CREDENTIALS_FILE" ] && "$GATEHOUSE_PYTHON" -c 'import sys,urllib.request as u
try: u.urlopen(sys.argv[1], timeout=1)
except u.HTTPError: pass
' "$ISSUER/.well-known/jwks.json" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "contract: the gateway did not come up within 30 s; its log:" >&2
  tail -n 40 "$reports/gateway.log" >&2
  exit 1
fi
echo "contract: gateway on $ISSUER, ready after $((SECONDS - start)) s" >&2

export CONTRACT_BASE_URL="$ISSUER" CONTRACT_WIDGET_ORIGIN="${ALLOWED_ORIGINS%%,*}"
export CONTRACT_ADMIN_ORIGIN="$ISSUER" CONTRACT_CREDENTIALS_FILE="$CREDENTIALS_FILE"
export SCHEMATHESIS_HOOKS="$root/local/contract/hooks.py"
st="$tools/contract-venv/bin/schemathesis"
max_examples="${CONTRACT_MAX_EXAMPLES:-50}"
# The credential phases vary only the credentials (missing, empty, wrong): fewer cases.
auth_examples="${CONTRACT_AUTH_EXAMPLES:-15}"
extra=()
[ -n "${CONTRACT_SEED:-}" ] && extra+=(--seed "$CONTRACT_SEED")
# shellcheck disable=SC2206 # word splitting wanted: extra schemathesis options
[ -n "${CONTRACT_ST_ARGS:-}" ] && extra+=(${CONTRACT_ST_ARGS})

# The operations that end credentials or change shared state run last: the spec marks
# them `x-gatehouse-destructive` (the `destructive` rows of local/src/routes.rs).
ids_regex="$("$GATEHOUSE_PYTHON" -c 'import json,sys
spec = json.load(open(sys.argv[1]))
ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()
       if op.get("x-gatehouse-destructive")]
if not ids: sys.exit("contract: no operation is marked x-gatehouse-destructive")
print("^(" + "|".join(sorted(ids)) + ")$")' "$CONTRACT_SPEC")"
# phase NAME OPTIONS...: one schemathesis run; prints its case count and wall time.
phase() {
  local name="$1" t0=$SECONDS rc=0
  shift
  rm -f "$reports/$name".*
  local left=$((CONTRACT_DEADLINE - $(date +%s)))
  if [ "$left" -lt 5 ]; then echo "contract: no time left for phase $name" >&2; return 1; fi
  timeout --signal=INT --kill-after=5 "$left" \
    "$st" --config-file "$root/local/contract/schemathesis.toml" run "$CONTRACT_SPEC" \
    --url "$ISSUER" "${extra[@]}" "$@" \
    --report junit,ndjson --report-dir "$reports" \
    --report-junit-path "$reports/$name.junit.xml" --report-ndjson-path "$reports/$name.ndjson" \
    >"$reports/$name.log" 2>&1 || rc=$?
  local cases seed
  # From schemathesis' summary: "Test cases:" then "  N generated, ...", and "Seed: N".
  cases="$(sed -n 's/^ *\([0-9]\+\) generated.*/\1/p' "$reports/$name.log" | tail -n1)"
  seed="$(sed -n 's/^Seed: //p' "$reports/$name.log" | tail -n1)"
  printf 'contract: phase %-11s %5s cases %4d s  exit %d  (CONTRACT_SEED=%s)\n' \
    "$name" "${cases:-?}" "$((SECONDS - t0))" "$rc" "${seed:-?}" >&2
  if [ "$rc" != 0 ]; then
    # The failures and the summary, without the progress lines (all: $reports/$name.log).
    sed -n '/^=\+ FAILURES\|^_\+ /,$p' "$reports/$name.log" \
      | grep -v 'Need more help\|discord\.gg' | head -n 300 >&2
  fi
  case "$rc" in
    124 | 130 | 137) echo "contract: phase $name ran out of the run's ${CONTRACT_BUDGET:-300} s" >&2 ;;
  esac
  return "$rc"
}

# Each selection twice: bodies and parameters with valid credentials (the security
# parameters are not generated, hooks.py supplies them), then the credentials
# themselves generated, positive and negative (absent, empty, random).
bodies=(--generation-with-security-parameters false --max-examples "$max_examples")
creds=(--generation-with-security-parameters true --max-examples "$auth_examples")
rc=0
phase main "${bodies[@]}" --exclude-operation-id-regex "$ids_regex" || rc=1
phase credentials "${creds[@]}" --exclude-operation-id-regex "$ids_regex" || rc=1
phase destructive "${bodies[@]}" --include-operation-id-regex "$ids_regex" || rc=1
phase destr-creds "${creds[@]}" --include-operation-id-regex "$ids_regex" || rc=1
echo "contract: $([ "$rc" = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - CONTRACT_T0)) s," \
  "emulators included (reports: $reports)" >&2
exit "$rc"
