const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const TOKEN_BYTES = 32;
export const TOKEN_PREFIX = "dfk_";
/** Browser session values (the devfocus_session cookie): never valid as a Bearer token, nor the reverse. */
export const SESSION_PREFIX = "dfs_";

const enc = new TextEncoder();

const toB64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromB64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
const toHex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/** `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2_sha256$${PBKDF2_ITERATIONS}$${toB64(salt)}$${toB64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split("$");
  if (scheme !== "pbkdf2_sha256" || !iter || !salt || !hash) return false;
  const actual = await pbkdf2(password, fromB64(salt), Number(iter));
  return timingSafeEqual(actual, fromB64(hash));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", enc.encode(value)));
}

/** A new API token: the value (shown once) and the SHA-256 that is stored. */
export async function newToken(prefix: string = TOKEN_PREFIX): Promise<{ value: string; hash: string; prefix: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  const value = prefix + toB64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { value, hash: await sha256Hex(value), prefix: value.slice(0, 8) };
}

/**
 * Editor keys have wakatime-cli's own format, `waka_<lowercase UUID v4>`: the cli refuses any other key before
 * sending anything (so a `dfk_…` token can never be put there). 122 random bits, stored as SHA-256 like a token.
 */
export const EDITOR_KEY_PREFIX = "waka_";
export const EDITOR_KEY_PATTERN = /^waka_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export async function newEditorKey(): Promise<{ value: string; hash: string; prefix: string }> {
  const value = EDITOR_KEY_PREFIX + crypto.randomUUID();
  // "waka_" and the UUID's first group: enough to tell two keys apart in a list.
  return { value, hash: await sha256Hex(value), prefix: value.slice(0, 13) };
}

/** A password hash to verify against when the email is unknown, so timing does not reveal accounts. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword("not-a-real-password"));
