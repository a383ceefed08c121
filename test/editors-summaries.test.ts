/**
 * `GET …/users/current/summaries?start=&end=`: editor time per day of the user's calendar in WakaTime's shape,
 * on DST days (23 and 25 hours long), with the cumulative total and the daily average.
 */
import { describe, expect, it } from "vitest";
import { api, expectError, makeUser, ok } from "./harness";

const MIN = 60_000;
const V1 = "/api/compat/wakatime/v1/users/current";
const basic = (key: string) => `Basic ${btoa(key)}`;

async function nyEditor() {
  const user = await makeUser({ timezone: "America/New_York" });
  await ok(api("/api/auth/me/", { method: "PATCH", token: user.token, body: { heartbeat_retention_days: 365 } }));
  const key = (await ok(api("/api/auth/tokens/", { token: user.token, body: { name: "e", scope: "EDITOR" } }))).token;
  return { user, key };
}

const beats = (fromIso: string, count: number, project = "api") =>
  Array.from({ length: count }, (_, i) => ({ entity: `/${project}.ts`, type: "file", time: (Date.parse(fromIso) + i * 2 * MIN) / 1000, category: "coding", project, language: "Go" }));

describe("editors summaries: happy path", () => {
  it("cuts days by the day rule, DST included, and adds up in WakaTime's types", async () => {
    const { key } = await nyEditor();
    // 2026-03-08 01:00 EST (06:00Z) → 04:00 EDT (08:00Z): three hours on the wall clock, two real ones.
    const spring = beats("2026-03-08T06:00:00Z", 61);
    // 2026-11-01 00:30 EDT (04:30Z) → 01:30 EST (06:30Z): one hour on the wall clock, two real ones.
    const fall = beats("2026-11-01T04:30:00Z", 61, "web");
    for (const bulk of [spring.slice(0, 25), spring.slice(25), fall.slice(0, 10), fall.slice(10)]) {
      expect((await api(`${V1}/heartbeats.bulk`, { method: "POST", headers: { Authorization: basic(key) }, body: bulk })).status).toBe(202);
    }
    const res = await api(`${V1}/summaries?start=2026-03-07&end=2026-03-09`, { headers: { Authorization: basic(key) } });
    expect(res.status).toBe(200);
    const { data, cumulative_total, daily_average, start, end } = res.body;
    expect(data.map((d) => d.range.date)).toEqual(["2026-03-07", "2026-03-08", "2026-03-09"]);
    // The 23-hour day: from 05:00Z (midnight EST) to 04:00Z the next day (midnight EDT).
    expect(data[1]!.range).toMatchObject({ start: "2026-03-08T05:00:00Z", end: "2026-03-09T03:59:59Z", text: "Sun Mar 8th 2026", timezone: "America/New_York" });
    expect(data[1]!.grand_total).toEqual({ decimal: "2.00", digital: "2:00", hours: 2, minutes: 0, text: "2 hrs", total_seconds: 7200 });
    expect(data[1]!.projects.map((p) => [p.name, p.total_seconds, p.percent, p.digital])).toEqual([["api", 7200, 100, "2:00:00"]]);
    expect(data[0]!.grand_total.total_seconds).toBe(0);
    expect(cumulative_total).toEqual({ seconds: 7200, text: "2 hrs", decimal: "2.00", digital: "2:00" });
    expect(daily_average).toEqual({ seconds: 7200, text: "2 hrs", days_including_holidays: 3, days_minus_holidays: 1, holidays: 2 });
    expect([start, end]).toEqual(["2026-03-07T05:00:00Z", "2026-03-10T03:59:59Z"]);

    // The 25-hour day, and a project filter.
    const nov = await ok(api(`${V1}/summaries?start=2026-11-01&end=2026-11-01&project=web`, { headers: { Authorization: basic(key) } }));
    expect(nov.data[0]!.range).toMatchObject({ start: "2026-11-01T04:00:00Z", end: "2026-11-02T04:59:59Z" });
    expect(nov.data[0]!.grand_total.total_seconds).toBe(7200);
    const other = await ok(api(`${V1}/summaries?start=2026-11-01&end=2026-11-01&project=api`, { headers: { Authorization: basic(key) } }));
    expect(other.cumulative_total.seconds).toBe(0);
  });
});

describe("editors summaries: errors", () => {
  it("refuses an end before the start, more than 92 days, and bad days, naming the field", async () => {
    const { key } = await nyEditor();
    for (const [query, field] of [
      ["start=2026-03-09&end=2026-03-08", "end"],
      ["start=2026-01-01&end=2026-06-01", "end"],
      ["start=2026-02-30&end=2026-03-01", "start"],
      ["end=2026-03-01", "start"],
    ] as const) {
      const res = await api(`${V1}/summaries?${query}`, { headers: { Authorization: basic(key) } });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details.map((d) => d.path)).toContain(field);
    }
  });
});

describe("editors summaries: security", () => {
  it("needs a credential, and shows only the key's own user", async () => {
    expectError(await api(`${V1}/summaries?start=2026-03-08&end=2026-03-08`), 401, "UNAUTHORIZED");
    const a = await nyEditor();
    const b = await nyEditor();
    await api(`${V1}/heartbeats.bulk`, { method: "POST", headers: { Authorization: basic(a.key) }, body: beats("2026-03-08T06:00:00Z", 10) });
    const theirs = await ok(api(`${V1}/summaries?start=2026-03-08&end=2026-03-08`, { headers: { Authorization: basic(b.key) } }));
    expect(theirs.cumulative_total.seconds).toBe(0);
  });
});
