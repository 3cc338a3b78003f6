// Runs the console's browser signer (shared/console/sigv4.js) under Node on the `input`
// of a JSON file (the committed vector, or a test's own keys) and prints the presigned
// request it makes, as JSON.
//
// usage: node tests/browser/sigv4_sign.mjs <file.json>
import { readFileSync } from "node:fs";
import { presignGetCallerIdentity } from "../../shared/console/sigv4.js";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const i = vector.input;
// `date`: an ISO time, or seconds since the epoch as text.
const date = /^\d+$/.test(i.date) ? new Date(Number(i.date) * 1000) : new Date(i.date);
const presigned = await presignGetCallerIdentity({ ...i, date });
console.log(JSON.stringify(presigned));
