#!/usr/bin/env bash
# `make run`: the whole local stack. Installs what is missing, starts DynamoDB Local and
# moto, builds the workspace, creates the table and demo credentials, and serves the
# local gateway on http://127.0.0.1:3000 with the authorizer in front. Ctrl-C stops all.
#
# Configuration passes through from the environment (e.g. ALLOWED_ORIGINS=... make run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --workspace --bins
target="${CARGO_TARGET_DIR:-$root/target}"
export TABLE_NAME="${TABLE_NAME:-gatehouse}"
export ISSUER="${ISSUER:-http://127.0.0.1:3000}"
export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-http://localhost:3001}"
export USER_UI_URL="${USER_UI_URL:-http://localhost:3001}"
# The sender moto's SES verified at bootstrap; mail is read back from moto (README
# "Reading sent mail locally"). `EMAIL_FROM= make run` runs with e-mail off.
export EMAIL_FROM="${EMAIL_FROM-noreply@gatehouse.local}"
export SIGNING_KEYS_SECRET_ARN="${SIGNING_KEYS_SECRET_ARN:-gatehouse-signing-keys}"
export CLIENT_SECRETS_SECRET_ARN="${CLIENT_SECRETS_SECRET_ARN:-gatehouse-client-secrets}"
export IDP_SECRETS_SECRET_ARN="${IDP_SECRETS_SECRET_ARN:-gatehouse-idp-secrets}"
# Dev only (README "Single sign-on"): identity providers on plain http and loopback,
# such as a provider run on this machine. Never set in a deployment.
export SSO_ALLOW_INSECURE_LOOPBACK="${SSO_ALLOW_INSECURE_LOOPBACK:-true}"
# moto's account: admins are IAM users of it.
export ADMIN_ACCOUNT_ID="${ADMIN_ACCOUNT_ID:-123456789012}"
# AUTH_URL / JWK_URL pass through from your environment (unset: code flow off).
export GATEWAY_ADDR="${GATEWAY_ADDR:-127.0.0.1:3000}"
# The test identity provider (README "Trying it locally"), added as provider `test-idp`.
export IDP_ADDR="${IDP_ADDR:-127.0.0.1:3002}"
export CREDENTIALS_FILE="${CREDENTIALS_FILE:-$root/.local/credentials.json}"
export RUST_LOG="${RUST_LOG:-info}"
exec bash "$root/local/scripts/with-emulators.sh" "$target/debug/gatehouse-local"
