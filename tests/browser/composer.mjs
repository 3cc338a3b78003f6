// Drives Debian's Chromium (headless, through playwright-core) through the demo page's
// composer panel (section 4). Prints one JSON line.
//
// usage: node tests/browser/composer.mjs signin <allowed page URL> <disallowed page URL> <identifier> <password>
//   sign in, who am I, sign out, who am I, on the allowed page; sign in and who am I on
//   the disallowed one: {version, allowed, disallowed}
// usage: node tests/browser/composer.mjs password <page URL> <identifier> <password> <new password>
//   sign in, change the password with a wrong current one, then with the right one, who
//   am I, sign out, sign in with the old and with the new password:
//   {version, signin, wrong_current, change, me, signout, old_password, new_password}
// usage: node tests/browser/composer.mjs invite <page URL> <token> <identifier> <new password>
//   open <page URL>/#invite=<token>, accept with the new password, then sign in with it
//   and ask who am I: {version, url_after_load, hash_after_load, invite, signin, me, requests}
// usage: node tests/browser/composer.mjs signup <page URL> <email> <password>
//   sign up with the form: {version, signup, requests}
// usage: node tests/browser/composer.mjs verify <page URL> <token> <identifier> <password>
//   open <page URL>/#verify=<token> (the page verifies at once), then sign in and ask who
//   am I: {version, url_after_load, hash_after_load, verify, signin, me, requests}
// usage: node tests/browser/composer.mjs forgot <page URL> <email>
//   ask for a reset link with the forgot-password form: {version, forgot, requests}
// usage: node tests/browser/composer.mjs reset <page URL> <token> <identifier> <new password>
//   open <page URL>/#reset=<token>, set the new password, then sign in with it and ask
//   who am I: {version, url_after_load, hash_after_load, reset, signin, me, requests}
import { launch, result } from "./chromium.mjs";

const [scenario, ...args] = process.argv.slice(2);
const browser = await launch();

// A fresh profile (no cookies) on `url`; the console's errors are kept (a CORS refusal
// is reported there, and only there).
async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const requests = [];
  page.on("request", (r) => { if (!r.isNavigationRequest()) requests.push(r.method() + " " + r.url()); });
  await page.goto(url);
  return { context, page, errors, requests };
}

// Closes a page opened with `open`, adding its requests and console errors to `out`.
async function done(o, out) {
  out.requests = o.requests;
  out.console = o.errors;
  await o.context.close();
  return out;
}

async function signIn(page, identifier, password) {
  await page.fill("#signin-identifier", identifier);
  await page.fill("#signin-password", password);
  const r = await result(page, "signin", () => page.click("#run-signin"));
  r.password_field_after = await page.inputValue("#signin-password");
  return r;
}

const me = (page) => result(page, "me", () => page.click("#run-me"));

// The user cookies this context holds (names only).
async function userCookies(context) {
  const all = await context.cookies();
  return all.filter((c) => c.name === "__Host-gh_user").map((c) => c.name);
}

async function signinScenario(allowedUrl, disallowedUrl, identifier, password) {
  const a = await open(allowedUrl);
  const allowed = {};
  allowed.signin = await signIn(a.page, identifier, password);
  allowed.cookies_after_signin = await userCookies(a.context);
  allowed.me = await me(a.page);
  allowed.signout = await result(a.page, "signout", () => a.page.click("#run-signout"));
  allowed.me_after_signout = await me(a.page);
  allowed.console = a.errors;
  await a.context.close();

  const d = await open(disallowedUrl);
  const disallowed = {};
  disallowed.signin = await signIn(d.page, identifier, password);
  disallowed.cookies_after_signin = await userCookies(d.context);
  disallowed.me = await me(d.page);
  disallowed.console = d.errors;
  await d.context.close();
  return { allowed, disallowed };
}

async function changePassword(page, current, next) {
  await page.fill("#password-current", current);
  await page.fill("#password-new", next);
  const r = await result(page, "password", () => page.click("#run-password"));
  r.fields_after = [await page.inputValue("#password-current"), await page.inputValue("#password-new")];
  return r;
}

async function passwordScenario(pageUrl, identifier, password, newPassword) {
  const o = await open(pageUrl);
  const out = {};
  out.signin = await signIn(o.page, identifier, password);
  out.wrong_current = await changePassword(o.page, "not-the-current-passw0rd", newPassword);
  out.change = await changePassword(o.page, password, newPassword);
  out.me = await me(o.page);
  out.signout = await result(o.page, "signout", () => o.page.click("#run-signout"));
  out.old_password = await signIn(o.page, identifier, password);
  out.new_password = await signIn(o.page, identifier, newPassword);
  out.console = o.errors;
  await o.context.close();
  return out;
}

async function inviteScenario(pageUrl, token, identifier, password) {
  const o = await open(`${pageUrl}/#invite=${token}`);
  await o.page.waitForSelector("#invite-form", { state: "visible", timeout: 15000 });
  const out = {
    url_after_load: o.page.url(),
    hash_after_load: await o.page.evaluate(() => location.hash),
  };
  await o.page.fill("#invite-password", password);
  out.invite = await result(o.page, "invite", () => o.page.click("#run-invite"));
  out.invite.password_field_after = await o.page.inputValue("#invite-password");
  out.signin = await signIn(o.page, identifier, password);
  out.me = await me(o.page);
  return done(o, out);
}

async function signupScenario(pageUrl, email, password) {
  const o = await open(pageUrl);
  await o.page.fill("#signup-email", email);
  await o.page.fill("#signup-password", password);
  const out = { signup: await result(o.page, "signup", () => o.page.click("#run-signup")) };
  out.signup.password_field_after = await o.page.inputValue("#signup-password");
  return done(o, out);
}

async function verifyScenario(pageUrl, token, identifier, password) {
  const o = await open(`${pageUrl}/#verify=${token}`);
  await o.page.waitForSelector("#result-verify[data-done=\"1\"]", { timeout: 15000 });
  const out = {
    url_after_load: o.page.url(),
    hash_after_load: await o.page.evaluate(() => location.hash),
    verify: JSON.parse(await o.page.textContent("#result-verify")),
  };
  out.signin = await signIn(o.page, identifier, password);
  out.me = await me(o.page);
  return done(o, out);
}

async function forgotScenario(pageUrl, email) {
  const o = await open(pageUrl);
  await o.page.fill("#forgot-email", email);
  const out = { forgot: await result(o.page, "forgot", () => o.page.click("#run-forgot")) };
  return done(o, out);
}

async function resetScenario(pageUrl, token, identifier, password) {
  const o = await open(`${pageUrl}/#reset=${token}`);
  await o.page.waitForSelector("#reset-form", { state: "visible", timeout: 15000 });
  const out = {
    url_after_load: o.page.url(),
    hash_after_load: await o.page.evaluate(() => location.hash),
  };
  await o.page.fill("#reset-password", password);
  out.reset = await result(o.page, "reset", () => o.page.click("#run-reset"));
  out.reset.password_field_after = await o.page.inputValue("#reset-password");
  out.signin = await signIn(o.page, identifier, password);
  out.me = await me(o.page);
  return done(o, out);
}

try {
  const scenarios = {
    signin: signinScenario, password: passwordScenario, invite: inviteScenario,
    signup: signupScenario, verify: verifyScenario, forgot: forgotScenario,
    reset: resetScenario,
  };
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  const out = await run(...args);
  console.log(JSON.stringify({ version: browser.version(), ...out }));
} finally {
  await browser.close();
}
