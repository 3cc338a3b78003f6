"""Schemathesis hooks for `make contract` (local/scripts/contract.sh).

Every request gets real credentials for one of the security requirements its operation
declares in docs/openapi.json, chosen in turn so each alternative is exercised. The
scheme names are those of `components.securitySchemes`:

  apiKey         x-api-key: the demo API key of the credentials file
  bearer         Authorization: Bearer <client-credentials access token>; for the
                 routes that need scope `client`, the widget security token
  oauth2         the same token as bearer (client credentials, tokenUrl /token)
  clientBasic    HTTP Basic with the demo client (POST /token)
  widgetSession  Cookie __Host-gh_session (generateToken, then loginToken)
  userSession    Cookie __Host-gh_user (POST /users/signin as the seeded creator of the
                 credentials file, `users.creator`)
  adminSession   Cookie __Host-gh_admin (POST /admin/signin)
  csrfToken      x-csrf-token: the CSRF token of that admin sign-in

Cookies are sent as a `Cookie` header: they are `Secure` and the local gateway is plain
http (README, "Running locally"). Every request carries `Origin`: the first allowed
origin, or for `/admin/*` the issuer's own (admin routes refuse a foreign one). The
user sign-in and the user cookie need the allowed one, which `/users/*` gets.

`POST /users/signin` is sent wrong passwords for the seeded identifiers on purpose (a
real identifier with a generated password); contract.sh raises USER_LOCKOUT_THRESHOLD
and USER_SIGNIN_IP_LIMIT to their maximum, so the lockout never refuses the hooks' own
sign-in during a run.

Credentials are fetched lazily, once per schemathesis process (contract.sh runs one per
phase, so each phase signs in afresh), and fetched again after an operation that ends
them has succeeded (sign-out, logout, revocation, rotation, disabling a key or client).
A credential that cannot be obtained fails the run with the gateway's answer.

Environment (set by contract.sh): CONTRACT_BASE_URL, CONTRACT_WIDGET_ORIGIN,
CONTRACT_ADMIN_ORIGIN, CONTRACT_CREDENTIALS_FILE.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import zlib
from collections import defaultdict

import requests
import schemathesis

BASE_URL = os.environ["CONTRACT_BASE_URL"].rstrip("/")
WIDGET_ORIGIN = os.environ["CONTRACT_WIDGET_ORIGIN"]
ADMIN_ORIGIN = os.environ["CONTRACT_ADMIN_ORIGIN"]
CREDENTIALS_FILE = os.environ["CONTRACT_CREDENTIALS_FILE"]

WIDGET_COOKIE = "__Host-gh_session"
USER_COOKIE = "__Host-gh_user"
ADMIN_COOKIE = "__Host-gh_admin"
CSRF_HEADER = "x-csrf-token"
TIMEOUT = 10

# What a successful call of each credential-ending operation invalidates.
ENDS = {
    "adminRotateSigningKeys": ("client_token", "widget_token"),
    "adminDisableKey": ("api_key",),
    "adminDeleteKey": ("api_key",),
    "adminDisableClient": ("client", "client_token"),
    "adminRevokeSession": ("widget_session", "admin"),
    "adminRevokeUserSessions": ("widget_session", "admin"),
    "adminSignout": ("admin",),
    "widgetLogout": ("widget_session",),
    "userSignout": ("user_session",),
    # A resume rotates the admin session's CSRF token: the old one is dead.
    "adminConsoleResume": ("admin",),
}


# Operations whose route needs scope `client` (README, "Running locally": /display): a
# client-credentials token cannot call them, a widget security token can.
CLIENT_SCOPE_OPS = {"display", "displayRules", "postComment"}


class CredentialError(Exception):
    pass


def origin_for(path: str) -> str:
    return ADMIN_ORIGIN if path.startswith("/admin/") else WIDGET_ORIGIN


def call(method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Origin": origin_for(path), **kwargs.pop("headers", {})}
    return requests.request(method, BASE_URL + path, headers=headers, timeout=TIMEOUT, **kwargs)


def expect(resp: requests.Response, what: str) -> requests.Response:
    if resp.status_code != 200:
        raise CredentialError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp


def set_cookie(resp: requests.Response, name: str) -> str:
    # requests' jar drops `Secure` cookies of an http answer, so read the header itself.
    # (http.cookies would refuse the whole header for its `Partitioned` attribute.)
    for raw in resp.raw.headers.getlist("set-cookie"):
        key, _, value = raw.split(";", 1)[0].strip().partition("=")
        if key == name and value:
            return value
    raise CredentialError(f"no {name} cookie in {resp.request.method} {resp.url}")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Credentials:
    """The phase's credentials, each fetched on first use and cached until dropped."""

    def __init__(self) -> None:
        with open(CREDENTIALS_FILE) as f:
            self.file = json.load(f)
        self._cache: dict[str, object] = {}
        self._lock = threading.RLock()

    def get(self, name: str):
        with self._lock:
            if name not in self._cache:
                self._cache[name] = getattr(self, "_fetch_" + name)()
            return self._cache[name]

    def drop(self, *names: str) -> None:
        with self._lock:
            for name in names:
                self._cache.pop(name, None)

    # apiKey: the demo key; a fresh one from the admin API once the demo key is gone
    # (disabled or deleted by an earlier destructive call).
    def _fetch_api_key(self) -> str:
        key = self.file["api_key"]["key"]
        if call("GET", "/whoami", headers={"x-api-key": key}).status_code == 200:
            return key
        resp = self.admin_call("POST", "/admin/keys", json={"name": "contract"})
        return expect(resp, "POST /admin/keys").json()["key"]

    # clientBasic: the demo client; a new one from the admin API once it is disabled.
    def _fetch_client(self) -> tuple[str, str]:
        c = self.file["client"]
        pair = (c["client_id"], c["client_secret"])
        if self._token_for(pair).status_code == 200:
            return pair
        resp = expect(self.admin_call("POST", "/admin/clients", json={}), "POST /admin/clients")
        return resp.json()["client_id"], resp.json()["client_secret"]

    def _token_for(self, pair: tuple[str, str]) -> requests.Response:
        return call(
            "POST",
            "/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(*pair)},
        )

    # bearer / oauth2: a client-credentials access token.
    def _fetch_client_token(self) -> str:
        resp = expect(self._token_for(self.get("client")), "POST /token")
        return resp.json()["access_token"]

    # The widget security token (also a bearer; used where no client token fits).
    def _fetch_widget_token(self) -> str:
        resp = call(
            "POST",
            "/widget/login/token",
            json={"userid": "contract", "appid": "contract"},
            headers={"x-api-key": self.get("api_key")},
        )
        return expect(resp, "POST /widget/login/token").json()["token"]

    # widgetSession: a temp token redeemed for the session cookie.
    def _fetch_widget_session(self) -> str:
        return self.open_widget_session("contract")

    def temp_token(self, userid: str) -> str:
        resp = call(
            "POST",
            "/widget/generateToken",
            json={"userid": userid},
            headers={"x-api-key": self.get("api_key")},
        )
        return expect(resp, "POST /widget/generateToken").json()["token"]

    def open_widget_session(self, userid: str) -> str:
        body = {"token": self.temp_token(userid)}
        resp = expect(call("POST", "/widget/loginToken", json=body), "POST /widget/loginToken")
        return set_cookie(resp, WIDGET_COOKIE)

    # userSession: the seeded creator's password sign-in (from the allowed Origin).
    def _fetch_user_session(self) -> str:
        resp = expect(call("POST", "/users/signin", json=self.user_signin()), "POST /users/signin")
        return set_cookie(resp, USER_COOKIE)

    def user_signin(self, by_email: bool = False) -> dict:
        u = self.file["users"]["creator"]
        if not u.get("password"):
            raise CredentialError("the credentials file has no password for users.creator")
        return {"identifier": u["email" if by_email else "username"], "password": u["password"]}

    # adminSession + csrfToken: the demo admin's sign-in with submitted keys.
    def _fetch_admin(self) -> tuple[str, str]:
        a = self.file["admin"]
        body = {k: a[k] for k in ("userName", "accessKeyId", "secretAccessKey")}
        resp = expect(call("POST", "/admin/signin", json=body), "POST /admin/signin")
        return set_cookie(resp, ADMIN_COOKIE), resp.json()["csrfToken"]

    def admin_call(self, method: str, path: str, **kwargs) -> requests.Response:
        cookie, csrf = self.get("admin")
        headers = {"Cookie": f"{ADMIN_COOKIE}={cookie}", CSRF_HEADER: csrf}
        return call(method, path, headers=headers, **kwargs)


def op_of(case) -> str:
    return case.operation.definition.raw.get("operationId", "")


def is_positive(case) -> bool:
    meta = case.meta
    return meta is not None and not meta.generation.mode.is_negative


CREDS = Credentials()
# Per operation, which of its security requirements the next case uses.
TURNS: dict[str, itertools.count] = defaultdict(itertools.count)
TURNS_LOCK = threading.Lock()


def requirements(operation) -> list[dict]:
    raw = operation.definition.raw
    security = raw.get("security", operation.schema.raw_schema.get("security", []))
    return security or [{}]


@schemathesis.auth(refresh_interval=None)
class GatehouseAuth:
    """Real credentials for one security requirement of the operation, in turn."""

    def get(self, case, context):
        options = requirements(context.operation)
        with TURNS_LOCK:
            turn = next(TURNS[context.operation.label])
        requirement = options[turn % len(options)]
        op = context.operation.definition.raw.get("operationId", "")
        return {scheme: self.value(scheme, op) for scheme in requirement}

    @staticmethod
    def value(scheme: str, op: str):
        if scheme == "apiKey":
            return CREDS.get("api_key")
        if scheme in ("bearer", "oauth2"):
            # A client token has scope `data` only (README); routes needing `client`
            # get the widget security token instead.
            return CREDS.get("widget_token" if op in CLIENT_SCOPE_OPS else "client_token")
        if scheme == "clientBasic":
            return CREDS.get("client")
        if scheme == "widgetSession":
            return CREDS.get("widget_session")
        if scheme == "userSession":
            return CREDS.get("user_session")
        if scheme in ("adminSession", "csrfToken"):
            return CREDS.get("admin")
        raise CredentialError(f"unknown security scheme {scheme!r} (see local/contract/hooks.py)")

    def set(self, case, data, context):
        headers = case.headers if case.headers is not None else {}
        cookies = {}
        for scheme, value in data.items():
            if scheme == "apiKey":
                headers["x-api-key"] = value
            elif scheme in ("bearer", "oauth2"):
                headers["Authorization"] = f"Bearer {value}"
            elif scheme == "clientBasic":
                headers["Authorization"] = basic(*value)
            elif scheme == "widgetSession":
                cookies[WIDGET_COOKIE] = value
            elif scheme == "userSession":
                cookies[USER_COOKIE] = value
            elif scheme == "adminSession":
                cookies[ADMIN_COOKIE] = value[0]
            elif scheme == "csrfToken":
                headers[CSRF_HEADER] = value[1]
        if cookies:
            # One `Cookie` header: requests would not send a `Secure` cookie over http,
            # and its jar (any other generated cookie) would replace the header.
            merged = {**(case.cookies or {}), **cookies}
            case.cookies = {}
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in merged.items())
        case.headers = headers
        if op_of(case) == "token" and is_positive(case) and isinstance(case.body, dict):
            self.token_body(case, data)

    @staticmethod
    def token_body(case, data):
        # POST /token takes the client from Basic or from the form, and both at once
        # with different values is invalid_request (README): with Basic, the form's
        # generated pair goes; without it, a generated pair becomes the real one.
        if "clientBasic" in data:
            case.body.pop("client_id", None)
            case.body.pop("client_secret", None)
        elif not data and ("client_id" in case.body or "client_secret" in case.body):
            case.body["client_id"], case.body["client_secret"] = CREDS.get("client")


# Values the document cannot express (real secrets, one-time tokens, ids of things that
# exist) or leaves unconstrained (grant_type, userid, appid and the key name are free
# strings there; the server wants a supported grant and 1-256 printable characters):
# about half the positive cases of these operations get them, with the rest of the
# generated body kept, so their success answers are checked too.
def real_signin(body):
    a = CREDS.file["admin"]
    return {k: a[k] for k in ("userName", "accessKeyId", "secretAccessKey")}


def real_user_signin(body):
    # By user name or by e-mail, decided by the generated body (a replay sends the same).
    return CREDS.user_signin(by_email=zlib.crc32(json.dumps(body, default=str).encode()) % 3 == 0)


def real_login_token(body):
    return {"token": CREDS.temp_token("contract")}


def client_credentials_grant(body):
    body = {k: v for k, v in body.items() if k != "code"}
    return {**body, "grant_type": "client_credentials"}


def widget_user(body):
    # `origins` must be allowed ones; left out, the token gets all of ALLOWED_ORIGINS.
    body = {k: v for k, v in body.items() if k != "origins"}
    return {**body, "userid": "contract", "appid": "contract"}


# The destructive calls get something of their own to destroy, never the phase's
# credentials: a new key, a new widget session.
THROWAWAY = "contract-throwaway"


def throwaway_key(body):
    resp = CREDS.admin_call("POST", "/admin/keys", json={"name": THROWAWAY})
    return {"id": expect(resp, "POST /admin/keys").json()["id"]}


def throwaway_session(body):
    CREDS.open_widget_session(THROWAWAY)
    listing = expect(CREDS.admin_call("GET", "/admin/sessions"), "GET /admin/sessions").json()
    s = next(s for s in listing["sessions"] if s["user"] == THROWAWAY and s["kind"] == "widget")
    return {"kind": s["kind"], "id_hash": s["id_hash"]}


def real_handoff(body):
    # A live hand-off code of the demo admin (POST /admin/console/handoff).
    resp = CREDS.admin_call("POST", "/admin/console/handoff")
    return {"code": expect(resp, "POST /admin/console/handoff").json()["code"]}


# The admin console's pages and assets are text: validated as strings.
@schemathesis.deserializer("text/html", "text/css", "text/javascript")
def console_text(ctx, response):
    return response.content.decode(response.encoding or "utf-8")


REAL_BODIES = {
    "adminSignin": real_signin,
    "userSignin": real_user_signin,
    "widgetLoginToken": real_login_token,
    "token": client_credentials_grant,
    "widgetGenerateToken": lambda body: {**body, "userid": "contract"},
    "widgetSecurityToken": widget_user,
    "adminCreateKey": lambda body: {**body, "name": "contract"},
    "adminDisableKey": throwaway_key,
    "adminDeleteKey": throwaway_key,
    "adminRevokeSession": throwaway_session,
    "adminConsoleRedeem": real_handoff,
    # Password login stays on: the phase signs people in with passwords, and a provider
    # the run added could otherwise let it be turned off.
    "adminSetLoginSettings": lambda body: {"password_login": True},
    # A provider test fetches the issuer's discovery document: generated issuers would
    # send the run to the network (none here) and wait out each timeout. An unknown
    # id checks the route and its answer without leaving the machine.
    "adminTestIdp": lambda body: {"id": "contract-none"},
}


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers if case.headers is not None else {}
    headers.setdefault("Origin", origin_for(case.operation.path))
    case.headers = headers
    real = REAL_BODIES.get(op_of(case))
    if not real or not isinstance(case.body, dict):
        return
    # Decided by the generated body itself, so a replay of a case sends the same.
    digest = zlib.crc32(json.dumps(case.body, sort_keys=True, default=str).encode())
    if digest % 2 == 0 and is_positive(case):
        case.body = real(case.body)
    elif digest % 4 == 1 and op_of(case) == "adminSignin" and "accessKeyId" in case.body:
        # A real user name with generated keys, valid or not: past the name check, the
        # keys themselves reach the STS call.
        case.body = {**case.body, "userName": CREDS.file["admin"]["userName"]}
    elif digest % 4 == 1 and op_of(case) == "userSignin" and "password" in case.body:
        # A real identifier with a generated password: a real user's wrong password
        # (counted by the lockout, whose threshold contract.sh raises).
        case.body = {**case.body, "identifier": CREDS.file["users"]["creator"]["username"]}


@schemathesis.hook
def after_call(context, case, response):
    ended = ENDS.get(op_of(case))
    if ended and 200 <= response.status_code < 300:
        CREDS.drop(*ended)
