// Drives Debian's Chromium (headless, through playwright-core) through the demo
// embedding page: each of the three widget modes, from an allowed page origin and
// from a disallowed one. Prints one JSON line: {version, allowed, disallowed}.
//
// usage: node tests/browser/widget.mjs <allowed page URL> <disallowed page URL>
import { launch, result } from "./chromium.mjs";

const [allowedUrl, disallowedUrl] = process.argv.slice(2);
const browser = await launch();

async function runPage(url) {
  const context = await browser.newContext(); // fresh profile: no cookies
  const page = await context.newPage();
  await page.goto(url);
  const results = {};
  for (const mode of ["cookie", "apikey", "token"]) {
    results[mode] = await result(page, mode, () => page.click(`#run-${mode}`));
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
