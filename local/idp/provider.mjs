// The test identity provider: panva's certified `oidc-provider` (npm, pinned in
// local/package.json to the 8.x line, which runs on Node 20), on loopback, with a dev
// login page. Development and tests only (README "Single sign-on", "Trying it locally").
//
// usage: IDP_CONFIG='<json>' node local/idp/provider.mjs
//   {"host": "127.0.0.1", "port": 0 (a free one),
//    "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//    "accounts": [{"username", "password", "sub", "email", "email_verified", "name"}]}
// Prints "PORT <n>" on stdout once it listens; its issuer is http://<host>:<n>.
//
// What it serves is oidc-provider's own: discovery, JWKS (one RSA key made at start),
// the authorization endpoint (code flow, PKCE S256 required, RFC 9207 `iss` in the
// redirect), the token endpoint (client_secret_basic or _post) and userinfo. Only the
// interaction pages are this file's: a login form checked against `accounts`, and
// consent given at once (the client is first party, as a company's own provider
// treats its apps). The id_token carries the scope claims (`email`, `email_verified`,
// `name`, `preferred_username`), which is where Gatehouse reads them.
import { generateKeyPairSync, randomBytes, timingSafeEqual, createHash } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.IDP_CONFIG || "{}");
const host = config.host || "127.0.0.1";
const accounts = new Map((config.accounts || []).map((a) => [a.sub, a]));

// One RS256 signing key for this run (nothing is kept on disk).
function signingKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: "dev-" + randomBytes(4).toString("hex"), use: "sig", alg: "RS256" };
}

// Equal strings in constant time (hashes first, so lengths do not leak either).
function same(a, b) {
  const h = (s) => createHash("sha256").update(String(s)).digest();
  return timingSafeEqual(h(a), h(b));
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, client, error) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Test IdP</h1>
<p>Sign in to continue to <strong>${escape(client)}</strong> (development provider).</p>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Username <input id="username" name="username" autocomplete="username" required autofocus></label>
  <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
  <button id="sign-in" type="submit">Sign in</button>
</form>
</main></body></html>`;
}

function send(res, status, html) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'", // no form-action: Chromium applies it to the redirects after the form, out to the client
  });
  res.end(html);
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

// The account whose username and password match, or null.
function check(username, password) {
  for (const a of accounts.values()) {
    if (same(a.username, username) && same(a.password, password)) return a;
  }
  return null;
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === "login") {
    if (req.method === "POST") {
      const form = await readForm(req);
      const account = check(form.get("username") || "", form.get("password") || "");
      if (!account) return send(res, 401, loginPage(uid, params.client_id, "Wrong username or password."));
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    }
    return send(res, 200, loginPage(uid, params.client_id));
  }
  // consent: granted at once, for what was asked.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function build(issuer) {
  return new Provider(issuer, {
    clients: (config.clients || []).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
    conformIdTokenClaims: false,
    pkce: { methods: ["S256"], required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    ttl: { AccessToken: 300, AuthorizationCode: 120, IdToken: 300, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(ctx, sub) {
      const a = accounts.get(sub);
      if (!a) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: a.email, email_verified: a.email_verified !== false, name: a.name, preferred_username: a.username };
        },
      };
    },
  });
}

let handle = null;
const server = http.createServer((req, res) => {
  if (!req.url.startsWith("/interaction/")) return handle(req, res);
  interaction(provider, req, res).catch((e) => send(res, 400, `<p>${escape(e.message)}</p>`));
});
let provider = null;
server.listen(config.port || 0, host, () => {
  const { port } = server.address();
  provider = build(`http://${host}:${port}`);
  handle = provider.callback();
  process.stdout.write(`PORT ${port}\n`);
});
