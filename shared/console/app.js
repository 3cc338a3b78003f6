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
  // Once signed out, later answers (a list reloading) must not replace the reason.
  if (!state.csrf || quiet.includes(path)) {
    // nothing to end
  } else if (resp.status === 401) {
    signedOut("Your session has ended: sign in again.");
  } else if (resp.status === 403) {
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

// The views shown once signed in, and what each loads.
const VIEWS = {
  keys: () => loadKeys(),
  clients: () => loadClients(),
  sessions: () => loadSessions(),
  signing: () => {},
  users: () => loadUsers(),
};

function signedIn(answer) {
  state.csrf = answer.csrfToken;
  state.user = answer.userName;
  $("who-name").textContent = "Signed in as " + answer.userName;
  $("who").hidden = false;
  $("signin").hidden = true;
  for (const [id, load] of Object.entries(VIEWS)) {
    $(id).hidden = false;
    load();
  }
}

function signedOut(message) {
  state.csrf = null;
  state.user = null;
  $("who").hidden = true;
  $("signin").hidden = false;
  for (const id of Object.keys(VIEWS)) $(id).hidden = true;
  for (const rows of ["key-rows", "client-rows", "session-rows", "user-rows"]) $(rows).replaceChildren();
  for (const shown of ["key-created", "client-created", "invite-created"]) $(shown).hidden = true;
  $("invite-value").textContent = "";
  if (message) status(message, true);
}

// A button whose accessible name says what it acts on.
function button(label, name, onClick) {
  const b = el("button", label, { type: "button", class: "secondary", "aria-label": name });
  b.addEventListener("click", onClick);
  return b;
}

// A table body's rows: one cell per value, then a cell of action buttons.
function fillRows(tbody, items, cells, actions) {
  const rows = items.map((item) => {
    const tr = el("tr");
    for (const v of cells(item)) tr.append(el("td", v === null || v === undefined ? "-" : v));
    const td = el("td");
    td.append(...actions(item));
    tr.append(td);
    return tr;
  });
  $(tbody).replaceChildren(...rows);
}

// A write, its outcome said, then `reload`.
async function act(path, body, done, reload) {
  const r = await api("POST", path, body);
  if (!state.csrf) return r; // the call ended the session: its reason is shown
  const message = r.data && r.data.message ? r.data.message : String(r.status);
  status(r.status === 200 ? done : "Refused: " + message, r.status !== 200);
  if (reload) reload();
  return r;
}

const when = (secs) => (secs ? new Date(secs * 1000).toISOString() : "never");

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

// A list's GET, answered only if no later load of the same list started meanwhile:
// answers can arrive out of order, and an older one must not overdraw a newer one
// (null when superseded).
const loads = {};
async function newestLoad(list, path) {
  const n = (loads[list] = (loads[list] || 0) + 1);
  const r = await api("GET", path);
  return loads[list] === n ? r : null;
}

async function loadKeys() {
  const r = await newestLoad("key-rows", "/admin/keys");
  if (!r || r.status !== 200) return;
  fillRows(
    "key-rows",
    r.data.keys,
    (k) => [k.name, k.id, k.last4, k.scopes.join(" "), when(k.last_used), k.disabled ? "disabled" : "active"],
    (k) => [
      ...(k.disabled ? [] : [button("Disable", "Disable key " + k.name,
        () => act("/admin/keys/disable", { id: k.id }, "Key " + k.id + " disabled.", loadKeys))]),
      button("Delete", "Delete key " + k.name,
        () => act("/admin/keys/delete", { id: k.id }, "Key " + k.id + " deleted.", loadKeys)),
    ],
  );
}

async function loadClients() {
  const r = await newestLoad("client-rows", "/admin/clients");
  if (!r || r.status !== 200) return;
  fillRows(
    "client-rows",
    r.data.clients,
    (c) => [c.client_id, c.kind, c.weak ? "weak legacy secret (disabled)" : "no"],
    (c) => (c.kind === "disabled" ? [] : [button("Disable", "Disable client " + c.client_id,
      () => act("/admin/clients/disable", { client_id: Number(c.client_id) }, "Client " + c.client_id + " disabled.", loadClients))]),
  );
}

async function addClient() {
  const r = await act("/admin/clients", undefined, "Client added.", loadClients);
  if (r.status !== 200) return;
  $("client-value").textContent = "client_id " + r.data.client_id + ", secret " + r.data.client_secret;
  $("client-created").hidden = false;
}

async function loadSessions() {
  const r = await newestLoad("session-rows", "/admin/sessions");
  if (!r || r.status !== 200) return;
  fillRows(
    "session-rows",
    r.data.sessions,
    (x) => [x.kind, x.user, x.origin, when(x.expires_at)],
    (x) => [button("Revoke", "Revoke the " + x.kind + " session of " + x.user,
      () => act("/admin/sessions/revoke", { kind: x.kind, id_hash: x.id_hash }, "Session revoked.", loadSessions))],
  );
}

async function revokeUser(event) {
  event.preventDefault();
  const userid = event.target.userid.value;
  const r = await act("/admin/sessions/revoke-user", { userid }, "", loadSessions);
  if (r.status === 200) status("Revoked " + r.data.revoked + " session(s) of " + userid + ".");
}

async function rotate(force) {
  const r = await act("/admin/signing-keys/rotate", { force }, "Rotated.", null);
  $("rotation-result").textContent = r.status === 200
    ? `outcome ${r.data.outcome}; current ${r.data.current_kid}; next ${r.data.next_kid}; ` +
      `dropped ${r.data.dropped_kids.join(", ") || "none"}; warm instances trust dropped keys for at most ${r.data.trusted_for_at_most_s} s`
    : "";
}

async function forceRotate(event) {
  event.preventDefault();
  if (event.target.confirm.value !== "ROTATE") {
    status("Type ROTATE to confirm a forced rotation.", true);
    return;
  }
  event.target.reset();
  await rotate(true);
}

async function loadUsers(cursor) {
  const query = new URLSearchParams();
  const q = $("user-q").value.trim();
  const kind = $("user-kind").value;
  if (q) query.set("q", q);
  if (kind) query.set("kind", kind);
  if (cursor) query.set("cursor", cursor);
  const r = await newestLoad("user-rows", "/admin/users?" + query.toString());
  if (!r) return;
  if (r.status !== 200) {
    if (r.status === 400) status("Search refused: " + r.data.message, true);
    return;
  }
  const reload = () => loadUsers();
  const userAct = (path, u, done) => act(path, { user_id: u.id }, done, reload);
  fillRows(
    "user-rows",
    r.data.users,
    (u) => [u.username, u.email, u.kind, u.status],
    (u) => {
      const who = named(u);
      return [
        u.status === "disabled"
          ? button("Enable", "Enable " + who, () => userAct("/admin/users/enable", u, who + " enabled."))
          : button("Disable", "Disable " + who, () => userAct("/admin/users/disable", u, who + " disabled.")),
        button("Reset", "Reset the credentials of " + who + " and show a new link", () => resetUser(u, "link")),
        ...(u.email ? [button("Reset by e-mail", "Reset the credentials of " + who + " and e-mail a new link", () => resetUser(u, "email"))] : []),
        button("Delete", "Delete " + who, () => userAct("/admin/users/delete", u, who + " deleted.")),
      ];
    },
  );
  const more = $("user-more");
  more.hidden = !r.data.cursor;
  more.onclick = r.data.cursor ? () => loadUsers(r.data.cursor) : null;
}

// An invite's answer: the link, shown once, or (delivery "email") where it was sent,
// with no link at all.
function showInvite(answer) {
  if (answer.delivery === "email") {
    $("invite-said").textContent = "Invite sent to " + answer.invite_sent_to +
      ": the link in the message works once, for 72 hours.";
    $("invite-value").textContent = "";
    $("invite-value").hidden = true;
  } else {
    $("invite-said").textContent = "The invite link, shown once: hand it to the person (it works once, for 72 hours).";
    $("invite-value").textContent = answer.invite_link;
    $("invite-value").hidden = false;
  }
  $("invite-created").hidden = false;
}

// How a user is named on the page: the e-mail, else (a user a provider created without
// one) the user name.
const named = (u) => u.email || u.username;

async function resetUser(u, delivery) {
  const r = await act("/admin/users/reset-credentials", { user_id: u.id, delivery },
    "Credentials of " + named(u) + " reset.", () => loadUsers());
  if (r.status === 200) showInvite(r.data);
}

async function createUser(event) {
  event.preventDefault();
  const form = event.target;
  const body = { email: form.email.value, kind: form.kind.value, delivery: form.delivery.value };
  if (form.username.value) body.username = form.username.value;
  const r = await act("/admin/users", body, "User " + body.email + " created.", () => loadUsers());
  if (r.status !== 200) return;
  form.reset();
  showInvite(r.data);
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
  $("client-add").addEventListener("click", addClient);
  $("revoke-user-form").addEventListener("submit", revokeUser);
  $("rotate").addEventListener("click", () => rotate(false));
  $("force-form").addEventListener("submit", forceRotate);
  $("user-search").addEventListener("submit", (e) => { e.preventDefault(); loadUsers(); });
  $("user-create").addEventListener("submit", createUser);
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
