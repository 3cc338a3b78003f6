"""A fake OpenID provider for the tests: our own keys, on loopback, no login page.

The relying party talks to it as to any provider:
  GET  /.well-known/openid-configuration   discovery; issuer http://127.0.0.1:<port>
  GET  /jwks                               an RSA-2048 key ("rsa-1") and an EC P-256 key ("ec-1")
  GET  /authorize                          auto-consent for the current profile: 302 to the
                                           registered redirect_uri with code, state and iss
  POST /token                              authorization_code with PKCE S256, client auth by
                                           client_secret_basic or client_secret_post

Test-only controls (never part of a real provider):
  POST /control  JSON, every field optional, merged into the current state:
                 {"reset": true}  the defaults again, codes and counters cleared, the key
                                  "rsa-1" back (applied before the other fields)
                 "clients": {id: {"secret", "redirect_uris": [...]}}
                 "profile": {"sub", "email", "email_verified", "preferred_username", "name",
                             "extra": {...}}   (extra: more id_token claims)
                 "token": {"alg": "RS256"|"ES256"|"PS256"|"none"|"HS256",
                           "kid": str|null (null: no kid header; absent: the key's own),
                           "key": "listed"|"unlisted" (unlisted: a key the JWKS lacks; its kid
                                  is "unlisted-rsa"/"unlisted-ec" unless "kid" says otherwise),
                           "hs256_secret": str (default: the client's secret),
                           "claims": {...} (added or overriding; null removes the claim),
                           "header": {...} (extra header fields, may override alg or typ),
                           "id_token_missing": bool}
                 "jwks": "ok"|"down" (503)|"garbage" (not JSON)|"enc_only" (use=enc)|
                         "small_rsa" (only an RSA-1024 key, "rsa-small"; RSA tokens use it)
                 "rotate": true   a new RSA key "rsa-<n>" replaces the old one
                 "discovery": {field: value} (null removes the field), "discovery_down": bool
                 "token_endpoint": "ok"|"down" (503)|"error" (400, provider text with markup)
                 "auth_methods": [...]  advertised and accepted client auth methods
                 "iss_param": "ok"|"omit"|<value>   the iss of the authorize redirect
                 answers {"issuer", "rsa_kid"}
  GET  /stats    {"discovery_fetches", "jwks_fetches", "token_requests",
                  "client_credentials_requests", "last_token_auth": "basic"|"post"|null,
                  "issued": [every access_token and id_token answered, in order]}

A code is spent the first time its client presents it, whatever the outcome. Prints
"PORT <n>" on stdout once it listens. Loopback only.
"""
import base64
import copy
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# HS256 with a short client secret is exactly what the tests want to send.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)

CODE_LIFETIME = 300
TOKEN_LIFETIME = 300
ERROR_TEXT = "<script>alert(1)</script> provider text"


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64u_int(n: int, size: int = 0) -> str:
    return b64u(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


class Key:
    """A signing key with its kid: RSA (any size) or EC P-256."""

    def __init__(self, kid, kty="RSA", bits=2048):
        self.kid, self.kty = kid, kty
        if kty == "RSA":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self, use="sig"):
        pub = self.private.public_key().public_numbers()
        if self.kty == "RSA":
            d = {"kty": "RSA", "alg": "RS256", "n": b64u_int(pub.n), "e": b64u_int(pub.e)}
        else:
            d = {"kty": "EC", "alg": "ES256", "crv": "P-256", "x": b64u_int(pub.x, 32), "y": b64u_int(pub.y, 32)}
        return {"kid": self.kid, "use": use, **d}


def defaults():
    return {
        "clients": {},
        "profile": {
            "sub": "fake-sub-0001",
            "email": "ada@example.com",
            "email_verified": True,
            "preferred_username": "ada",
            "name": "Ada Lovelace",
            "extra": {},
        },
        "token": {"alg": "RS256", "key": "listed", "claims": {}, "header": {}, "id_token_missing": False},
        "jwks": "ok",
        "discovery": {},
        "discovery_down": False,
        "token_endpoint": "ok",
        "auth_methods": ["client_secret_basic", "client_secret_post"],
        "iss_param": "ok",
    }


# The first RSA key is kept across resets, so a relying party's cached JWKS stays valid.
FIRST_RSA = Key("rsa-1")
KEYS = {
    "rsa": FIRST_RSA,
    "ec": Key("ec-1", "EC"),
    "unlisted-rsa": Key("unlisted-rsa"),
    "unlisted-ec": Key("unlisted-ec", "EC"),
    "small": Key("rsa-small", bits=1024),
}
STATE = defaults()
STATS = {}
CODES = {}
ROTATIONS = [1]
LOCK = threading.Lock()
ISSUER = ""


def reset_stats():
    STATS.update(
        discovery_fetches=0,
        jwks_fetches=0,
        token_requests=0,
        client_credentials_requests=0,
        last_token_auth=None,
        issued=[],
    )


reset_stats()


def merge(into, update):
    """`update` over `into`, one level of dicts deep (profile, token, clients, discovery)."""
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            into[k].update(copy.deepcopy(v))
        else:
            into[k] = copy.deepcopy(v)


def control(body):
    with LOCK:
        if body.get("reset"):
            STATE.clear()
            STATE.update(defaults())
            CODES.clear()
            reset_stats()
            KEYS["rsa"] = FIRST_RSA
            ROTATIONS[0] = 1
        if body.get("rotate"):
            ROTATIONS[0] += 1
            KEYS["rsa"] = Key(f"rsa-{ROTATIONS[0]}")
        merge(STATE, {k: v for k, v in body.items() if k not in ("reset", "rotate")})
        return {"issuer": ISSUER, "rsa_kid": KEYS["rsa"].kid}


def discovery():
    doc = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(STATE["auth_methods"]),
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": ["openid", "email", "profile"],
    }
    for k, v in STATE["discovery"].items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


def jwks():
    mode = STATE["jwks"]
    if mode == "small_rsa":
        return {"keys": [KEYS["small"].jwk()]}
    use = "enc" if mode == "enc_only" else "sig"
    return {"keys": [KEYS["rsa"].jwk(use), KEYS["ec"].jwk(use)]}


def signing_key(alg, token):
    """The key an `alg` token is signed with, and the kid it names by default."""
    family = "ec" if alg == "ES256" else "rsa"
    if token.get("key") == "unlisted":
        key = KEYS[f"unlisted-{family}"]
    elif family == "rsa" and STATE["jwks"] == "small_rsa":
        key = KEYS["small"]
    else:
        key = KEYS[family]
    return key.private, key.kid


def id_token(grant):
    """The id_token for a redeemed code, as the `token` control shapes it."""
    token, profile, now = STATE["token"], grant["profile"], int(time.time())
    claims = {"iss": ISSUER, "aud": grant["client_id"], "exp": now + TOKEN_LIFETIME, "iat": now}
    if grant.get("nonce") is not None:
        claims["nonce"] = grant["nonce"]
    for k, v in profile.items():
        if k != "extra" and v is not None:
            claims[k] = v
    claims.update(profile.get("extra") or {})
    for k, v in (token.get("claims") or {}).items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    alg, headers = token.get("alg", "RS256"), {}
    if alg == "none":
        key = None
    elif alg == "HS256":
        key = token.get("hs256_secret") or STATE["clients"][grant["client_id"]]["secret"]
    else:
        key, headers["kid"] = signing_key(alg, token)
    if "kid" in token:
        headers["kid"] = token["kid"]
    headers = {k: v for k, v in headers.items() if v is not None}
    headers.update(token.get("header") or {})
    return jwt.encode(claims, key, algorithm=alg, headers=headers or None)


def s256(verifier: str) -> str:
    return b64u(hashlib.sha256(verifier.encode()).digest())


class Refusal(Exception):
    def __init__(self, status, error, description=None):
        super().__init__(error)
        self.status, self.error, self.description = status, error, description

    def body(self):
        d = {"error": self.error}
        if self.description:
            d["error_description"] = self.description
        return d


def basic_credentials(header):
    """client_id and secret from `Authorization: Basic`, each form-urlencoded (RFC 6749 2.3.1)."""
    try:
        raw = base64.b64decode(header.split(" ", 1)[1], validate=True).decode()
        cid, secret = raw.split(":", 1)
    except (IndexError, ValueError):
        raise Refusal(401, "invalid_client", "malformed Basic credentials")
    return unquote_plus(cid), unquote_plus(secret)


def authenticate(form, authorization):
    """The authenticated client's id, by the one method the request used."""
    basic = authorization.lower().startswith("basic ")
    post = "client_secret" in form
    if basic and post:
        raise Refusal(400, "invalid_request", "more than one client authentication method")
    if not basic and not post:
        raise Refusal(401, "invalid_client", "no client authentication")
    STATS["last_token_auth"] = "basic" if basic else "post"
    method = "client_secret_basic" if basic else "client_secret_post"
    cid, secret = basic_credentials(authorization) if basic else (form.get("client_id", ""), form["client_secret"])
    if method not in STATE["auth_methods"]:
        raise Refusal(401, "invalid_client", f"{method} is not accepted")
    client = STATE["clients"].get(cid)
    if client is None or not hmac.compare_digest(client["secret"].encode(), secret.encode()):
        raise Refusal(401, "invalid_client", "unknown client or wrong secret")
    if basic and form.get("client_id") not in (None, cid):
        raise Refusal(400, "invalid_request", "client_id differs from the authenticated client")
    return cid


def redeem(form, cid):
    """The grant behind `code`, spent now; refused unless redirect_uri and PKCE match."""
    grant = CODES.pop(form.get("code", ""), None)
    if grant is None or grant["client_id"] != cid or grant["expires_at"] < time.time():
        raise Refusal(400, "invalid_grant", "unknown, used or expired code")
    if form.get("redirect_uri") != grant["redirect_uri"]:
        raise Refusal(400, "invalid_grant", "redirect_uri differs")
    verifier = form.get("code_verifier")
    if not verifier or not hmac.compare_digest(s256(verifier), grant["code_challenge"]):
        raise Refusal(400, "invalid_grant", "PKCE verification failed")
    return grant


def token(form, authorization):
    """The /token answer (status, JSON body) for one request."""
    with LOCK:
        STATS["token_requests"] += 1
        mode = STATE["token_endpoint"]
        if mode == "down":
            return 503, {"error": "temporarily_unavailable"}
        if mode == "error":
            raise Refusal(400, "invalid_grant", ERROR_TEXT)
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            STATS["client_credentials_requests"] += 1
            raise Refusal(400, "unauthorized_client")
        if grant_type != "authorization_code":
            raise Refusal(400, "unsupported_grant_type")
        grant = redeem(form, authenticate(form, authorization))
        answer = {"access_token": secrets.token_urlsafe(32), "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
        if not STATE["token"].get("id_token_missing"):
            answer["id_token"] = id_token(grant)
        STATS["issued"].append(answer["access_token"])
        STATS["issued"].extend([answer["id_token"]] if "id_token" in answer else [])
        return 200, answer


def authorize(query):
    """(status, Location or page) for an authorization request: auto-consent."""
    with LOCK:
        client = STATE["clients"].get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or redirect_uri not in client["redirect_uris"]:
            return 400, "unknown client_id or unregistered redirect_uri"
        answer = {}
        if query.get("response_type") != "code":
            answer["error"] = "unsupported_response_type"
        elif "openid" not in query.get("scope", "").split():
            answer["error"] = "invalid_scope"
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            answer["error"] = "invalid_request"
        else:
            answer["code"] = secrets.token_urlsafe(32)
            CODES[answer["code"]] = {
                "client_id": query["client_id"],
                "redirect_uri": redirect_uri,
                "nonce": query.get("nonce"),
                "code_challenge": query["code_challenge"],
                "profile": copy.deepcopy(STATE["profile"]),
                "expires_at": time.time() + CODE_LIFETIME,
            }
        if "state" in query:
            answer["state"] = query["state"]
        iss = STATE["iss_param"]
        if iss != "omit":
            answer["iss"] = ISSUER if iss == "ok" else iss
        sep = "&" if "?" in redirect_uri else "?"
        return 302, redirect_uri + sep + urlencode(answer)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_raw(self, status, data, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, body, extra=()):
        self.send_raw(status, json.dumps(body).encode(), "application/json", extra)

    def raw_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/.well-known/openid-configuration":
            with LOCK:
                STATS["discovery_fetches"] += 1
                if STATE["discovery_down"]:
                    return self.send_json(503, {"error": "down"})
                doc = discovery()
            return self.send_json(200, doc)
        if url.path == "/jwks":
            with LOCK:
                STATS["jwks_fetches"] += 1
                mode, doc = STATE["jwks"], jwks()
            if mode == "down":
                return self.send_json(503, {"error": "down"})
            if mode == "garbage":
                return self.send_raw(200, b"<html>not a key set</html>", "text/html")
            return self.send_json(200, doc)
        if url.path == "/authorize":
            status, where = authorize(dict(parse_qsl(url.query)))
            if status != 302:
                return self.send_raw(status, where.encode(), "text/plain")
            return self.send_raw(302, b"", "text/plain", [("Location", where)])
        if url.path == "/stats":
            with LOCK:
                return self.send_json(200, dict(STATS))
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        path = urlsplit(self.path).path
        if path == "/token":
            form = dict(parse_qsl(self.raw_body(), keep_blank_values=True))
            no_store = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
            try:
                status, body = token(form, self.headers.get("Authorization") or "")
            except Refusal as r:
                extra = [("WWW-Authenticate", 'Basic realm="fake-idp"')] if r.status == 401 else []
                return self.send_json(r.status, r.body(), no_store + extra)
            return self.send_json(status, body, no_store)
        if path == "/control":
            try:
                body = json.loads(self.raw_body() or "{}")
            except ValueError:
                return self.send_json(400, {"error": "control body is not JSON"})
            return self.send_json(200, control(body))
        self.send_json(404, {"error": "not found"})


def main():
    global ISSUER
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ISSUER = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
