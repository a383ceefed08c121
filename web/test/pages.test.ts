/**
 * Every page, as a user sees it, at 375 px and 1440 px: a screenshot of each (web/test/screenshots/,
 * git-ignored) and axe-core's check (no serious or critical violation). The account behind them has ten
 * days of recorded work, a team, tokens, an editor key and an editor project mapped to the team, all made
 * through the API the way the CLI would.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { ApiClient } from "../../client/index.ts";
import { addDays, dayBounds, dayOf } from "../../src/platform/time.ts";
import { axeViolations, context, launch, must, registerUser, screenshot, signIn, startServer, WIDTHS, type Server } from "./harness.ts";

let server: Server;
let browser: Browser;

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A city whose clock reads mid-afternoon now: the day so far has room for a morning of sessions. */
function afternoonZone(now = Date.now()): string {
  const cities = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia", "Atlantic/Azores", "Europe/London", "Europe/Paris",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Noumea", "Pacific/Auckland",
  ];
  const hour = (tz: string) => Number(new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "numeric", hourCycle: "h23" }).format(now));
  return cities.reduce((best, tz) => (Math.abs(hour(tz) - 15) < Math.abs(hour(best) - 15) ? tz : best));
}

type Reason = "INTERRUPT" | "QUICK_FIX" | "MEETING" | "OTHER";
interface Planned {
  title: string;
  /** local hour the session starts at, and its length in minutes */
  at: number;
  minutes: number;
  task: number;
  switches?: { after: number; reason: Reason; note?: string; to?: number }[];
  pause?: { after: number; minutes: number };
  team?: boolean;
}

/** A week of varied days: deep work, meetings, interruptions; each one's insights differ. */
const DAYS: Planned[][] = [
  [
    { title: "Auth refactor", at: 9, minutes: 150, task: 0, switches: [{ after: 95, reason: "MEETING", note: "standup" }], pause: { after: 100, minutes: 15 } },
    { title: "Code review", at: 14, minutes: 45, task: 1 },
  ],
  [
    { title: "Login bug", at: 9.5, minutes: 50, task: 2, switches: [{ after: 10, reason: "INTERRUPT", note: "prod alert" }, { after: 25, reason: "QUICK_FIX", to: 3 }] },
    { title: "Hotfix deploy", at: 11, minutes: 12, task: 3, switches: [{ after: 5, reason: "INTERRUPT", note: "pager" }, { after: 8, reason: "INTERRUPT" }] },
    { title: "Support", at: 13, minutes: 10, task: 3 },
    { title: "Triage", at: 15, minutes: 9, task: 1 },
  ],
  [
    { title: "Search index", at: 8.5, minutes: 130, task: 4, team: true, switches: [{ after: 40, reason: "OTHER" }, { after: 80, reason: "MEETING", note: "design sync" }] },
    { title: "Docs", at: 13.5, minutes: 40, task: 5 },
  ],
  [],
  [
    { title: "Export streaming", at: 10, minutes: 95, task: 6, team: true, pause: { after: 50, minutes: 20 } },
    { title: "Pairing", at: 15, minutes: 60, task: 4, team: true, switches: [{ after: 30, reason: "MEETING", note: "pairing with Bob" }] },
  ],
  [
    { title: "Flaky test", at: 9, minutes: 70, task: 2, switches: Array.from({ length: 11 }, (_, i) => ({ after: 5 + i * 6, reason: (i % 2 ? "QUICK_FIX" : "INTERRUPT") as Reason })) },
  ],
  [{ title: "Planning", at: 10, minutes: 35, task: 1, switches: [{ after: 20, reason: "MEETING", note: "sprint planning" }] }],
  [
    { title: "API client", at: 9, minutes: 110, task: 7, pause: { after: 60, minutes: 10 } },
    { title: "Reviews", at: 14, minutes: 30, task: 1, switches: [{ after: 15, reason: "INTERRUPT", note: "question from Carol" }] },
  ],
  [
    { title: "Dashboard charts", at: 9, minutes: 125, task: 8, switches: [{ after: 70, reason: "OTHER", to: 1 }] },
    { title: "Bug bash", at: 14, minutes: 40, task: 2, team: true },
  ],
];

const TASKS = [
  { title: "Refactor the auth middleware", type: "REFACTOR", priority: "MED", status: "IN_PROGRESS" },
  { title: "Review open pull requests", type: "FEATURE", priority: "LOW", status: "TODO" },
  { title: "Fix the login redirect loop", type: "BUG", priority: "HIGH", status: "IN_PROGRESS" },
  { title: "Hotfix: session cookie on Safari", type: "BUG", priority: "HIGH", status: "DONE" },
  { title: "Trigram search for tasks", type: "FEATURE", priority: "MED", status: "DONE", team: true },
  { title: "Document the day rule", type: "FEATURE", priority: "LOW", status: "TODO" },
  { title: "Stream CSV exports", type: "FEATURE", priority: "HIGH", status: "IN_PROGRESS", team: true },
  { title: "Typed API client", type: "REFACTOR", priority: "MED", status: "DONE" },
  { title: "Week charts on the dashboard", type: "FEATURE", priority: "MED", status: "IN_PROGRESS", team: true },
] as const;

const isTeamTask = (i: number) => "team" in TASKS[i]!;

async function record(api: ApiClient, start: number, p: Planned, taskIds: number[], team: number) {
  const begin = start + p.at * 60 * MIN;
  // A team task can only be worked on in a session of its team (which may use personal tasks too).
  const inTeam = p.team || [p.task, ...(p.switches ?? []).flatMap((w) => (w.to === undefined ? [] : [w.to]))].some(isTeamTask);
  const s = await must(api.POST("/api/sessions", { body: { title: p.title, started_at: iso(begin), ...(inTeam ? { team } : {}) } }));
  const path = { params: { path: { id: s.id } } };
  await must(api.POST("/api/sessions/{id}/attach_task", { ...path, body: { task_id: taskIds[p.task]!, role: "MAIN" } }));
  let on = taskIds[p.task]!;
  const events: { at: number; run: () => Promise<unknown> }[] = [];
  for (const w of p.switches ?? []) {
    const to = w.to === undefined ? null : taskIds[w.to]!;
    const from = on;
    events.push({
      at: begin + w.after * MIN,
      run: () => must(api.POST("/api/context-switches", { body: { dev_session: s.id, from_task: from, to_task: to, reason: w.reason, note: w.note ?? "", happened_at: iso(begin + w.after * MIN) } })),
    });
    if (to !== null) on = to;
  }
  let end = begin + p.minutes * MIN;
  if (p.pause) {
    const from = begin + p.pause.after * MIN;
    const to = from + p.pause.minutes * MIN;
    events.push({ at: from, run: () => must(api.POST("/api/sessions/{id}/pause", { ...path, body: { at: iso(from) } })) });
    events.push({ at: to, run: () => must(api.POST("/api/sessions/{id}/resume", { ...path, body: { at: iso(to) } })) });
    end += p.pause.minutes * MIN;
  }
  events.sort((a, b) => a.at - b.at);
  for (const e of events) await e.run();
  return { id: s.id, end };
}

interface Seeded {
  email: string;
  team: number;
}

async function seed(base: string): Promise<Seeded> {
  const zone = afternoonZone();
  const ada = await registerUser(base, "ada@example.com", { name: "Ada Lovelace", timezone: zone });
  const api = ada.api;
  const team = await must(api.POST("/api/teams", { body: { name: "Acme Platform" } }));
  for (const [email, name, role] of [
    ["bob@example.com", "Bob Kahn", "ADMIN"],
    ["carol@example.com", "Carol Shaw", "MEMBER"],
    ["dave@example.com", "Dave Cutler", "VIEWER"],
  ] as const) {
    await registerUser(base, email, { name });
    await must(api.POST("/api/teams/{id}/members", { params: { path: { id: team.id } }, body: { email, role } }));
  }
  const taskIds: number[] = [];
  for (const t of TASKS) {
    const { team: inTeam, ...body } = { team: false, ...t };
    taskIds.push((await must(api.POST("/api/tasks", { body: { ...body, ...(inTeam ? { team: team.id } : {}) } }))).id);
  }
  const prefs = { timezone: zone, dayStartHour: 0 };
  const today = dayOf(Date.now(), prefs);
  for (let back = DAYS.length; back >= 1; back--) {
    const day = addDays(today, -back);
    const { start } = dayBounds(day, prefs);
    for (const p of DAYS[DAYS.length - back]!) {
      const { id, end } = await record(api, start, p, taskIds, team.id);
      await must(api.POST("/api/sessions/{id}/close", { params: { path: { id } }, body: { ended_at: iso(end) } }));
    }
    await must(api.POST("/api/reports/daily", { body: { date: day } }));
  }
  // Today: a closed morning session, and one running since 50 minutes ago with a switch and a pause.
  const now = Date.now();
  const { start } = dayBounds(today, prefs);
  const morningAt = Math.min(9, (now - start) / (60 * MIN) - 3);
  const morning = await record(api, start, { title: "Release notes", at: morningAt, minutes: 55, task: 5, switches: [{ after: 35, reason: "INTERRUPT", note: "customer call" }] }, taskIds, team.id);
  await must(api.POST("/api/sessions/{id}/close", { params: { path: { id: morning.id } }, body: { ended_at: iso(morning.end) } }));
  const runningAt = (now - start) / (60 * MIN) - 50 / 60;
  const run = await record(
    api,
    start,
    { title: "Dashboard charts", at: runningAt, minutes: 0, task: 8, switches: [{ after: 20, reason: "QUICK_FIX", note: "typo on the docs page", to: 5 }, { after: 26, reason: "OTHER", to: 8 }], pause: { after: 30, minutes: 8 } },
    taskIds,
    team.id,
  );
  void run;
  await must(api.POST("/api/reports/daily", { body: { date: today } }));
  for (const name of ["laptop CLI", "CI"]) await must(api.POST("/api/auth/tokens", { body: { name } }));
  // What an editor needs: a key for wakatime-cli, and a project whose editor sessions open in the team.
  await must(api.POST("/api/auth/tokens", { body: { name: "my editors", scope: "EDITOR" } }));
  await must(api.POST("/api/editor-projects", { body: { project: "devfocus-api", team: team.id } }));
  return { email: "ada@example.com", team: team.id };
}

let seeded: Seeded;

before(async () => {
  [server, browser] = await Promise.all([startServer("pages"), launch()]);
  seeded = await seed(server.base);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const PAGES = [
  { name: "today", link: "Today", ready: (p: Page) => p.getByRole("heading", { name: "Timeline" }).waitFor() },
  { name: "week", link: "Week", ready: (p: Page) => p.getByRole("heading", { name: "Against the week before" }).waitFor() },
  { name: "insights", link: "Insights", ready: (p: Page) => p.locator(".insights li").first().waitFor() },
  { name: "tasks", link: "Tasks", ready: (p: Page) => p.locator(".tasks-table tbody tr").first().waitFor() },
  { name: "team", link: "Team", ready: (p: Page) => p.locator("table.members tbody tr").nth(3).waitFor() },
  {
    name: "settings",
    link: "Settings",
    ready: (p: Page) =>
      Promise.all(["table.browsers tbody tr", "table.tokens tbody tr:nth-child(3)", "table.editor-keys tbody tr", "table.editor-projects tbody tr"].map((row) => p.locator(row).first().waitFor())),
  },
] as const;

for (const width of Object.keys(WIDTHS) as (keyof typeof WIDTHS)[]) {
  test(`every page at ${WIDTHS[width].width} px: a screenshot, and no serious or critical axe violation`, async () => {
    const ctx = await context(browser, server.base, width);
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && !/401 \(Unauthorized\)/.test(m.text()) && problems.push(`console: ${m.text()}`));

    for (const [name, path, heading] of [
      ["signin", "/signin", "Sign in to DevFocus"],
      ["signup", "/signup", "Create your DevFocus account"],
    ] as const) {
      await page.goto(path);
      await page.getByRole("heading", { name: heading }).waitFor();
      await screenshot(page, `${name}-${width}`);
      assert.deepEqual(await axeViolations(page), [], `${name} at ${width}`);
    }

    await signIn(page, seeded.email);
    for (const p of PAGES) {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: p.link }).click();
      await p.ready(page);
      await screenshot(page, `${p.name}-${width}`);
      // Nothing wider than the window: no sideways scrolling at 375 px (what sticks out, if anything).
      const wide = await page.evaluate(() => {
        const w = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= w) return [];
        return [...document.querySelectorAll<HTMLElement>("body *")]
          .filter((el) => el.getBoundingClientRect().right > w + 0.5 && !el.closest(".table-wrap, .sr-only"))
          .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right - w)} px`)
          .slice(0, 8);
      });
      assert.deepEqual(wide, [], `${p.name} at ${width} is wider than the window`);
      assert.deepEqual(await axeViolations(page), [], `${p.name} at ${width}`);
    }

    // Last week, whole; then the team's week (Ada is its OWNER).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Week" }).click();
    await page.getByRole("button", { name: "← Previous week" }).click();
    await page.getByText(/You had \d+ sessions in the week of/).waitFor();
    await screenshot(page, `week-previous-${width}`);
    await page.getByRole("button", { name: "This week" }).click();
    await page.getByLabel("Whose week").selectOption({ label: "Team Acme Platform" });
    await page.getByText(/The team had \d+ sessions? in the week of/).waitFor();
    await screenshot(page, `week-team-${width}`);

    // Deep links load their page (the assets' single-page fallback).
    await page.goto("/insights");
    await page.getByRole("heading", { name: "Insights", level: 1 }).waitFor();

    await page.goto("/api/docs");
    await page.getByRole("heading", { name: "DevFocus API" }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, `docs-${width}`, { fullPage: false });
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}

test("the keyboard alone reaches and operates the controls", async () => {
  const ctx = await context(browser, server.base);
  const page = await ctx.newPage();
  await signIn(page, seeded.email);
  await page.getByRole("heading", { name: "Timeline" }).waitFor();
  // The skip link comes first, then the navigation.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Week");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Week", level: 1 }).waitFor();
  // Every interactive element on each page is focusable and has an accessible name (axe checks names; this, focus).
  for (const link of ["Today", "Tasks", "Team", "Settings"]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
    await page.getByRole("heading", { name: link, level: 1 }).waitFor();
    await page.locator(".loading").first().waitFor({ state: "detached" }).catch(() => undefined);
    const unreachable = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("main button, main a[href], main input, main select, main textarea, main summary")]
        .filter((el) => !(el as HTMLButtonElement).disabled && el.tabIndex < 0)
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unreachable, [], link);
  }
  await ctx.close();
});
