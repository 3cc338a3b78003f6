// Drives Debian's Chromium (headless, through playwright-core) through the admin
// console on the API's own origin. Prints one JSON line:
// {version, signed, reload, key, signout, keys_form, outsider, violations}.
//
// usage: node tests/browser/console.mjs <API URL> <member.json> <outsider.json> <foreign page URL> <hand-off link> <e-mail>
//   (each file: {name, key_id, secret} of an IAM user; the foreign page is another
//   site's, here in ALLOWED_ORIGINS: the worst case; the e-mail is the address of the
//   user whose invite the console mails)
// usage: node tests/browser/console.mjs removed <API URL> <member.json> <dir>
//   signs in, writes <dir>/signed-in, waits for <dir>/removed (the test has taken the
//   user out of the admin group), then calls the API once: {version, status, signin_shown}
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch } from "./chromium.mjs";

const require = createRequire(new URL("../../local/package.json", import.meta.url));
const { AxeBuilder } = require("@axe-core/playwright");

const argv = process.argv.slice(2);
const removedMode = argv[0] === "removed";
const [api, memberFile, outsiderFile, foreignUrl, handoffLink, mailedTo] = removedMode ? argv.slice(1, 3) : argv;
const member = JSON.parse(readFileSync(memberFile, "utf8"));
const outsider = removedMode ? null : JSON.parse(readFileSync(outsiderFile, "utf8"));
const browser = await launch();
// CSP violation reports of every context but the probe's.
const violations = [];

// A fresh profile on the console (at `viewport`, if given), its CSP violation reports
// going to `reports`.
async function open(reports = violations, viewport, url = api + "/admin/console") {
  const context = await browser.newContext(viewport ? { viewport } : {});
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error("csp violation: " + e.violatedDirective);
    });
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.text().startsWith("csp violation")) reports.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("group").textContent !== "");
  return { context, page };
}

// Signs in by signing in the browser (mode b).
async function presignIn(page) {
  await fill(page, { "p-accessKeyId": member.key_id, "p-secretAccessKey": member.secret });
  await page.click("#presign-form button[type=submit]");
  await signedIn(page);
}

// The Trusted Types probe: an HTML string write throws and is reported exactly once.
async function probe() {
  const reports = [];
  const p = await open(reports);
  const thrown = await p.page.evaluate(() => {
    try {
      document.getElementById("status").innerHTML = "<b>injected</b>";
      return "no error";
    } catch (e) {
      return e.name;
    }
  });
  // The report is asynchronous: wait for the first (a busy machine may take a while),
  // then a little longer for a second one that must not come.
  for (let i = 0; i < 100 && reports.length === 0; i++) await p.page.waitForTimeout(100);
  await p.page.waitForTimeout(300);
  await p.context.close();
  return { thrown, reports: reports.length };
}

// Sign in and create a key with the keyboard only: Tab, typing, Enter.
async function keyboardOnly() {
  const k = await open();
  const page = k.page;
  const tabTo = async (id) => {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate((want) => document.activeElement && document.activeElement.id === want, id)) return true;
    }
    return false;
  };
  const reached = [];
  reached.push(await tabTo("p-accessKeyId"));
  await page.keyboard.type(member.key_id);
  reached.push(await tabTo("p-secretAccessKey"));
  await page.keyboard.type(member.secret);
  await page.keyboard.press("Enter");
  await signedIn(page);
  reached.push(await tabTo("key-name"));
  await page.keyboard.type("keyboard-key");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#key-created:not([hidden])");
  const created = await page.textContent("#key-value");
  await k.context.close();
  return { reached, created_key: created.startsWith("gk_") };
}

// At phone width, signed in: the page never scrolls sideways.
async function phone() {
  const p = await open(violations, { width: 375, height: 667 });
  await presignIn(p.page);
  await p.page.waitForFunction(() => document.getElementById("key-rows").children.length > 0);
  const widths = await p.page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  await p.context.close();
  return widths;
}

// The CLI's hand-off link opens a signed-in console, without the code in the address
// bar; the same link in another browser is refused.
async function handoff() {
  const first = await open(violations, undefined, handoffLink);
  await signedIn(first.page);
  const out = { who: await first.page.textContent("#who-name"), url: first.page.url() };
  await first.context.close();
  const again = await open(violations, undefined, handoffLink);
  await again.page.waitForFunction(() => document.getElementById("status").textContent !== "");
  out.again = { status: await statusText(again.page), signed_in: await again.page.isVisible("#who") };
  await again.context.close();
  return out;
}

// axe in a context of its own (axe injects its script, which the page's CSP would
// refuse): the serious and critical violations of the sign-in and the signed-in page.
async function accessibility() {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(api + "/admin/console");
  await page.waitForFunction(() => document.getElementById("group").textContent !== "");
  let rules = 0;
  const serious = async () => {
    const r = await new AxeBuilder({ page }).analyze();
    rules += r.passes.length;
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.length} node(s)`);
  };
  const signin = await serious();
  await presignIn(page);
  await page.waitForFunction(() => document.getElementById("key-rows").children.length > 0);
  const signedInPage = await serious();
  await context.close();
  return { signin, signed_in: signedInPage, rules_passed: rules };
}

// A page of another site, in the browser that holds an admin session: it can neither
// write through the admin API nor read an answer.
async function foreign() {
  const f = await open();
  await presignIn(f.page);
  const other = await f.context.newPage();
  await other.goto(foreignUrl);
  const result = await other.evaluate(async (apiUrl) => {
    const attempt = async (init) => {
      try {
        const r = await fetch(apiUrl + "/admin/keys", { credentials: "include", ...init });
        let text = null;
        try { text = await r.text(); } catch (_) {}
        return { status: r.status, read: text };
      } catch (e) {
        return { status: 0, error: String(e) };
      }
    };
    return {
      read: await attempt({}),
      write: await attempt({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "foreign" }) }),
      simple_write: await attempt({ method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: "foreign" }) }),
    };
  }, api);
  await f.context.close();
  return result;
}

const signedIn = (page) => page.waitForSelector("#who:not([hidden])", { timeout: 15000 });
const statusText = (page) => page.textContent("#status");

async function fill(page, fields) {
  for (const [id, value] of Object.entries(fields)) await page.fill("#" + id, value);
}

// Waits until #status says something new after `act`.
async function said(page, act) {
  await page.$eval("#status", (e) => { e.textContent = ""; });
  await act();
  await page.waitForFunction(() => document.getElementById("status").textContent !== "");
  return statusText(page);
}

// Every view's main action once.
async function eachView(page) {
  const v = {};
  v.client = await said(page, () => page.click("#client-add"));
  v.client_secret_shown = await page.isVisible("#client-created");
  await page.waitForFunction(() => document.getElementById("session-rows").textContent.includes("admin"));
  await page.fill("#revoke-userid", "nobody");
  v.revoke_user = await said(page, () => page.click("#revoke-user-form button[type=submit]"));
  await page.fill("#force-confirm", "ROTATE");
  v.force = await said(page, () => page.click("#force-form button[type=submit]"));
  v.rotation = await page.textContent("#rotation-result");
  await page.fill("#new-email", "console-person@example.com");
  await page.fill("#new-username", "consoleperson");
  v.create_user = await said(page, () => page.click("#user-create button[type=submit]"));
  v.invite = await page.textContent("#invite-value");
  // The same view, the invite e-mailed: where it went, and no link anywhere on the page.
  await page.fill("#new-email", mailedTo);
  await page.fill("#new-username", "consolemailed");
  await page.selectOption("#new-delivery", "email");
  v.create_user_email = await said(page, () => page.click("#user-create button[type=submit]"));
  v.invite_email = await page.textContent("#invite-created");
  v.invite_email_link_shown = await page.evaluate(() => document.body.textContent.includes("#invite="));
  v.invite_email_code_shown = await page.isVisible("#invite-value");
  await page.fill("#user-q", "consoleperson");
  await page.click("#user-search button[type=submit]");
  // The search's answer: one row (a reload of the whole list may still be drawing).
  const only = () => {
    const rows = document.getElementById("user-rows").children;
    return rows.length === 1 && rows[0].textContent.includes("consoleperson");
  };
  await page.waitForFunction(only);
  v.disable_user = await said(page, () => page.click("#user-rows button[aria-label='Disable console-person@example.com']"));
  await page.waitForFunction(() => document.getElementById("user-rows").textContent.includes("disabled"));
  v.user_row = await page.textContent("#user-rows");
  return v;
}

// Removed from the admin group while signed in: the next call says so.
async function removed(dir) {
  const r = await open();
  await presignIn(r.page);
  writeFileSync(`${dir}/signed-in`, "1");
  for (let i = 0; i < 300 && !existsSync(`${dir}/removed`); i++) await r.page.waitForTimeout(100);
  // A view still loading may already have met the re-check; else one call does.
  if (await r.page.isVisible("#client-add")) await r.page.click("#client-add");
  await r.page.waitForSelector("#signin:not([hidden])", { timeout: 15000 });
  const out = { status: await statusText(r.page), signin_shown: await r.page.isVisible("#signin") };
  await r.context.close();
  return out;
}

try {
  if (removedMode) {
    const out = await removed(argv[3]);
    console.log(JSON.stringify({ version: browser.version(), ...out }));
    process.exit(0);
  }
  const out = {};
  // First: the code lives 60 s from the CLI's run.
  out.handoff = await handoff();
  // Signed in the browser (mode b): the secret never leaves the page.
  const a = await open();
  const posted = [];
  a.page.on("request", (r) => { if (r.method() === "POST") posted.push(r.postData() || ""); });
  await fill(a.page, { "p-accessKeyId": member.key_id, "p-secretAccessKey": member.secret });
  await a.page.click("#presign-form button[type=submit]");
  await signedIn(a.page);
  out.signed = {
    who: await a.page.textContent("#who-name"),
    secret_posted: posted.some((b) => b.includes(member.secret)),
    secret_field: await a.page.inputValue("#p-secretAccessKey"),
  };
  // A reload keeps the session usable (resume).
  await a.page.reload();
  await signedIn(a.page);
  out.reload = { who: await a.page.textContent("#who-name") };
  // A key's creation: its value shown once, the list with the last 4 only.
  await fill(a.page, { "key-name": "console-key" });
  await a.page.click("#key-form button[type=submit]");
  await a.page.waitForSelector("#key-created:not([hidden])");
  const value = await a.page.textContent("#key-value");
  await a.page.waitForFunction(() => document.getElementById("key-rows").textContent.includes("console-key"));
  const rows = await a.page.textContent("#key-rows");
  out.key = { value, rows_hold_value: rows.includes(value), rows_hold_last4: rows.includes(value.slice(-4)) };
  // The key's life goes on: it works at the authorizer, is disabled here, and is refused.
  const whoami = async () => (await fetch(api + "/whoami", { headers: { "x-api-key": value } })).status;
  out.key.whoami_before = await whoami();
  out.key.disable = await said(a.page, () => a.page.click("#key-rows button[aria-label='Disable key console-key']"));
  out.key.whoami_after = await whoami();
  out.views = await eachView(a.page);
  await a.page.click("#signout");
  await a.page.waitForSelector("#signin:not([hidden])");
  out.signout = { status: await statusText(a.page) };
  await a.context.close();

  // The user name and access key (mode a): fields cleared after the post.
  const b = await open();
  await fill(b.page, { userName: member.name, accessKeyId: member.key_id, secretAccessKey: member.secret });
  await b.page.click("#signin-form button[type=submit]");
  await signedIn(b.page);
  out.keys_form = { who: await b.page.textContent("#who-name"), secret_field: await b.page.inputValue("#secretAccessKey") };
  await b.context.close();

  // Not in the admin group.
  const c = await open();
  await fill(c.page, { userName: outsider.name, accessKeyId: outsider.key_id, secretAccessKey: outsider.secret });
  await c.page.click("#signin-form button[type=submit]");
  await c.page.waitForFunction(() => document.getElementById("status").textContent !== "");
  out.outsider = { status: await statusText(c.page), signed_in: await c.page.isVisible("#who") };
  await c.context.close();

  out.probe = await probe();
  out.keyboard = await keyboardOnly();
  out.phone = await phone();
  out.foreign = await foreign();
  out.axe = await accessibility();
  out.violations = violations;
  console.log(JSON.stringify({ version: browser.version(), ...out }));
} finally {
  await browser.close();
}
