// SigV4 in the browser (README "Admin console"): signs the STS GetCallerIdentity request
// of the admin sign-in's mode b with WebCrypto, so the secret access key never leaves
// the machine. It signs exactly what the Rust signer (the CLI's) signs: content-type,
// host, x-amz-date, x-amz-security-token (with a session token), and the two headers
// the function requires, x-gatehouse-server-id and x-gatehouse-nonce; the committed
// vector tests/fixtures/sigv4-golden.json holds both signers to the same signature.

const enc = new TextEncoder();

/** The signed request's body. */
export const BODY = "Action=GetCallerIdentity&Version=2011-06-15";

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (text) => hex(await crypto.subtle.digest("SHA-256", enc.encode(text)));

async function hmac(key, text) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(text));
}

/** `20261201T093000Z`: the ISO basic format SigV4 uses. */
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** A random nonce: 16 bytes, hex. */
export function newNonce() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The presigned request `{method, url, headers, body}` that `POST /admin/signin`
 * takes as `{presigned: ...}`.
 */
export async function presignGetCallerIdentity(input) {
  const { accessKeyId, secretAccessKey, sessionToken, region, stsUrl, serverId, nonce, date } = input;
  const url = stsUrl.replace(/\/+$/, "") + "/";
  const parsed = new URL(url);
  const time = amzDate(date);
  const day = time.slice(0, 8);
  const given = [
    ["content-type", "application/x-www-form-urlencoded; charset=utf-8"],
    ["x-gatehouse-server-id", serverId],
    ["x-gatehouse-nonce", nonce],
  ];
  const added = [["x-amz-date", time]];
  if (sessionToken) added.push(["x-amz-security-token", sessionToken]);
  const signed = [...given, ["host", parsed.host], ...added].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = signed.map(([k, v]) => `${k}:${v.trim().replace(/ +/g, " ")}\n`).join("");
  const names = signed.map(([k]) => k).join(";");
  const canonical = ["POST", parsed.pathname, "", canonicalHeaders, names, await sha256(BODY)].join("\n");
  const scope = `${day}/${region}/sts/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", time, scope, await sha256(canonical)].join("\n");
  let key = await hmac(enc.encode("AWS4" + secretAccessKey), day);
  for (const part of [region, "sts", "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  const authorization =
    `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${signature}`;
  const headers = Object.fromEntries([...given, ...added, ["authorization", authorization]]);
  return { method: "POST", url, headers, body: BODY };
}
