// The browser drivers' one Chromium: Debian's (or $CHROMIUM), headless, through
// playwright-core from local/node_modules, with nothing running in the background.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../local/package.json", import.meta.url));
const { chromium } = require("playwright-core");

export function launch() {
  return chromium.launch({
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
}

// Clicks (or submits) through `act`, then waits for `#result-<id>` to be done and
// returns its JSON. The mark is cleared first, so an action can run twice.
export async function result(page, id, act) {
  await page.$eval(`#result-${id}`, (el) => delete el.dataset.done);
  await act();
  await page.waitForSelector(`#result-${id}[data-done="1"]`, { timeout: 15000 });
  return JSON.parse(await page.textContent(`#result-${id}`));
}
