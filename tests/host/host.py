"""A test host built like the original service's documented example host.

It holds an RSA-2048 key, serves its public JWK (with `kid` and `use=sig`) at /jwk, and
answers POST /authorize with {"code": <jwt>} where the JWT carries only an `exp` one
minute ahead and is signed RS256 with PyJWT *without* a `kid` header.

Test-only controls (never part of a real host):
  POST /sign     {"claims": {...}, "headers": {...}, "key": "current"|"other"}  -> {"code"}
  POST /rotate   new key with a new kid; /jwk serves it (and the old one is dropped)
  POST /jwks-mode {"mode": "single"|"set-with-bad-key"|"no-use"|"other-alg"}
                 or a fault of the JWK endpoint: "slow" (answers after 10 s), "garbage"
                 (not JSON), "error" (HTTP 500), "huge" (10 MB with a Content-Length),
                 "huge-unsized" (10 MB, no Content-Length, until the connection closes)
  GET  /stats    {"jwk_fetches": n}

Prints "PORT <n>" on stdout once it listens. Loopback only. With --key-file, the key is
kept in that file, so a host restarted on the same port serves the same key.
"""
import argparse
import base64
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64u(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Key:
    def __init__(self, private=None, kid=None):
        self.private = private or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid or uuid.uuid4().hex

    @staticmethod
    def kept_in(path):
        """The key stored in `path` (created there on first use)."""
        try:
            with open(path) as f:
                saved = json.load(f)
            return Key(serialization.load_pem_private_key(saved["pem"].encode(), None), saved["kid"])
        except FileNotFoundError:
            key = Key()
            pem = key.private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            with open(path, "w") as f:
                json.dump({"pem": pem.decode(), "kid": key.kid}, f)
            return key

    def jwk(self, **extra):
        pub = self.private.public_key().public_numbers()
        d = {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64u(pub.n), "e": b64u(pub.e)}
        d.update(extra)
        return {k: v for k, v in d.items() if v is not None}


STATE = {"key": Key(), "other": Key(), "mode": "single", "fetches": 0}
LOCK = threading.Lock()


def jwk_document():
    key = STATE["key"]
    mode = STATE["mode"]
    if mode == "single":
        return key.jwk()
    if mode == "set-with-bad-key":
        bad = {"kty": "RSA", "kid": "broken", "use": "sig", "n": "!!!", "e": "AQAB"}
        return {"keys": [bad, {"kty": "oct", "k": "c2VjcmV0"}, key.jwk()]}
    if mode == "no-use":
        return {"keys": [key.jwk(use=None)]}
    if mode == "other-alg":
        return {"keys": [key.jwk(alg="RS512")]}
    raise ValueError(mode)


HUGE = 10 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_raw(self, status, data, content_type, sized=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if sized:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (as it should, past its size cap)

    def send_jwk(self, mode):
        if mode == "slow":
            time.sleep(10)
            return self.send_json(200, STATE["key"].jwk())
        if mode == "garbage":
            return self.send_raw(200, b"<html>not a key set</html>", "text/html")
        if mode == "error":
            return self.send_json(500, {"error": "host failure"})
        if mode in ("huge", "huge-unsized"):
            doc = b'{"keys": [], "pad": "' + b"x" * HUGE + b'"}'
            return self.send_raw(200, doc, "application/json", sized=mode == "huge")
        with LOCK:
            doc = jwk_document()
        return self.send_json(200, doc)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def do_GET(self):
        if self.path == "/jwk":
            with LOCK:
                STATE["fetches"] += 1
                mode = STATE["mode"]
            return self.send_jwk(mode)
        if self.path == "/stats":
            return self.send_json(200, {"jwk_fetches": STATE["fetches"]})
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        path = self.path.split("?")[0]
        if path == "/authorize":
            # The documented example: only exp, one minute ahead, RS256, no kid.
            code = jwt.encode({"exp": int(time.time()) + 60}, STATE["key"].private, algorithm="RS256")
            return self.send_json(200, {"code": code})
        body = self.body()
        if path == "/sign":
            key = STATE["other"] if body.get("key") == "other" else STATE["key"]
            headers = body.get("headers") or {}
            if body.get("with_kid"):
                headers["kid"] = key.kid
            code = jwt.encode(body.get("claims") or {}, key.private, algorithm="RS256", headers=headers or None)
            return self.send_json(200, {"code": code, "kid": key.kid})
        if path == "/rotate":
            with LOCK:
                STATE["key"] = Key()
            return self.send_json(200, {"kid": STATE["key"].kid})
        if path == "/jwks-mode":
            STATE["mode"] = body.get("mode", "single")
            return self.send_json(200, {"mode": STATE["mode"]})
        self.send_json(404, {"error": "not found"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key-file")
    args = ap.parse_args()
    if args.key_file:
        STATE["key"] = Key.kept_in(args.key_file)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
