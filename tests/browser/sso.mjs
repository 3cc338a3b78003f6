// Drives Debian's Chromium (headless, through playwright-core) through single sign-on at
// the test identity provider (local/idp/provider.mjs, npm oidc-provider): the demo
// page's "Sign in with the test IdP", the provider's login form, back to the page with
// #sso_code=, its redemption, then who am I. Prints one JSON line.
//
// usage: node tests/browser/sso.mjs <page URL> <username> <password> [<username> <password> ...]
//   each account in a fresh profile: {version, signins: [{login_url, wrong_password,
//   url_after, hash_after, sso, me, console}]}
import { launch, result } from "./chromium.mjs";

const [pageUrl, ...pairs] = process.argv.slice(2);
const browser = await launch();

async function signIn(username, password) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(pageUrl);
  await page.waitForSelector("#run-sso", { state: "visible" });
  const out = {};
  // The page leaves for the provider: its login form is the provider's own page.
  await Promise.all([page.waitForSelector("#username", { timeout: 15000 }), page.click("#run-sso")]);
  out.login_url = page.url();
  // A wrong password stays on the provider's form.
  await page.fill("#username", username);
  await page.fill("#password", password + "-wrong");
  await Promise.all([page.waitForSelector("#error"), page.click("#sign-in")]);
  out.wrong_password = await page.textContent("#error");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(pageUrl), { timeout: 15000 }),
    page.click("#sign-in"),
  ]);
  await page.waitForSelector('#result-sso[data-done="1"]', { timeout: 15000 });
  out.sso = JSON.parse(await page.textContent("#result-sso"));
  out.url_after = page.url();
  out.hash_after = await page.evaluate(() => location.hash);
  out.me = await result(page, "me", () => page.click("#run-me"));
  out.console = errors;
  await context.close();
  return out;
}

const signins = [];
for (let i = 0; i < pairs.length; i += 2) signins.push(await signIn(pairs[i], pairs[i + 1]));
console.log(JSON.stringify({ version: browser.version(), signins }));
await browser.close();
