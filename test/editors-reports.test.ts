/**
 * Reports gain editor time — seconds by project, language, editor and category — from the heartbeats of their
 * period: a user's daily and weekly reports, and a team's (its members' time on the projects mapped to it).
 */
import { describe, expect, it } from "vitest";
import { addDays, dayOf, dayStart } from "../src/platform/time";
import { api, createTeam, makeUser, newMember, ok, type Schemas, type TestUser } from "./harness";

const MIN = 60_000;
const BULK = "/api/compat/wakatime/v1/users/current/heartbeats.bulk";
const VSCODE = "wakatime/v1.102.1 (linux) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0";
const VIM = "wakatime/v1.102.1 (darwin) go1.22.1 vim/9.1 vim-wakatime/11.2.0";
const UTC = { timezone: "UTC", dayStartHour: 0 };

async function send(user: TestUser, beats: Schemas["Heartbeat"][]) {
  const key = (await ok(api("/api/auth/tokens/", { token: user.token, body: { name: "e", scope: "EDITOR" } }))).token;
  for (let i = 0; i < beats.length; i += 10) {
    const res = await api(BULK, { method: "POST", headers: { Authorization: `Basic ${btoa(key)}` }, body: beats.slice(i, i + 10) });
    expect(res.status).toBe(202);
  }
}

/** `n` heartbeats a minute apart from `start` (ms). */
const run = (start: number, n: number, project: string, language: string, ua = VSCODE, category = "coding"): Schemas["Heartbeat"][] =>
  Array.from({ length: n }, (_, i) => ({ entity: `/${project}.x`, type: "file", time: (start + i * MIN) / 1000, category, project, language, user_agent: ua }));

interface EditorTime {
  total_seconds: number;
  projects: { name: string; seconds: number }[];
  languages: { name: string; seconds: number }[];
  editors: { name: string; seconds: number }[];
  categories: { name: string; seconds: number }[];
}

describe("editors reports: happy path", () => {
  it("a daily report holds the day's editor time by project, language, editor and category; the weekly one per day", async () => {
    const u = await makeUser();
    const day = addDays(dayOf(Date.now(), UTC), -2);
    const at = dayStart(day, UTC) + 9 * 60 * MIN;
    // 30 minutes of TypeScript in VS Code, then 10 of Go debugging in Vim.
    await send(u, [...run(at, 31, "devfocus-api", "TypeScript"), ...run(at + 31 * MIN, 11, "billing-service", "Go", VIM, "debugging")]);
    const daily = await ok(api("/api/reports/daily/", { token: u.token, body: { date: day } }));
    const t = daily.payload.editor_time as EditorTime;
    expect(t.total_seconds).toBe(41 * 60);
    expect(t.projects).toEqual([
      { name: "devfocus-api", seconds: 31 * 60 },
      { name: "billing-service", seconds: 10 * 60 },
    ]);
    expect(t.languages.map((l) => l.name)).toEqual(["TypeScript", "Go"]);
    expect(t.editors).toEqual([
      { name: "VS Code", seconds: 31 * 60 },
      { name: "Vim", seconds: 10 * 60 },
    ]);
    expect(t.categories).toEqual([
      { name: "coding", seconds: 31 * 60 },
      { name: "debugging", seconds: 10 * 60 },
    ]);

    const weekly = await ok(api("/api/reports/weekly/", { token: u.token, body: { week_of: day } }));
    const week = weekly.payload.editor_time as EditorTime & { days: { date: string; seconds: number }[] };
    expect(week.total_seconds).toBe(41 * 60);
    expect(week.days).toHaveLength(7);
    expect(week.days.find((d) => d.date === day)!.seconds).toBe(41 * 60);
    expect(week.days.reduce((s, d) => s + d.seconds, 0)).toBe(41 * 60);
  });

  it("a team's report counts its members' time on the projects mapped to the team, nothing else", async () => {
    const owner = await makeUser();
    const team = await createTeam(owner, { name: "Billing" });
    const dev = await newMember(team.id, owner, "MEMBER");
    await ok(api("/api/editor-projects/", { token: dev.token, body: { project: "billing-service", team: team.id } }));
    const day = addDays(dayOf(Date.now(), UTC), -2);
    const at = dayStart(day, UTC) + 9 * 60 * MIN;
    await send(dev, [...run(at, 21, "secret-side-project", "Rust"), ...run(at + 21 * MIN, 16, "billing-service", "Go")]);
    const report = await ok(api("/api/reports/daily/", { token: owner.token, body: { date: day, team: team.id } }));
    const t = report.payload.editor_time as EditorTime;
    expect(t.projects).toEqual([{ name: "billing-service", seconds: 15 * 60 }]);
    expect(JSON.stringify(report.payload)).not.toContain("secret-side-project");
    expect(report.payload.totals).toMatchObject({ sessions: 1 });
  });
});
