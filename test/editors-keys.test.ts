/**
 * Editor keys: `POST /api/auth/tokens/` with scope EDITOR issues a `waka_<uuid4>` key that wakatime-cli accepts,
 * that authenticates the WakaTime-compatible API however the cli sends it, and opens nothing else.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/platform/crypto";
import { api, BASE, expectError, makeUser, PASSWORD, rawRequest, type TestUser } from "./harness";

/** wakatime-cli's own check (cmd/params/params.go): it refuses, before sending anything, any other key. */
const WAKATIME_CLI_KEY = /^(waka_)?[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;
const CURRENT = "/api/compat/wakatime/v1/users/current";
/** `Authorization: Basic base64(<key>)`: the bare key, as wakatime-cli's BasicAuth{Secret: key} encodes it. */
const basic = (key: string) => `Basic ${btoa(key)}`;

async function editorKey(user: TestUser, name = "editor") {
  const res = await api("/api/auth/tokens/", { token: user.token, body: { name, scope: "EDITOR" } });
  expect(res.status).toBe(201);
  return res.body;
}

/** A GET straight to the Worker with exactly these headers (no token added). */
const get = (path: string, headers: Record<string, string> = {}) => rawRequest({ method: "GET", path, headers });

describe("editor keys: happy path", () => {
  it("issues a waka_<uuid4> key that wakatime-cli accepts, shown once, stored hashed, listed with the tokens", async () => {
    const u = await makeUser();
    const key = await editorKey(u, "laptop editors");
    expect(key.token).toMatch(WAKATIME_CLI_KEY);
    expect(key.token.startsWith("waka_")).toBe(true);
    expect(key).toMatchObject({ name: "laptop editors", scope: "EDITOR", prefix: key.token.slice(0, 13) });

    const list = await api("/api/auth/tokens/", { token: u.token });
    expect(list.body.results.map((t) => [t.name, t.scope])).toEqual([
      ["default", "API"],
      ["laptop editors", "EDITOR"],
    ]);
    expect(list.text).not.toContain(key.token);
    // Only its SHA-256 is in D1, in the one credentials table.
    const row = await env.DB.prepare("SELECT kind, token_hash FROM api_tokens WHERE id = ?").bind(key.id).first<{ kind: string; token_hash: string }>();
    expect(row).toEqual({ kind: "EDITOR", token_hash: await sha256Hex(key.token) });
  });

  it("authenticates the WakaTime-compatible API as Basic base64(key), Bearer and ?api_key=", async () => {
    const u = await makeUser({ name: "Ada", timezone: "Europe/Paris" });
    const key = (await editorKey(u)).token;
    for (const res of [
      await get(CURRENT, { Authorization: basic(key) }),
      await get(`${CURRENT}/`, { Authorization: basic(key) }),
      await get(CURRENT, { Authorization: `Bearer ${key}` }),
      await get(`${CURRENT}?api_key=${key}`),
    ]) {
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toMatchObject({ id: String(u.id), email: u.email, display_name: "Ada", timezone: "Europe/Paris" });
    }
  });

  it("takes a normal API token there too (Bearer or Basic)", async () => {
    const u = await makeUser();
    expect((await get(CURRENT, { Authorization: `Bearer ${u.token}` })).status).toBe(200);
    expect((await get(CURRENT, { Authorization: basic(u.token) })).status).toBe(200);
  });
});

describe("editor keys: errors", () => {
  it("refuses an unknown scope and names the field", async () => {
    const u = await makeUser();
    for (const scope of ["editor", "SESSION", "ADMIN"]) {
      const res = await rawRequest({
        method: "POST",
        path: "/api/auth/tokens/",
        headers: { Authorization: `Bearer ${u.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "x", scope }),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain("scope");
    }
  });

  it("answers 401 to malformed, missing, unknown and user:password credentials on the compat API", async () => {
    const u = await makeUser();
    const key = (await editorKey(u)).token;
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Basic !!!" },
      { Authorization: "Digest abc" },
      { Authorization: basic(`${u.email}:${PASSWORD}`) },
      { Authorization: basic(`waka_${crypto.randomUUID()}`) },
      { Authorization: basic(`${key}x`) },
    ];
    for (const headers of attempts) {
      const res = await get(CURRENT, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHORIZED");
    }
  });
});

describe("editor keys: security", () => {
  it("an editor key opens nothing outside /api/compat/wakatime/: not even minting a token", async () => {
    const u = await makeUser();
    const key = (await editorKey(u)).token;
    const before = await env.DB.prepare("SELECT count(*) AS n FROM api_tokens WHERE user_id = ?").bind(u.id).first<{ n: number }>();
    for (const [method, path] of [
      ["GET", "/api/auth/me/"],
      ["GET", "/api/tasks/"],
      ["GET", "/api/sessions/"],
      ["GET", "/api/auth/tokens/"],
      ["POST", "/api/auth/tokens/"],
      ["POST", "/api/auth/logout/"],
      ["GET", "/api/events/stream/"],
      ["GET", "/api/compatx/wakatime/v1/users/current"],
    ] as const) {
      for (const headers of [{ Authorization: `Bearer ${key}` }, { Authorization: basic(key) }]) {
        const res = await rawRequest({ method, path, headers: { ...headers, "Content-Type": "application/json" }, body: method === "POST" ? JSON.stringify({ name: "x" }) : undefined });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.body.error.code).toBe("UNAUTHORIZED");
      }
    }
    const bearer = await api("/api/auth/me/", { token: key });
    expectError(bearer, 401, "UNAUTHORIZED");
    expect(bearer.body.error.message).toMatch(/only the WakaTime-compatible API/);
    // ?api_key= means nothing outside the compat API either.
    expectError(await api(`/api/auth/me/?api_key=${key}`), 401, "UNAUTHORIZED");
    const after = await env.DB.prepare("SELECT count(*) AS n FROM api_tokens WHERE user_id = ?").bind(u.id).first<{ n: number }>();
    expect(after).toEqual(before);
  });

  it("Basic and ?api_key= carry nothing outside the compat API, even with a valid API token", async () => {
    const u = await makeUser();
    expectError(await api("/api/auth/me/", { headers: { Authorization: basic(u.token) } }), 401, "UNAUTHORIZED");
    expectError(await api(`/api/auth/me/?api_key=${u.token}`), 401, "UNAUTHORIZED");
  });

  it("the compat API never takes the session cookie (so no cross-site write can ride on it)", async () => {
    const u = await makeUser();
    const signIn = await api("/api/auth/session/", { body: { email: u.email, password: PASSWORD }, headers: { Origin: BASE, "CF-Connecting-IP": "203.0.113.7" } });
    const cookie = signIn.headers.getSetCookie().find((h) => h.startsWith("devfocus_session="))!.split(";")[0]!;
    expect((await get("/api/auth/me/", { Cookie: cookie })).status).toBe(200);
    expectError(await get(CURRENT, { Cookie: cookie }), 401, "UNAUTHORIZED");
    // Nor a session value presented as a key.
    const value = cookie.split("=")[1]!;
    expectError(await get(CURRENT, { Authorization: basic(value) }), 401, "UNAUTHORIZED");
    expectError(await get(`${CURRENT}?api_key=${value}`), 401, "UNAUTHORIZED");
  });

  it("a revoked or expired editor key is refused at once", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    expect((await get(CURRENT, { Authorization: basic(key.token) })).status).toBe(200);
    expect((await api(`/api/auth/tokens/${key.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    const revoked = await get(CURRENT, { Authorization: basic(key.token) });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toMatch(/revoked/);
    expect((await api("/api/auth/tokens/", { token: u.token })).body.results.map((t) => t.id)).not.toContain(key.id);

    const expiring = await api("/api/auth/tokens/", { token: u.token, body: { name: "short", scope: "EDITOR", expires_at: new Date(Date.now() + 60_000).toISOString() } });
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), expiring.body.id).run();
    expectError(await get(CURRENT, { Authorization: basic(expiring.body.token) }), 401, "UNAUTHORIZED");
  });

  it("another user cannot revoke my editor key", async () => {
    const [u, other] = [await makeUser(), await makeUser()];
    const key = await editorKey(u);
    expectError(await api(`/api/auth/tokens/${key.id}/`, { method: "DELETE", token: other.token }), 404, "NOT_FOUND");
    expect((await get(CURRENT, { Authorization: basic(key.token) })).status).toBe(200);
  });
});
