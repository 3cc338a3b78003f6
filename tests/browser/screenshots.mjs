// Takes the README's two screenshots of the admin console (make screenshots): the
// sign-in, and the signed-in views. Prints {version, files: [{path, bytes}]}.
//
// usage: node tests/browser/screenshots.mjs <API URL> <member.json> <output dir>
import { readFileSync, statSync } from "node:fs";
import { launch } from "./chromium.mjs";

const [api, memberFile, dir] = process.argv.slice(2);
const member = JSON.parse(readFileSync(memberFile, "utf8"));
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  await page.goto(api + "/admin/console");
  await page.waitForFunction(() => document.getElementById("group").textContent !== "");
  const files = [];
  const shot = async (name) => {
    const path = `${dir}/${name}`;
    await page.screenshot({ path });
    files.push({ path, bytes: statSync(path).size });
  };
  await shot("console-signin.png");
  await page.fill("#p-accessKeyId", member.key_id);
  await page.fill("#p-secretAccessKey", member.secret);
  await page.click("#presign-form button[type=submit]");
  await page.waitForSelector("#who:not([hidden])");
  await page.fill("#key-name", "reports");
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#key-created:not([hidden])");
  // The key's value is shown once: blurred out of the picture.
  await page.$eval("#key-value", (e) => { e.textContent = "gk_…(shown once)"; });
  await page.waitForFunction(() => document.getElementById("key-rows").children.length > 0);
  await shot("console-keys.png");
  await context.close();
  console.log(JSON.stringify({ version: browser.version(), files }));
} finally {
  await browser.close();
}
