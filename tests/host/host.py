"""A test host built like the original service's documented example host.

It holds an RSA-2048 key, serves its public JWK (with `kid` and `use=sig`) at /jwk, and
answers POST /authorize with {"code": <jwt>} where the JWT carries only an `exp` one
minute ahead and is signed RS256 with PyJWT *without* a `kid` header.

Test-only controls (never part of a real host):
  POST /sign     {"claims": {...}, "headers": {...}, "key": "current"|"other"}  -> {"code"}
  POST /rotate   new key with a new kid; /jwk serves it (and the old one is dropped)
  POST /jwks-mode {"mode": "single"|"set-with-bad-key"|"no-use"|"other-alg"}
  GET  /stats    {"jwk_fetches": n}

Prints "PORT <n>" on stdout once it listens. Loopback only.
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
from cryptography.hazmat.primitives.asymmetric import rsa


def b64u(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Key:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

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
                doc = jwk_document()
            return self.send_json(200, doc)
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
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
