"""Peer baseline for the benchmarks: the Lambda authorizer a user would typically write
in Python 3.11 instead of deploying Gatehouse's.

Written the common way: boto3 imported and its clients created at init, PyJWT with
`cryptography` for the signatures, hashlib + `hmac.compare_digest` for API keys, and a
minimal Runtime API loop (as a custom runtime or the Lambda Python image would run it).
It makes the same checks as Gatehouse's authorizer on the benchmark's routes, with the
same caching policy (API keys 60 s, key ring 5 min), so the comparison measures the
runtime and libraries, not a weaker check:

- `x-api-key: gk_<id>_<secret>`: DynamoDB `GetItem` (cached), SHA-256 compared in
  constant time, disabled/expiry checked, scopes from the record;
- `Authorization: Bearer <jwt>`: the public keys of the ring in Secrets Manager
  (cached), algorithm from the key (never from the header), `iss`/`aud`/`exp`/`iat`
  required, scope from the token;
- the `__Host-gh_session` cookie: allowed `Origin`, DynamoDB `GetItem` of the session
  hash on every request, expiry checked, scope `client`.

Answers HTTP API simple responses. After each invocation it prints its running count
of AWS calls (a boto3 `before-send` hook) in the line format of `gatehouse::metrics`,
which the harness reads.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import time

import boto3
import jwt
from cryptography.hazmat.primitives import serialization

CALLS = {"dynamodb": 0, "secretsmanager": 0, "sts": 0, "iam": 0, "host_jwks": 0}


def _count(service):
    def hook(**_kwargs):
        CALLS[service] += 1

    return hook


dynamodb = boto3.client("dynamodb")
dynamodb.meta.events.register("before-send", _count("dynamodb"))
secrets = boto3.client("secretsmanager")
secrets.meta.events.register("before-send", _count("secretsmanager"))

TABLE = os.environ["TABLE_NAME"]
RING_SECRET = os.environ["SIGNING_KEYS_SECRET_ARN"]
ISSUER = os.environ["ISSUER"]
ALLOWED_ORIGINS = {o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip()}
API_KEY_TTL = 60
RING_TTL = 300
SESSION_COOKIE = "__Host-gh_session"

_ring = {"keys": None, "at": 0.0}
_api_keys = {}


def signing_keys():
    if _ring["keys"] is None or time.time() - _ring["at"] > RING_TTL:
        value = secrets.get_secret_value(SecretId=RING_SECRET, VersionStage="AWSCURRENT")
        ring = json.loads(value["SecretString"])
        keys = {}
        for slot in ("next", "current", "previous"):
            k = ring.get(slot)
            if k:
                private = serialization.load_der_private_key(base64.b64decode(k["pkcs8"]), password=None)
                keys[k["kid"]] = (k["alg"], private.public_key())
        _ring["keys"], _ring["at"] = keys, time.time()
    return _ring["keys"]


def check_bearer(token):
    header = jwt.get_unverified_header(token)
    key = signing_keys().get(header.get("kid"))
    if key is None:
        return None
    alg, public = key
    claims = jwt.decode(
        token,
        public,
        algorithms=[alg],
        audience="api",
        issuer=ISSUER,
        leeway=5,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return {"principal_type": "client", "subject": claims["sub"], "scopes": claims.get("scope", "")}


def check_api_key(key):
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != "gk" or len(parts[1]) != 16 or len(parts[2]) != 43:
        return None
    key_id, secret = parts[1], parts[2]
    cached = _api_keys.get(key_id)
    if cached is None or time.time() - cached[1] > API_KEY_TTL:
        item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"apikey#{key_id}"}}).get("Item")
        cached = (item, time.time())
        _api_keys[key_id] = cached
    item = cached[0]
    if item is None:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    if not hmac.compare_digest(digest, item["secret_hash"]["S"]):
        return None
    if item.get("disabled", {}).get("BOOL"):
        return None
    if "expires_at" in item and int(item["expires_at"]["N"]) <= time.time():
        return None
    scopes = " ".join(s["S"] for s in item["scopes"]["L"])
    return {"principal_type": "api_key", "subject": key_id, "key_id": key_id, "scopes": scopes}


def check_cookie(session_id, origin):
    if origin not in ALLOWED_ORIGINS:
        return None
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"session#{digest}"}}).get("Item")
    if item is None or int(item["expires_at"]["N"]) <= time.time():
        return None
    return {"principal_type": "widget_session", "subject": item["userid"]["S"], "scopes": "client"}


def needed_scope(method, path):
    if method == "GET" and path in ("/display", "/display/rules"):
        return "client"
    if method == "GET":
        return "data"
    return None


def handler(event, _context):
    headers = event.get("headers") or {}
    http_ctx = event["requestContext"]["http"]
    principal = None
    if "x-api-key" in headers:
        principal = check_api_key(headers["x-api-key"])
    elif headers.get("authorization", "").startswith("Bearer "):
        try:
            principal = check_bearer(headers["authorization"][7:])
        except jwt.PyJWTError:
            principal = None
    else:
        for cookie in event.get("cookies") or []:
            name, _, value = cookie.partition("=")
            if name == SESSION_COOKIE:
                principal = check_cookie(value, headers.get("origin"))
    scope = needed_scope(http_ctx["method"], http_ctx["path"])
    allowed = principal is not None and scope is not None and scope in principal["scopes"].split()
    print(json.dumps({"level": "INFO", "decision": "allow" if allowed else "deny"}), flush=True)
    if not allowed:
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": principal}


def main():
    host = os.environ["AWS_LAMBDA_RUNTIME_API"]
    conn = http.client.HTTPConnection(host)
    prefix = "/2018-06-01/runtime/invocation"
    while True:
        conn.request("GET", f"{prefix}/next")
        resp = conn.getresponse()
        request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        event = json.loads(resp.read())
        try:
            body, path = json.dumps(handler(event, None)), f"{prefix}/{request_id}/response"
        except Exception as e:  # noqa: BLE001 - reported to the runtime as Lambda does
            body = json.dumps({"errorMessage": str(e), "errorType": type(e).__name__})
            path = f"{prefix}/{request_id}/error"
        print(json.dumps({"level": "DEBUG", "fields": {"message": "outbound calls", **CALLS}}), flush=True)
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        conn.getresponse().read()


if __name__ == "__main__":
    main()
