import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectError, makeUser, unchecked } from "./harness";

/** Rate limits use fixed 60 s windows: start a burst well inside one, so it cannot straddle two. */
async function awayFromWindowEdge() {
  const intoWindow = Date.now() % 60_000;
  if (intoWindow > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoWindow + 100));
}

describe("auth: happy path", () => {
  it("registers, logs in, reads and updates me", async () => {
    const reg = await api("/api/auth/register/", {
      body: { email: "Ada@Example.com", password: "correct horse battery", name: "Ada", timezone: "Europe/Paris" },
      headers: { "CF-Connecting-IP": "192.0.2.1" },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ email: "ada@example.com", name: "Ada", timezone: "Europe/Paris", day_start_hour: 0, week_start: "MON" });
    expect(reg.body.token).toMatch(/^dfk_/);
    expect(reg.text).not.toContain("password");

    const login = await api("/api/auth/login/", { body: { email: "ada@example.com", password: "correct horse battery" } });
    expect(login.status).toBe(200);
    expect(login.body.token).toMatch(/^dfk_/);
    expect(login.body.token).not.toBe(reg.body.token);

    const me = await api("/api/auth/me/", { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(reg.body.user.id);

    const patched = await api("/api/auth/me", {
      method: "PATCH",
      token: login.body.token,
      body: { timezone: "America/New_York", day_start_hour: 4, week_start: "SUN", name: "Ada L." },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ timezone: "America/New_York", day_start_hour: 4, week_start: "SUN", name: "Ada L." });
  });

  it("creates, lists and revokes named tokens; the value is shown once", async () => {
    const u = await makeUser();
    const created = await api("/api/auth/tokens/", { token: u.token, body: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^dfk_/);
    const list = await api("/api/auth/tokens", { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.results.map((t) => t.name).sort()).toEqual(["ci", "default"]);
    expect(list.text).not.toContain(created.body.token);

    expect((await api("/api/auth/me/", { token: created.body.token })).status).toBe(200);
    const del = await api(`/api/auth/tokens/${created.body.id}/`, { method: "DELETE", token: u.token });
    expect(del.status).toBe(204);
    expectError(await api("/api/auth/me/", { token: created.body.token }), 401, "UNAUTHORIZED");
    // Another user's token id is not found, not revoked.
    const other = await makeUser();
    expectError(await api(`/api/auth/tokens/${created.body.id}/`, { method: "DELETE", token: other.token }), 404, "NOT_FOUND");
  });
});

describe("auth: errors", () => {
  it("duplicate email is 409", async () => {
    const u = await makeUser();
    const res = await api("/api/auth/register/", { body: { email: u.email.toUpperCase(), password: "another password" } });
    expectError(res, 409, "CONFLICT");
  });

  it("lists every invalid field", async () => {
    const res = await api("/api/auth/register/", { body: { email: "not-an-email", password: "short", timezone: "Mars/Olympus" } });
    expectError(res, 400, "VALIDATION_FAILED");
    expect(res.body.error.details.map((d) => d.path).sort()).toEqual(["email", "password", "timezone"]);
  });

  it("rejects bad me updates naming the field", async () => {
    const u = await makeUser();
    const res = await api("/api/auth/me/", { method: "PATCH", token: u.token, body: unchecked({ day_start_hour: 24, week_start: "TUE" }) });
    expectError(res, 400, "VALIDATION_FAILED");
    expect(res.body.error.details.map((d) => d.path).sort()).toEqual(["day_start_hour", "week_start"]);
  });
});

describe("auth: security", () => {
  it("stores only a SHA-256 of tokens and a PBKDF2 hash of passwords", async () => {
    const u = await makeUser();
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(u.id).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2_sha256\$100000\$/);
    const tokens = await env.DB.prepare("SELECT token_hash FROM api_tokens WHERE user_id = ?").bind(u.id).all<{ token_hash: string }>();
    expect(tokens.results.map((t) => t.token_hash)).not.toContain(u.token);
    expect(tokens.results[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("logout revokes the token in use at once", async () => {
    const u = await makeUser();
    expect((await api("/api/auth/logout/", { method: "POST", token: u.token })).status).toBe(204);
    const after = await api("/api/auth/me/", { token: u.token });
    expectError(after, 401, "UNAUTHORIZED");
    expect(after.body.error.message).toMatch(/revoked/);
  });

  it("wrong password and unknown email are the same 401", async () => {
    const u = await makeUser();
    const wrong = await api("/api/auth/login/", { body: { email: u.email, password: "wrong password!" } });
    expectError(wrong, 401, "UNAUTHORIZED");
    const unknown = await api("/api/auth/login/", { body: { email: "nobody@example.com", password: "wrong password!" } });
    expectError(unknown, 401, "UNAUTHORIZED");
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it("missing, malformed and unknown tokens are 401", async () => {
    expectError(await api("/api/auth/me/"), 401, "UNAUTHORIZED");
    expectError(await api("/api/auth/me/", { headers: { Authorization: "Basic abc" } }), 401, "UNAUTHORIZED");
    expectError(await api("/api/auth/me/", { token: "dfk_nope" }), 401, "UNAUTHORIZED");
  });

  it("expired tokens are 401", async () => {
    const u = await makeUser();
    const created = await api("/api/auth/tokens/", { token: u.token, body: { name: "short-lived", expires_at: new Date(Date.now() + 60_000).toISOString() } });
    expect(created.status).toBe(201);
    expect((await api("/api/auth/me/", { token: created.body.token })).status).toBe(200);
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), created.body.id).run();
    const res = await api("/api/auth/me/", { token: created.body.token });
    expectError(res, 401, "UNAUTHORIZED");
    expect(res.body.error.message).toMatch(/expired/);
  });

  it("rate limits login per email with 429 and Retry-After", async () => {
    await awayFromWindowEdge();
    const u = await makeUser();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 12; i++) {
      last = await api("/api/auth/login/", { body: { email: u.email, password: "wrong password!" }, headers: { "CF-Connecting-IP": `203.0.113.${i}` } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expectError(last!, 429, "RATE_LIMITED");
    expect(Number(last!.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("rate limits register per IP", async () => {
    await awayFromWindowEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await api("/api/auth/register/", { body: { email: `x${i}@`, password: "x" }, headers: { "CF-Connecting-IP": "198.51.100.7" } });
      statuses.push(res.status);
    }
    // Invalid bodies are refused before counting, so build valid ones for the limit.
    expect(statuses.every((s) => s === 400)).toBe(true);
    const ok: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await api("/api/auth/register/", {
        body: { email: `ip-limit-${i}-${Date.now()}@example.com`, password: "correct horse battery" },
        headers: { "CF-Connecting-IP": "198.51.100.8" },
      });
      ok.push(res.status);
    }
    expect(ok.filter((s) => s === 201)).toHaveLength(30);
    expect(ok[30]).toBe(429);
  });
});

