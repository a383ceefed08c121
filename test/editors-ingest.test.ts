/**
 * Ingest through the WakaTime-compatible API, over HTTP with wakatime-cli's wire format: Basic base64(key),
 * 25- and 10-heartbeat bulks, unknown fields, re-sends, a bad heartbeat among good ones, time bounds, the
 * privacy settings, the rate limit, and the statusbar's exact types.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dayBounds, dayOf } from "../src/platform/time";
import { api, countRows, timing, makeUser, rawRequest, type TestUser, expectError } from "./harness";

const V1 = "/api/compat/wakatime/v1/users/current";
const BULK = `${V1}/heartbeats.bulk`;
const MIN = 60_000;
/** wakatime-cli's user agent, as a VS Code plugin sends it (and one from Vim). */
const VSCODE = "wakatime/v1.102.1 (linux-6.5.0-x86_64) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0";
const VIM = "wakatime/v1.102.1 (darwin-23.4.0-arm64) go1.22.1 vim/9.1 vim-wakatime/11.2.0";
const basic = (key: string) => `Basic ${btoa(key)}`;

async function editorKey(user: TestUser) {
  return (await api("/api/auth/tokens/", { token: user.token, body: { name: "editors", scope: "EDITOR" } })).body.token;
}

/** A heartbeat as wakatime-cli marshals it (pkg/heartbeat): every field it sends, float seconds. */
function heartbeat(ms: number, more: Record<string, unknown> = {}) {
  return {
    entity: "/home/ada/src/devfocus-api/src/app.ts",
    type: "file",
    time: ms / 1000,
    category: "coding",
    project: "devfocus-api",
    branch: "main",
    language: "TypeScript",
    lines: 240,
    lineno: 31,
    cursorpos: 12,
    is_write: false,
    dependencies: ["hono", "zod"],
    project_root_count: 5,
    user_agent: VSCODE,
    ...more,
  };
}

const post = (key: string, body: unknown, path = BULK) =>
  api(path, { method: "POST", headers: { Authorization: basic(key), "X-Machine-Name": "ada-laptop", Timezone: "Europe/Paris" }, body });
const stored = (userId: number) => countRows("SELECT count(*) AS n FROM heartbeats WHERE user_id = ?", userId);

describe("editors ingest: happy path", () => {
  it("takes a 25- and a 10-heartbeat bulk with Basic auth: one [data, 201] pair each, in order, in 3 D1 round trips", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const now = Date.now();
    for (const size of [25, 10]) {
      const beats = Array.from({ length: size }, (_, i) => heartbeat(now - (size - i) * MIN - size * 1000, { entity: `/src/file${i}.ts` }));
      const res = await post(key, beats);
      expect(res.status).toBe(202);
      const { responses } = res.body as { responses: [{ data: { time: number; project: string } }, number][] };
      expect(responses).toHaveLength(size);
      responses.forEach(([obj, status], i) => {
        expect(status).toBe(201);
        expect(obj.data).toMatchObject({ time: beats[i]!.time, project: "devfocus-api", branch: "main", language: "TypeScript", category: "coding", type: "file", entity: null });
      });
      // The credential; one batch for the rate limit, the chunked inserts, the pruning and the derivation's
      // reads; one for the derived timeline's writes. Whatever the bulk's size.
      expect(timing(res, "d1-queries")).toBe(3);
    }
    expect(await stored(u.id)).toBe(35);
  });

  it("ignores fields it does not know, stores project, branch, language, category and editor, never the path", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const res = await post(key, [
      heartbeat(Date.now() - MIN, { ai_line_changes: 3, line_additions: 4, line_deletions: 1, future_field: { nested: [1, 2] }, machine_name_id: "m" }),
    ]);
    expect(res.status).toBe(202);
    expect((res.body as { responses: [unknown, number][] }).responses[0]![1]).toBe(201);
    const row = await env.DB.prepare("SELECT * FROM heartbeats WHERE user_id = ?").bind(u.id).first<Record<string, unknown>>();
    expect(row).toMatchObject({ entity: null, project: "devfocus-api", branch: "main", language: "TypeScript", category: "coding", type: "file", editor: "VS Code" });
    expect(JSON.stringify(row)).not.toContain("app.ts");
    expect(JSON.stringify(row)).not.toContain("ada-laptop");
  });

  it("a re-sent bulk is a no-op: every heartbeat 202, no row added", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const beats = Array.from({ length: 10 }, (_, i) => heartbeat(Date.now() - (20 - i) * MIN));
    await post(key, beats);
    const again = await post(key, [...beats].reverse());
    expect(again.status).toBe(202);
    expect((again.body as { responses: [unknown, number][] }).responses.map(([, s]) => s)).toEqual(Array(10).fill(202));
    expect(await stored(u.id)).toBe(10);
    // A repeat inside one bulk too: the first is stored, the copy is 202.
    const t = Date.now() - 2 * MIN;
    const twice = await post(key, [heartbeat(t, { entity: "/x.ts" }), heartbeat(t, { entity: "/x.ts" })]);
    expect((twice.body as { responses: [unknown, number][] }).responses.map(([, s]) => s)).toEqual([201, 202]);
    expect(await stored(u.id)).toBe(11);
  });

  it("takes the single-heartbeat endpoint too: 201, then 202 for the re-send", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const hb = heartbeat(Date.now() - MIN);
    const first = await post(key, hb, `${V1}/heartbeats`);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ data: { time: hb.time, project: "devfocus-api" } });
    expect((await post(key, hb, `${V1}/heartbeats/`)).status).toBe(202);
    expect(await stored(u.id)).toBe(1);
  });

  it("keeps the path when the user turns hide_file_names off, and erases the kept paths when it is turned on again", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const off = await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { hide_file_names: false } });
    expect(off.body).toMatchObject({ hide_file_names: false, idle_timeout_minutes: 15, heartbeat_retention_days: 30 });
    await post(key, [heartbeat(Date.now() - MIN)]);
    expect(await countRows("SELECT count(*) AS n FROM heartbeats WHERE user_id = ? AND entity LIKE '%app.ts'", u.id)).toBe(1);
    await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { hide_file_names: true } });
    expect(await countRows("SELECT count(*) AS n FROM heartbeats WHERE user_id = ? AND entity IS NOT NULL", u.id)).toBe(0);
    expect(await stored(u.id)).toBe(1);
  });
});

describe("editors ingest: errors", () => {
  it("a bad heartbeat among good ones is its own 400 with a message; the batch is 202 and the good ones are stored", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const now = Date.now();
    const res = await post(key, [
      heartbeat(now - 5 * MIN),
      heartbeat(now - 4 * MIN, { time: "yesterday" }),
      heartbeat(now - 3 * MIN, { entity: "" }),
      { type: "file", entity: "/no/time.ts" },
      heartbeat(now + 60 * MIN),
      heartbeat(now - 40 * 24 * 60 * MIN),
      heartbeat(now - 2 * MIN, { type: "spreadsheet" }),
      { hello: "world" },
      heartbeat(now - MIN),
    ]);
    expect(res.status).toBe(202);
    const responses = (res.body as { responses: [{ error?: string; errors?: Record<string, string[]> }, number][] }).responses;
    expect(responses.map(([, s]) => s)).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 201]);
    // wakatime-cli reads `error` first, then `errors` by field.
    expect(Object.keys(responses[1]![0].errors!)).toEqual(["time"]);
    expect(Object.keys(responses[2]![0].errors!)).toEqual(["entity"]);
    expect(Object.keys(responses[3]![0].errors!)).toEqual(["time"]);
    expect(responses[4]![0].error).toMatch(/^time: Must not be in the future/);
    expect(responses[5]![0].error).toMatch(/^time: Too old: .*retention period \(30 days\)/);
    expect(Object.keys(responses[6]![0].errors!)).toEqual(["type"]);
    expect(Object.keys(responses[7]![0].errors!).sort()).toEqual(["entity", "time"]);
    expect(await stored(u.id)).toBe(2);
  });

  it("takes at most 100 heartbeats from one request: the rest are 429, which wakatime-cli sends again", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const now = Date.now();
    const res = await post(key, Array.from({ length: 102 }, (_, i) => heartbeat(now - (200 - i) * 1000, { entity: `/f${i}` })));
    const statuses = (res.body as { responses: [unknown, number][] }).responses.map(([, s]) => s);
    expect(statuses.slice(0, 100)).toEqual(Array(100).fill(201));
    expect(statuses.slice(100)).toEqual([429, 429]);
    expect(await stored(u.id)).toBe(100);
  });

  it("refuses a body that is no list of heartbeats, and an invalid single heartbeat, as the request's 400", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    // An element that is no object at all: no cli sends that, so it is the request's 400.
    for (const body of [{}, [], "x", 5, [heartbeat(Date.now()), "x"], [null], [[heartbeat(Date.now())]]]) expectError(await post(key, body), 400, "VALIDATION_FAILED");
    const malformed = await rawRequest({ method: "POST", path: BULK, headers: { Authorization: basic(key), "Content-Type": "application/json" }, body: "[{" });
    expect(malformed.status).toBe(400);
    const single = await post(key, heartbeat(Date.now() + 3_600_000), `${V1}/heartbeats`);
    expectError(single, 400, "VALIDATION_FAILED");
    expect(single.body.error.details[0]).toMatchObject({ path: "time" });
    const noEntity = await post(key, { time: Date.now() / 1000 }, `${V1}/heartbeats`);
    expectError(noEntity, 400, "VALIDATION_FAILED");
    expect(noEntity.body.error.details[0]).toMatchObject({ path: "entity" });
    expect(await stored(u.id)).toBe(0);
  });

  it("a shorter retention refuses older heartbeats and prunes the kept ones past it", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const now = Date.now();
    await post(key, [heartbeat(now - 10 * 24 * 60 * MIN), heartbeat(now - MIN)]);
    expect(await stored(u.id)).toBe(2);
    const patched = await api("/api/auth/me/", { method: "PATCH", token: u.token, body: { heartbeat_retention_days: 3 } });
    expect(patched.body.heartbeat_retention_days).toBe(3);
    expect(await stored(u.id)).toBe(1);
    const res = await post(key, [heartbeat(now - 4 * 24 * 60 * MIN)]);
    expect((res.body as { responses: [{ error: string }, number][] }).responses[0]).toEqual([
      { error: "time: Too old: heartbeats older than your retention period (3 days) are not kept.", errors: { time: ["Too old: heartbeats older than your retention period (3 days) are not kept."] } },
      400,
    ]);
  });

  it("refuses settings out of range, naming the field", async () => {
    const u = await makeUser();
    for (const body of [{ idle_timeout_minutes: 0 }, { idle_timeout_minutes: 61 }, { heartbeat_retention_days: 0 }, { heartbeat_retention_days: 366 }]) {
      const res = await api("/api/auth/me/", { method: "PATCH", token: u.token, body });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details[0]!.path).toBe(Object.keys(body)[0]);
    }
  });
});

describe("editors ingest: security", () => {
  it("is rate limited per key: over the limit the whole request is a 429 with Retry-After and nothing is stored; another key is not affected", async () => {
    const u = await makeUser();
    const key = await editorKey(u);
    const other = await editorKey(u);
    const tokenId = (await api("/api/auth/tokens/", { token: u.token })).body.results.find((t) => t.scope === "EDITOR")!.id;
    const windowStart = Math.floor(Date.now() / 60_000) * 60;
    await env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 600)").bind(`editor:${tokenId}`, windowStart).run();
    const res = await post(key, [heartbeat(Date.now() - MIN)]);
    expectError(res, 429, "RATE_LIMITED");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await stored(u.id)).toBe(0);
    expectError(await api(`${V1}/statusbar/today`, { headers: { Authorization: basic(key) } }), 429, "RATE_LIMITED");
    expect((await post(other, [heartbeat(Date.now() - MIN)])).status).toBe(202);
  });

  it("stores a key's heartbeats for its own user only", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    await post(await editorKey(a), [heartbeat(Date.now() - MIN)]);
    expect(await stored(a.id)).toBe(1);
    expect(await stored(b.id)).toBe(0);
    const bar = await api(`${V1}/statusbar/today`, { headers: { Authorization: basic(await editorKey(b)) } });
    expect(bar.body.data.grand_total.total_seconds).toBe(0);
  });
});

describe("editors statusbar: today, in WakaTime's exact types", () => {
  it("sums today's time by category, project, language and editor; an idle gap does not count; two editors are not counted twice", async () => {
    const u = await makeUser({ timezone: "Asia/Kolkata" });
    const key = await editorKey(u);
    const now = Date.now();
    const day = dayOf(now, { timezone: "Asia/Kolkata", dayStartHour: 0 });
    const { start } = dayBounds(day, { timezone: "Asia/Kolkata", dayStartHour: 0 });
    // Five minutes of VS Code every minute, then 20 idle minutes, then Vim and VS Code interleaved for 3 minutes.
    const t0 = Math.max(start + 1000, now - 40 * MIN);
    const plan = [0, 1, 2, 3, 4, 5].map((m) => heartbeat(t0 + m * MIN));
    const later = t0 + 25 * MIN;
    plan.push(
      heartbeat(later, { user_agent: VIM, language: "Go", project: "billing-service", entity: "/b.go" }),
      heartbeat(later + 30_000, { entity: "/a.ts", category: "debugging" }),
      heartbeat(later + 60_000, { user_agent: VIM, language: "Go", project: "billing-service", entity: "/b.go" }),
      heartbeat(later + 3 * MIN, { user_agent: VIM, language: "Go", project: "billing-service", entity: "/b.go" }),
    );
    const inToday = plan.filter((h) => h.time * 1000 <= now);
    await post(key, inToday);
    const res = await api(`${V1}/statusbar/today`, { headers: { Authorization: basic(key) } });
    expect(res.status).toBe(200);
    const { data, cached_at, has_team_features } = res.body;
    expect(cached_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(has_team_features).toBe(false);
    expect(data.range).toMatchObject({ date: day, timezone: "Asia/Kolkata", start: new Date(start).toISOString().replace(".000Z", "Z") });
    expect(data.range.text).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2}(st|nd|rd|th) \d{4}$/);

    // The expected total from the plan: each gap under the 15-minute idle timeout counts.
    const times = inToday.map((h) => h.time * 1000).sort((a, b) => a - b);
    let expected = 0;
    for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! < 15 * MIN) expected += (times[i]! - times[i - 1]!) / 1000;
    const g = data.grand_total;
    expect(g.total_seconds).toBe(expected);
    expect(typeof g.decimal).toBe("string");
    expect(typeof g.digital).toBe("string");
    expect(typeof g.text).toBe("string");
    expect(Number.isInteger(g.hours) && Number.isInteger(g.minutes)).toBe(true);
    expect(g.digital).toBe(`${Math.floor(expected / 3600)}:${String(Math.floor((expected % 3600) / 60)).padStart(2, "0")}`);
    expect(g.decimal).toBe((Math.floor(expected / 3600) + Math.floor((expected % 3600) / 60) / 60).toFixed(2));
    for (const list of [data.categories, data.projects, data.languages, data.editors]) {
      expect(list.reduce((s: number, i: { total_seconds: number }) => s + i.total_seconds, 0)).toBeCloseTo(expected, 6);
      for (const item of list) {
        expect(Object.keys(item).sort()).toEqual(["decimal", "digital", "hours", "minutes", "name", "percent", "seconds", "text", "total_seconds"]);
        expect(item.digital).toMatch(/^\d+:\d\d:\d\d$/);
      }
    }
    if (times.length === plan.length) {
      expect(g.text).toBe("8 mins");
      expect(data.editors.map((e: { name: string }) => e.name).sort()).toEqual(["VS Code", "Vim"]);
      expect(data.categories.map((c: { name: string }) => c.name).sort()).toEqual(["Coding", "Debugging"]);
      expect(data.projects.find((p: { name: string }) => p.name === "devfocus-api")?.total_seconds).toBe(5 * 60 + 30);
    }
    expect(data.dependencies).toEqual([]);
    expect(data.machines).toEqual([]);
    expect(data.operating_systems).toEqual([]);
  });

  it("answers zero, in the same shape, on a day without activity", async () => {
    const u = await makeUser();
    const res = await api(`${V1}/statusbar/today`, { headers: { Authorization: basic(await editorKey(u)) } });
    expect(res.body.data.grand_total).toEqual({ decimal: "0.00", digital: "0:00", hours: 0, minutes: 0, text: "0 secs", total_seconds: 0 });
    expect(res.body.data.categories).toEqual([]);
  });
});
