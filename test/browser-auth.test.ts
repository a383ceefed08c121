import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { api, BASE, expectError, makeUser, openStream, PASSWORD, teamWithRoles, type ApiResponse } from "./harness";

const SAME_ORIGIN = { Origin: BASE };
const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;

/** The value of the session cookie a response sets, and the attributes it sets it with. */
function sessionCookie(res: ApiResponse) {
  const header = res.headers.getSetCookie().find((h) => h.startsWith("devfocus_session="));
  if (!header) throw new Error(`no session cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  const [pair, ...attrs] = header.split(";").map((s) => s.trim());
  return { value: pair!.slice("devfocus_session=".length), attrs: attrs.map((a) => a.toLowerCase()), header };
}

/** A browser-like caller: the cookie it holds goes with every request. */
async function signedIn() {
  const u = await makeUser();
  const res = await api("/api/auth/session/", {
    body: { email: u.email, password: PASSWORD },
    headers: { ...SAME_ORIGIN, "CF-Connecting-IP": `172.16.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
  });
  expect(res.status).toBe(200);
  const cookie = `devfocus_session=${sessionCookie(res).value}`;
  return { ...u, cookie };
}

describe("browser sessions: happy path", () => {
  it("POST /api/auth/session/ signs in with an HttpOnly, SameSite=Lax, Secure, 7-day cookie and no token in the body", async () => {
    const u = await makeUser();
    const res = await api("/api/auth/session/", { body: { email: u.email, password: PASSWORD }, headers: SAME_ORIGIN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["user"]);
    expect(res.body.user).toMatchObject({ id: u.id, email: u.email });
    const c = sessionCookie(res);
    expect(c.value).toMatch(/^dfs_/);
    expect(c.attrs).toEqual(expect.arrayContaining(["httponly", "samesite=lax", "secure", "path=/", "max-age=604800"]));
    expect(res.text).not.toContain(c.value);
    // Stored like tokens: only its hash.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM api_tokens WHERE token_hash = ?").bind(c.value).first()).toEqual({ n: 0 });
  });

  it("the cookie is not Secure on plain-http localhost (wrangler dev), where a browser would drop it", async () => {
    const u = await makeUser();
    const res = await api("http://localhost:8787/api/auth/session/", { body: { email: u.email, password: PASSWORD }, headers: { Origin: "http://localhost:8787" } });
    expect(res.status).toBe(200);
    expect(sessionCookie(res).attrs).not.toContain("secure");
  });

  it("every API route accepts the cookie: reads, and same-origin writes", async () => {
    const b = await signedIn();
    const me = await api("/api/auth/me/", { headers: { Cookie: b.cookie } });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(b.id);
    const task = await api("/api/tasks/", { body: { title: "from the page" }, headers: { Cookie: b.cookie, ...SAME_ORIGIN } });
    expect(task.status).toBe(201);
    const viaFetchMetadata = await api("/api/tasks/", { body: { title: "no Origin, Sec-Fetch-Site" }, headers: { Cookie: b.cookie, "Sec-Fetch-Site": "same-origin" } });
    expect(viaFetchMetadata.status).toBe(201);
  });

  it("signing up from the page (POST /api/auth/session/register/) signs the browser in, with no API token issued", async () => {
    const email = `page-${Date.now()}@example.com`;
    const res = await api("/api/auth/session/register/", { body: { email, password: PASSWORD }, headers: { ...SAME_ORIGIN, "CF-Connecting-IP": "172.31.0.1" } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["user"]);
    const cookie = `devfocus_session=${sessionCookie(res).value}`;
    expect((await api("/api/auth/me/", { headers: { Cookie: cookie } })).body.email).toBe(email);
    const kinds = await env.DB.prepare("SELECT t.kind FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = ?").bind(email).all();
    expect(kinds.results).toEqual([{ kind: "SESSION" }]);
  });

  it("sessions are listed apart from API tokens, revocable one by one; DELETE /api/auth/session/ signs out", async () => {
    const b = await signedIn();
    const sessions = await api("/api/auth/sessions/", { headers: { Cookie: b.cookie } });
    expect(sessions.body.results).toHaveLength(1);
    expect(sessions.body.results[0]).toMatchObject({ current: true, expires_at: expect.any(String) });
    const tokens = await api("/api/auth/tokens/", { token: b.token });
    expect(tokens.body.results.map((t: { name: string }) => t.name)).toEqual(["default"]);

    const out = await api("/api/auth/session/", { method: "DELETE", headers: { Cookie: b.cookie, ...SAME_ORIGIN } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/devfocus_session=;.*Max-Age=0/i);
    expectError(await api("/api/auth/me/", { headers: { Cookie: b.cookie } }), 401, "UNAUTHORIZED");
    // The API token of the same user still works.
    expect((await api("/api/auth/me/", { token: b.token })).status).toBe(200);

    const other = await signedIn();
    const list = await api("/api/auth/sessions/", { token: other.token });
    const revoked = await api(`/api/auth/sessions/${list.body.results[0]!.id}/`, { method: "DELETE", token: other.token });
    expect(revoked.status).toBe(204);
    expectError(await api("/api/auth/me/", { headers: { Cookie: other.cookie } }), 401, "UNAUTHORIZED");
  });
});

describe("browser sessions: errors", () => {
  it("a wrong password is 401 and sets no cookie; the login rate limits apply to sessions", async () => {
    const u = await makeUser();
    const ip = { "CF-Connecting-IP": "172.30.1.1", ...SAME_ORIGIN };
    const bad = await api("/api/auth/session/", { body: { email: u.email, password: "wrong password!" }, headers: ip });
    expectError(bad, 401, "UNAUTHORIZED");
    expect(bad.headers.getSetCookie()).toEqual([]);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await api("/api/auth/session/", { body: { email: u.email, password: "wrong password!" }, headers: ip })).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9); // 10 per email per minute, the first one above included
  });

  it("an expired session is 401; DELETE /api/auth/session/ with a Bearer token has no session to end (404)", async () => {
    const b = await signedIn();
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE user_id = ? AND kind = 'SESSION'").bind(new Date(Date.now() - 1000).toISOString(), b.id).run();
    const res = await api("/api/auth/me/", { headers: { Cookie: b.cookie } });
    expectError(res, 401, "UNAUTHORIZED");
    expect(res.body.error.message).toMatch(/expired/);
    expectError(await api("/api/auth/session/", { method: "DELETE", token: b.token }), 404, "NOT_FOUND");
  });
});

describe("browser sessions: security", () => {
  it("CSRF: a cookie write from another origin, from a cross-site fetch, or with no origin at all is 403 and writes nothing", async () => {
    const b = await signedIn();
    const before = await count("tasks");
    const forged: Record<string, string>[] = [{ Origin: "https://evil.example" }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, {}];
    for (const headers of forged) {
      const res = await api("/api/tasks/", { body: { title: "forged" }, headers: { Cookie: b.cookie, ...headers } });
      expectError(res, 403, "FORBIDDEN");
    }
    expectError(await api("/api/auth/session/", { method: "DELETE", headers: { Cookie: b.cookie, Origin: "https://evil.example" } }), 403, "FORBIDDEN");
    expect(await count("tasks")).toBe(before);
    expect((await api("/api/auth/me/", { headers: { Cookie: b.cookie } })).status).toBe(200); // not signed out either
  });

  it("a cross-site form post (text/plain, the one a page can send without a preflight) is a 403, not a 415", async () => {
    const b = await signedIn();
    const before = await count("tasks");
    const res = await api("/api/tasks/", { method: "POST", raw: '{"title":"forged"}', headers: { Cookie: b.cookie, Origin: "https://evil.example", "Content-Type": "text/plain" } });
    expectError(res, 403, "FORBIDDEN");
    expect(await count("tasks")).toBe(before);
  });

  it("Bearer requests are unaffected by Origin (no ambient credential to abuse)", async () => {
    const u = await makeUser();
    const res = await api("/api/tasks/", { token: u.token, body: { title: "from a script" }, headers: { Origin: "https://elsewhere.example" } });
    expect(res.status).toBe(201);
  });

  it("login CSRF: signing in from another origin is refused and sets no cookie", async () => {
    const u = await makeUser();
    const res = await api("/api/auth/session/", { body: { email: u.email, password: PASSWORD }, headers: { Origin: "https://evil.example" } });
    expectError(res, 403, "FORBIDDEN");
    expect(res.headers.getSetCookie()).toEqual([]);
    const reg = await api("/api/auth/session/register/", { body: { email: `x-${Date.now()}@example.com`, password: PASSWORD }, headers: { Origin: "https://evil.example" } });
    expectError(reg, 403, "FORBIDDEN");
  });

  it("a session value is no Bearer token, and an API token is no session cookie", async () => {
    const b = await signedIn();
    const value = b.cookie.slice("devfocus_session=".length);
    expectError(await api("/api/auth/me/", { token: value }), 401, "UNAUTHORIZED");
    expectError(await api("/api/auth/me/", { headers: { Cookie: `devfocus_session=${b.token}` } }), 401, "UNAUTHORIZED");
  });

  it("the session cookie never appears in a response body, and the session list shows no value or hash", async () => {
    const b = await signedIn();
    const value = b.cookie.slice("devfocus_session=".length);
    for (const path of ["/api/auth/me/", "/api/auth/sessions/", "/api/auth/tokens/"]) {
      const res = await api(path, { headers: { Cookie: b.cookie } });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(value);
      expect(res.text).not.toMatch(/token_hash|[0-9a-f]{64}/);
    }
  });
});

describe("browser sessions: the live stream", () => {
  it("EventSource's request (the cookie, no header) opens the stream; signing out ends it at once and the reconnect is refused", async () => {
    const b = await signedIn();
    const stream = await openStream("/api/events/stream/", null, { Cookie: b.cookie, Accept: "text/event-stream" });
    const ended = stream.ends();
    expect((await api("/api/auth/session/", { method: "DELETE", headers: { Cookie: b.cookie, ...SAME_ORIGIN } })).status).toBe(204);
    expect(await ended).toBe(true);
    expectError(await api("/api/events/stream/", { headers: { Cookie: b.cookie } }), 401, "UNAUTHORIZED");
  });

  it("revoking a token ends its streams (and only its own); removing a member ends their team stream", async () => {
    const u = await makeUser();
    const second = (await api("/api/auth/tokens/", { token: u.token, body: { name: "second" } })).body;
    const revokedOne = await openStream("/api/events/stream/", second.token);
    const kept = await openStream("/api/events/stream/", u.token);
    const revokedEnds = revokedOne.ends();
    expect((await api(`/api/auth/tokens/${second.id}/`, { method: "DELETE", token: u.token })).status).toBe(204);
    expect(await revokedEnds).toBe(true);
    expect(await kept.ends(500)).toBe(false);

    const { team, users } = await teamWithRoles();
    const memberStream = await openStream(`/api/events/stream/?team=${team.id}`, users.MEMBER.token);
    const viewerStream = await openStream(`/api/events/stream/?team=${team.id}`, users.VIEWER.token);
    const memberEnds = memberStream.ends();
    expect((await api(`/api/teams/${team.id}/members/${users.MEMBER.id}/`, { method: "DELETE", token: users.OWNER.token })).status).toBe(204);
    expect(await memberEnds).toBe(true);
    expect(await viewerStream.ends(500)).toBe(false);
  });
});

describe("platform: CORS", () => {
  const LISTED = "https://app.example";
  /** The app with CORS_ORIGINS set, as `wrangler dev --var CORS_ORIGINS:…` or a deployment's var would. */
  async function call(path: string, init: RequestInit) {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(BASE + path, init), { ...env, CORS_ORIGINS: `${LISTED}, https://other.example` }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }
  const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));

  it("a listed origin: preflight answered, Authorization allowed, credentials, the useful headers exposed", async () => {
    const pre = await call("/api/tasks/", { method: "OPTIONS", headers: { Origin: LISTED, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe(LISTED);
    expect(pre.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(pre.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/);
    expect(pre.headers.get("Access-Control-Allow-Headers")).toMatch(/X-D1-Bookmark/);
    expect(pre.headers.get("Access-Control-Allow-Methods")).toMatch(/POST/);
    const u = await makeUser();
    const res = await call("/api/tasks/", { method: "POST", headers: { Origin: LISTED, Authorization: `Bearer ${u.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ title: "cors" }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(LISTED);
    expect(res.headers.get("Access-Control-Expose-Headers")!.split(",")).toEqual(expect.arrayContaining(["X-Request-Id", "Server-Timing", "Location", "Retry-After", "X-D1-Bookmark"]));
    expect(res.headers.get("Vary")).toMatch(/Origin/);
  });

  it("a listed origin may write with the session cookie (CSRF allows it); an unlisted one may not", async () => {
    const b = await signedIn();
    const ok = await call("/api/tasks/", { method: "POST", headers: { Origin: LISTED, Cookie: b.cookie, "Content-Type": "application/json" }, body: JSON.stringify({ title: "x" }) });
    expect(ok.status).toBe(201);
    const refused = await call("/api/tasks/", { method: "POST", headers: { Origin: "https://unlisted.example", Cookie: b.cookie, "Content-Type": "application/json" }, body: JSON.stringify({ title: "x" }) });
    expect(refused.status).toBe(403);
  });

  it("an unlisted origin gets no CORS header at all, on a preflight or a request; never a wildcard", async () => {
    const pre = await call("/api/tasks/", { method: "OPTIONS", headers: { Origin: "https://unlisted.example", "Access-Control-Request-Method": "POST" } });
    expect(pre.status).toBe(204);
    expect(corsHeaders(pre)).toEqual([]);
    const u = await makeUser();
    const res = await call("/api/auth/me/", { headers: { Origin: "https://unlisted.example", Authorization: `Bearer ${u.token}` } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual([]);
    // With no CORS_ORIGINS (the default), even the origin listed above gets none.
    const plain = await exports.default.fetch(new Request(BASE + "/api/health/", { headers: { Origin: LISTED } }));
    expect(corsHeaders(plain)).toEqual([]);
    const listed = await call("/api/health/", { headers: { Origin: LISTED } });
    expect(listed.headers.get("Access-Control-Allow-Origin")).toBe(LISTED);
  });
});

describe("platform: API docs offline", () => {
  it("/api/docs loads its script from the Worker's own assets and nothing from another host", async () => {
    const res = await api("/api/docs");
    expect(res.status).toBe(200);
    expect(res.text).toContain('src="/vendor/scalar/standalone.js"');
    expect(res.text).not.toMatch(/(src|href)="https?:\/\//);
    expect(res.text).not.toMatch(/cdn\.jsdelivr|unpkg|fonts\.(googleapis|scalar)/);
  });
});
