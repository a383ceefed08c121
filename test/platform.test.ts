import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, timing, makeUser, type OpenApiDocument, rawRequest, expectError } from "./harness";

afterEach(() => vi.restoreAllMocks());

describe("platform: happy path", () => {
  it("health answers with and without the trailing slash, with a request id", async () => {
    for (const path of ["/api/health", "/api/health/"]) {
      const res = await api(path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: "ok" });
      expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("serves an OpenAPI 3.1 document and a docs page", async () => {
    const served = await api("/api/openapi.json");
    expect(served.status).toBe(200);
    const doc = served.body as OpenApiDocument;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/auth/register", "/api/health", "/api/auth/tokens/{id}"]));
    expect(doc.components.schemas.Error).toBeDefined();
    const docs = await api("/api/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("Content-Type")).toMatch(/text\/html/);
  });
});

describe("platform: errors", () => {
  it("unknown paths are 404 in the envelope (401 first without a token)", async () => {
    expectError(await api("/api/nope/"), 401, "UNAUTHORIZED");
    const u = await makeUser();
    const res = await api("/api/nope/", { token: u.token });
    expectError(res, 404, "NOT_FOUND");
    expect(res.body.error.request_id).toBe(res.headers.get("X-Request-Id"));
  });

  it("malformed JSON is 400", async () => {
    const res = await rawRequest({ method: "POST", path: "/api/auth/register/", body: "{not json", headers: { "Content-Type": "application/json" } });
    expectError(res, 400, "INVALID_JSON");
  });

  it("a non-JSON body is 415", async () => {
    const res = await rawRequest({ method: "POST", path: "/api/auth/register/", body: "email=a", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a body over 1 MiB is 413 and nothing is written", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>();
    const res = await api("/api/auth/register/", {
      body: { email: "big@example.com", password: "correct horse battery", name: "x".repeat(1024 * 1024 + 10) },
    });
    expectError(res, 413, "PAYLOAD_TOO_LARGE");
    const after = await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });
});

describe("request logs: happy path", () => {
  it("writes one data point per request with the design's fields and no secrets", async () => {
    const u = await makeUser();
    const spy = vi.spyOn(env.REQUEST_LOG, "writeDataPoint");
    const res = await api("/api/auth/me/", { token: u.token, headers: { "User-Agent": "vitest-agent", "CF-Connecting-IP": "192.0.2.55" } });
    expect(res.status).toBe(200);
    expect(spy).toHaveBeenCalledTimes(1);
    const point = spy.mock.calls[0]![0]!;
    expect(point.indexes).toEqual([String(u.id)]);
    expect(point.blobs).toEqual(["GET", "/api/auth/me", "/api/auth/me/", "2xx", "vitest-agent", "192.0.2.55", res.headers.get("X-Request-Id"), "", ""]);
    expect(point.doubles![0]).toBe(200);
    expect(point.doubles![1]).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(point)).not.toContain(u.token);
  });

  it("queries the SQL API for the caller's rows only", async () => {
    const u = await makeUser();
    (env as any).CF_ACCOUNT_ID = "acc123";
    (env as any).CF_ANALYTICS_API_TOKEN = "cf-secret";
    try {
      const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        expect(url).toBe("https://api.cloudflare.com/client/v4/accounts/acc123/analytics_engine/sql");
        return Response.json({
          data: [
            { timestamp: "2026-01-30 09:15:00", method: "GET", route: "/api/tasks", path: "/api/tasks/", status: 200, duration_ms: 3.5, response_bytes: 120, request_id: "r1", colo: "AMS", team: "" },
            { timestamp: "2026-01-30 09:14:00", method: "POST", route: "/api/tasks", path: "/api/tasks/", status: 201, duration_ms: 5, response_bytes: 90, request_id: "r2", colo: "AMS", team: "3" },
          ],
        });
      });
      const res = await api("/api/request-logs/?page_size=1", { token: u.token });
      expect(res.status).toBe(200);
      expect(res.body.results).toEqual([
        { timestamp: "2026-01-30T09:15:00.000Z", method: "GET", route: "/api/tasks", path: "/api/tasks/", status: 200, duration_ms: 3.5, response_bytes: 120, request_id: "r1", colo: "AMS", team: "" },
      ]);
      expect(res.body.next).toContain("cursor=2026-01-30T09%3A15%3A00.000Z");
      const sent = fetchSpy.mock.calls[0]![1]!;
      expect(String(sent.body)).toContain(`index1 = '${u.id}'`);
      expect(String(sent.body)).toContain("LIMIT 2");
      expect(new Headers(sent.headers).get("Authorization")).toBe("Bearer cf-secret");
      expect(res.text).not.toContain("cf-secret");
    } finally {
      delete (env as any).CF_ACCOUNT_ID;
      delete (env as any).CF_ANALYTICS_API_TOKEN;
    }
  });
});

describe("request logs: errors", () => {
  it("is 503 with a clear message when the secrets are not set", async () => {
    const u = await makeUser();
    const res = await api("/api/request-logs/", { token: u.token });
    expectError(res, 503, "SERVICE_UNAVAILABLE");
    expect(res.body.error.message).toMatch(/CF_ACCOUNT_ID/);
  });
});

describe("request logs: security", () => {
  it("logs anonymous failures as anon with the status", async () => {
    const spy = vi.spyOn(env.REQUEST_LOG, "writeDataPoint");
    const logSpy = vi.spyOn(console, "log");
    await api("/api/auth/me/", { token: "dfk_secret_value" });
    const point = spy.mock.calls[0]![0]!;
    expect(point.indexes).toEqual(["anon"]);
    expect(point.doubles![0]).toBe(401);
    expect(point.blobs![3]).toBe("4xx");
    const lines = logSpy.mock.calls.map((c) => String(c[0]));
    expect(lines.some((l) => l.includes('"status":401'))).toBe(true);
    expect(lines.join("\n")).not.toContain("dfk_secret_value");
    expect(JSON.stringify(spy.mock.calls)).not.toContain("dfk_secret_value");
  });
});

describe("platform: Server-Timing", () => {

  it("reports D1 round trips and rows read, and feeds the request log", async () => {
    const u = await makeUser();
    await env.DB.batch(
      Array.from({ length: 30 }, (_, i) => env.DB.prepare("INSERT INTO tasks (title, created_by) VALUES (?, ?)").bind(`t${i}`, u.id)),
    );
    // The first use of a token also stamps its last_used_at (off the critical path, still a round trip).
    const first = await api("/api/auth/me/", { token: u.token });
    expect(timing(first, "d1-queries")).toBeGreaterThanOrEqual(2);
    const spy = vi.spyOn(env.REQUEST_LOG, "writeDataPoint");
    const res = await api("/api/auth/me/", { token: u.token });
    const header = res.headers.get("Server-Timing");
    expect(header).toMatch(/^total;dur=[\d.]+, d1;dur=[\d.]+;desc="/);
    // The token (joined with its user) is checked in one batch with reading me: one round trip.
    expect(timing(res, "d1-queries")).toBe(1);
    expect(timing(res, "d1-rows-read")).toBeGreaterThanOrEqual(2);
    expect(timing(res, "d1-rows-read")).toBeLessThan(10);
    const doubles = spy.mock.calls[0]![0]!.doubles!;
    expect(doubles[3]).toBe(1);
    expect(doubles[4]).toBe(timing(res, "d1-rows-read"));
  });

  it("counts rows written by a write", async () => {
    const u = await makeUser();
    const res = await api("/api/teams/", { token: u.token, body: { name: "Timing" } });
    expect(res.status).toBe(201);
    expect(timing(res, "d1-rows-written")).toBeGreaterThanOrEqual(2);
  });
});
