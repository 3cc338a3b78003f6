// Drives Debian's Chromium (headless, through playwright-core) through the demo
// embedding page: each of the three widget modes, from an allowed page origin and
// from a disallowed one. Prints one JSON line: {version, allowed, disallowed}.
//
// usage: node tests/browser/widget.mjs <allowed page URL> <disallowed page URL>
import { createRequire } from "node:module";

const require = createRequire(new URL("../../local/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [allowedUrl, disallowedUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

async function runPage(url) {
  const context = await browser.newContext(); // fresh profile: no cookies
  const page = await context.newPage();
  await page.goto(url);
  const results = {};
  for (const mode of ["cookie", "apikey", "token"]) {
    await page.click(`#run-${mode}`);
    await page.waitForSelector(`#result-${mode}[data-done="1"]`, { timeout: 15000 });
    results[mode] = JSON.parse(await page.textContent(`#result-${mode}`));
  }
  await context.close();
  return results;
}

try {
  const allowed = await runPage(allowedUrl);
  const disallowed = await runPage(disallowedUrl);
  console.log(JSON.stringify({ version: browser.version(), allowed, disallowed }));
} finally {
  await browser.close();
}
