// The admin console (README "Admin console"): plain ES module, no third-party code,
// calling only the admin API on this origin. The DOM is written through textContent and
// createElement only (the page's CSP requires Trusted Types, so an HTML string write
// throws). The CSRF token lives in this module's memory, never in storage; after a
// reload, POST /admin/console/resume rotates it and hands it back.

import { newNonce, presignGetCallerIdentity } from "/admin/console/sigv4.js";

const state = { csrf: null, user: null, config: null };
const $ = (id) => document.getElementById(id);

function status(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
  const resp = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await resp.json(); } catch (_) { data = null; }
  const quiet = ["/admin/signin", "/admin/console/resume", "/admin/console/redeem"];
  if (resp.status === 401 && !quiet.includes(path)) {
    signedOut("Your session has ended: sign in again.");
  } else if (resp.status === 403 && !quiet.includes(path)) {
    // The page's own token and origin are always right: a 403 on a signed-in call is
    // the membership re-check, which ended the session.
    signedOut("You were removed from the admin group.");
  }
  return { status: resp.status, data };
}

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function signedIn(answer) {
  state.csrf = answer.csrfToken;
  state.user = answer.userName;
  $("who-name").textContent = "Signed in as " + answer.userName;
  $("who").hidden = false;
  $("signin").hidden = true;
  $("keys").hidden = false;
  loadKeys();
}

function signedOut(message) {
  state.csrf = null;
  state.user = null;
  $("who").hidden = true;
  $("signin").hidden = false;
  $("keys").hidden = true;
  $("key-rows").replaceChildren();
  if (message) status(message, true);
}

async function signin(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    userName: form.userName.value,
    accessKeyId: form.accessKeyId.value,
    secretAccessKey: form.secretAccessKey.value,
  };
  if (form.sessionToken.value) body.sessionToken = form.sessionToken.value;
  // The secret is posted once: the fields are cleared whatever the answer.
  form.secretAccessKey.value = "";
  form.sessionToken.value = "";
  signedInOrSaid(form, await api("POST", "/admin/signin", body));
}

// Mode b: the request is signed here (WebCrypto) and only the signature is posted.
async function presignedSignin(event) {
  event.preventDefault();
  const form = event.target;
  const c = state.config;
  if (!c) {
    status("The console's configuration did not load: reload the page.", true);
    return;
  }
  const presigned = await presignGetCallerIdentity({
    accessKeyId: form.accessKeyId.value.trim(),
    secretAccessKey: form.secretAccessKey.value,
    sessionToken: form.sessionToken.value || undefined,
    region: c.region,
    stsUrl: c.sts_endpoint,
    serverId: c.server_id,
    nonce: newNonce(),
    date: new Date(),
  });
  form.secretAccessKey.value = "";
  form.sessionToken.value = "";
  signedInOrSaid(form, await api("POST", "/admin/signin", { presigned }));
}

function signedInOrSaid(form, r) {
  if (r.status === 200) {
    form.reset();
    status("");
    signedIn(r.data);
  } else if (r.status === 403) {
    // Valid keys of a user outside the group (or not an IAM user of this account).
    status("That IAM user is not in the admin group.", true);
  } else if (r.status === 429) {
    status("Too many failed sign-ins: try again later.", true);
  } else {
    status("Sign-in refused: check the user name and the access key.", true);
  }
}

async function signout() {
  await api("POST", "/admin/signout");
  signedOut("");
  status("Signed out.");
}

async function loadKeys() {
  const r = await api("GET", "/admin/keys");
  if (r.status !== 200) return;
  const rows = r.data.keys.map((k) => {
    const tr = el("tr");
    const used = k.last_used ? new Date(k.last_used * 1000).toISOString() : "never";
    for (const v of [k.name, k.id, k.last4, k.scopes.join(" "), used, k.disabled ? "disabled" : "active"]) {
      tr.append(el("td", v));
    }
    const actions = el("td");
    if (!k.disabled) {
      const b = el("button", "Disable", { type: "button", class: "secondary", "aria-label": "Disable key " + k.name });
      b.addEventListener("click", () => keyAction("/admin/keys/disable", k.id, "disabled"));
      actions.append(b);
    }
    const d = el("button", "Delete", { type: "button", class: "secondary", "aria-label": "Delete key " + k.name });
    d.addEventListener("click", () => keyAction("/admin/keys/delete", k.id, "deleted"));
    actions.append(d);
    tr.append(actions);
    return tr;
  });
  $("key-rows").replaceChildren(...rows);
}

async function keyAction(path, id, done) {
  const r = await api("POST", path, { id });
  status(r.status === 200 ? "Key " + id + " " + done + "." : "Refused (" + r.status + ").", r.status !== 200);
  loadKeys();
}

async function createKey(event) {
  event.preventDefault();
  const form = event.target;
  const body = { name: form.name.value };
  const scopes = form.scopes.value.trim();
  if (scopes) body.scopes = scopes.split(/\s+/);
  const r = await api("POST", "/admin/keys", body);
  if (r.status !== 200) {
    status("The key was not created: " + ((r.data && r.data.message) || r.status), true);
    return;
  }
  form.reset();
  $("key-value").textContent = r.data.key;
  $("key-created").hidden = false;
  status("Key " + r.data.id + " created.");
  loadKeys();
}

async function copyKey() {
  await navigator.clipboard.writeText($("key-value").textContent);
  status("Copied.");
}

async function start() {
  $("signin-form").addEventListener("submit", signin);
  $("presign-form").addEventListener("submit", presignedSignin);
  $("signout").addEventListener("click", signout);
  $("key-form").addEventListener("submit", createKey);
  $("key-copy").addEventListener("click", copyKey);
  const config = await api("GET", "/admin/console/config");
  if (config.status === 200) {
    state.config = config.data;
    $("group").textContent = config.data.group_name;
  }
  // A hand-off from the CLI: the one-time code travels in the fragment, which is
  // dropped from the address bar and the history before the code is posted.
  const handoff = new URLSearchParams(location.hash.slice(1)).get("handoff");
  if (handoff) {
    history.replaceState(null, "", location.pathname);
    const r = await api("POST", "/admin/console/redeem", { code: handoff });
    if (r.status === 200) {
      signedIn(r.data);
      return;
    }
    status("The hand-off link was invalid, expired or already used: run gatehouse-admin console again.", true);
  }
  // A reload: the admin cookie may still hold a session; resume rotates its CSRF token.
  const resumed = await api("POST", "/admin/console/resume");
  if (resumed.status === 200) signedIn(resumed.data);
}

start();
