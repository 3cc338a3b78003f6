"""Independent checks with standard Python libraries (not Gatehouse code).

  verify <jwks_url> <issuer> <token>      PyJWT verifies an access token from the JWKS alone
  oauth <token_url> <client_id> <secret>  Authlib completes client_credentials with
                                          client_secret_basic and client_secret_post
Prints one JSON line with the results; exits non-zero on failure.
"""
import json
import sys

import jwt
from authlib.integrations.requests_client import OAuth2Session


def verify(jwks_url, issuer, token):
    client = jwt.PyJWKClient(jwks_url)
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256", "ES256"],
        audience="api",
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    return {"sub": claims["sub"], "scope": claims["scope"], "alg": jwt.get_unverified_header(token)["alg"]}


def oauth(token_url, client_id, secret):
    out = {}
    for method in ("client_secret_basic", "client_secret_post"):
        session = OAuth2Session(client_id, secret, token_endpoint_auth_method=method)
        token = session.fetch_token(token_url, grant_type="client_credentials")
        out[method] = {"token_type": token["token_type"], "scope": token.get("scope"), "expires_in": token["expires_in"]}
    return out


def main():
    cmd, *args = sys.argv[1:]
    result = verify(*args) if cmd == "verify" else oauth(*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
