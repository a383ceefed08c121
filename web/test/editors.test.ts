/**
 * From your editor, in a real browser against its own `wrangler dev`: Settings makes an editor key and shows it
 * once with its ~/.wakatime.cfg lines; the key works the way wakatime-cli sends it and is refused once revoked;
 * the editor preferences save, and a bad value shows the API's message by its field; editor projects are mapped
 * to teams and removed. Then a day of three editors' wakatime-cli (./wakatime-cli.ts: its requests byte for byte
 * and its way of reading the answers, from its source), configured by nothing but those lines, becomes sessions,
 * a pause and switches with reasons, over the API and on the Today page.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { axeViolations, context, launch, middayZone, must, registerUser, screenshot, signIn, startServer, WIDTHS, type Server } from "./harness.ts";
import { API_KEY, SEND_LIMIT, WakatimeCli, type Heartbeat, type Outcome } from "./wakatime-cli.ts";

let server: Server;
let browser: Browser;
const homes: string[] = [];

before(async () => {
  [server, browser] = await Promise.all([startServer("editors"), launch()]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

const within = { timeout: 15_000 };
const MIN = 60_000;

async function openSettings(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor(within);
}

/** Makes an editor key on the Settings page; returns the ~/.wakatime.cfg lines it shows, and their parts. */
async function createEditorKey(page: Page, name: string) {
  const keys = page.getByRole("region", { name: "Editor keys" });
  await keys.getByLabel("Key name").fill(name);
  await keys.getByRole("button", { name: "Create editor key" }).click();
  const lines = keys.getByTestId("wakatime-cfg");
  await lines.waitFor(within);
  const cfg = (await lines.textContent()) ?? "";
  const m = /^\[settings\]\napi_url = (\S+)\napi_key = (\S+)\n$/.exec(cfg);
  assert.ok(m, `the ~/.wakatime.cfg lines: ${JSON.stringify(cfg)}`);
  return { keys, cfg, apiUrl: m[1]!, key: m[2]! };
}

/** One heartbeat the way wakatime-cli posts it, with the key as Basic base64(key). */
const postOne = (apiUrl: string, key: string) =>
  fetch(`${apiUrl}/users/current/heartbeats.bulk`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(key).toString("base64")}`, "Content-Type": "application/json" },
    body: JSON.stringify([{ entity: "/home/ada/src/devfocus-api/src/app.ts", type: "file", category: "coding", project: "devfocus-api", time: (Date.now() - MIN) / 1000 }]),
  });

test("settings: an editor key is shown once with its ~/.wakatime.cfg lines, works as wakatime-cli sends it, and is refused once revoked", async () => {
  const ada = await registerUser(server.base, "ada@example.com", { name: "Ada" });
  const ctx = await context(browser, server.base);
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.base });
  const page = await ctx.newPage();
  await signIn(page, "ada@example.com");
  await openSettings(page);

  const { keys, cfg, apiUrl, key } = await createEditorKey(page, "my editors");
  assert.equal(apiUrl, `${server.base}/api/compat/wakatime/v1`);
  assert.match(key, /^waka_/);
  assert.match(key, API_KEY, "a key wakatime-cli accepts");
  assert.equal(await keys.getByLabel("New editor key").inputValue(), key);
  await keys.getByRole("button", { name: "Copy the ~/.wakatime.cfg lines" }).click();
  await keys.getByRole("button", { name: "Copied the ~/.wakatime.cfg lines" }).waitFor(within);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), cfg, "Copy copies the lines as shown");
  assert.match(await keys.innerText(), /devfocus editor setup/, "the CLI's way is offered too");

  // Listed with the editor keys by its first characters, not with the API tokens.
  const rows = keys.locator("table.editor-keys tbody tr");
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), new RegExp(`my editors[\\s\\S]*${key.slice(0, 13)}…`));
  // An API token beside it is made and listed as before: with the API tokens, not the editor keys.
  const tokens = page.getByRole("region", { name: "API tokens" });
  await tokens.getByLabel("Token name").fill("laptop CLI");
  await tokens.getByRole("button", { name: "Create token" }).click();
  await tokens.locator("table.tokens tbody tr", { hasText: "laptop CLI" }).waitFor(within);
  assert.match(await tokens.getByLabel("New token value").inputValue(), /^dfk_/);
  assert.equal(await tokens.getByText("my editors").count(), 0);
  assert.equal(await rows.count(), 1);
  assert.deepEqual(await axeViolations(page), [], "Settings with a new key shown");
  await screenshot(page, "settings-editor-key-desktop");
  // At 375 px the lines scroll inside their box; nothing makes the page wider than the window.
  await page.setViewportSize(WIDTHS.mobile);
  assert.deepEqual(await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]), [375, 375]);
  await keys.getByTestId("wakatime-cfg").scrollIntoViewIfNeeded();
  await screenshot(page, "settings-editor-key-mobile", { fullPage: false });
  assert.deepEqual(await axeViolations(page), [], "the new key at 375 px");

  // Shown once: after a reload it is nowhere on the page, and the API lists its first characters only.
  await page.reload();
  await page.getByRole("region", { name: "Editor keys" }).locator("table.editor-keys tbody tr").first().waitFor(within);
  const html = await page.content();
  assert.equal(html.includes(key.slice(13)), false, "the key is not shown again");
  const listed = await must(ada.api.GET("/api/auth/tokens"));
  assert.deepEqual(
    listed.results.filter((t) => t.scope === "EDITOR").map((t) => [t.name, t.prefix]),
    [["my editors", key.slice(0, 13)]],
  );
  assert.equal(JSON.stringify(listed).includes(key.slice(13)), false);

  // The key works where wakatime-cli sends it …
  const stored = await postOne(apiUrl, key);
  assert.equal(stored.status, 202);
  assert.deepEqual(((await stored.json()) as { responses: [unknown, number][] }).responses.map(([, s]) => s), [201]);
  // … and is refused once revoked from the page.
  await page.getByRole("button", { name: "Revoke my editors" }).click();
  await page.locator("table.editor-keys").waitFor({ state: "detached", ...within });
  const refused = await postOne(apiUrl, key);
  assert.equal(refused.status, 401);
  await ctx.close();
});

test("settings: the editor preferences save, and a value the API refuses shows its message by the field", async () => {
  const bob = await registerUser(server.base, "bob@example.com", { name: "Bob" });
  const ctx = await context(browser, server.base, "mobile");
  const page = await ctx.newPage();
  await signIn(page, "bob@example.com");
  await openSettings(page);
  const prefs = page.getByRole("region", { name: "Editor activity" });
  const idle = prefs.getByLabel("Idle timeout (minutes)");
  const retention = prefs.getByLabel("Keep heartbeats (days)");
  const hide = prefs.getByLabel("Hide file names");
  assert.equal(await idle.inputValue(), "15");
  assert.equal(await retention.inputValue(), "30");
  assert.equal(await hide.isChecked(), true);

  // 61 minutes: the API's 400 names the field, and its message shows under it, tied to it.
  await idle.fill("61");
  await prefs.getByRole("button", { name: "Save" }).click();
  await prefs.locator("input[aria-invalid=true]").waitFor(within);
  assert.equal(await idle.getAttribute("aria-invalid"), "true");
  const describedBy = ((await idle.getAttribute("aria-describedby")) ?? "").split(" ");
  const message = prefs.locator(".field-error");
  assert.equal(await message.count(), 1);
  assert.ok(describedBy.includes((await message.getAttribute("id"))!), "the message describes the input");
  assert.match(await message.innerText(), /60/);
  assert.equal(await prefs.getByRole("alert").innerText(), "The request has invalid fields.", "the field's detail is by the field, not repeated");
  assert.equal(await retention.getAttribute("aria-invalid"), null);
  assert.deepEqual(await axeViolations(page), [], "Settings with a field error at 375 px");
  await screenshot(page, "settings-editor-error-mobile");
  assert.equal((await must(bob.api.GET("/api/auth/me"))).idle_timeout_minutes, 15, "nothing was saved");

  await idle.fill("25");
  await retention.fill("7");
  await hide.uncheck();
  await prefs.getByRole("button", { name: "Save" }).click();
  await prefs.getByText("Saved.", { exact: false }).waitFor(within);
  assert.equal(await message.count(), 0);
  assert.equal(await idle.getAttribute("aria-invalid"), null);
  const me = await must(bob.api.GET("/api/auth/me"));
  assert.deepEqual([me.idle_timeout_minutes, me.heartbeat_retention_days, me.hide_file_names], [25, 7, false]);
  await ctx.close();
});

test("settings: an editor project is mapped to a team where the user is MEMBER or above, and removed", async () => {
  const grace = await registerUser(server.base, "grace@example.com", { name: "Grace" });
  const other = await registerUser(server.base, "olga@example.com", { name: "Olga" });
  const billing = await must(grace.api.POST("/api/teams", { body: { name: "Billing" } }));
  const watched = await must(other.api.POST("/api/teams", { body: { name: "Observers" } }));
  await must(other.api.POST("/api/teams/{id}/members", { params: { path: { id: watched.id } }, body: { email: "grace@example.com", role: "VIEWER" } }));

  const ctx = await context(browser, server.base);
  const page = await ctx.newPage();
  await signIn(page, "grace@example.com");
  await openSettings(page);
  const section = page.getByRole("region", { name: "Editor projects in teams" });
  const form = section.getByRole("form", { name: "Map an editor project" });
  await form.waitFor(within);
  const teams = await form.getByLabel("Team").locator("option").allInnerTexts();
  assert.deepEqual(teams, ["Choose a team", "Billing"], "only the teams where Grace may open sessions");

  await form.getByLabel("Project").fill("billing-service");
  await form.getByLabel("Team").selectOption({ label: "Billing" });
  await form.getByRole("button", { name: "Map project" }).click();
  const row = section.locator("[data-project='billing-service']");
  await row.waitFor(within);
  assert.match(await row.innerText(), /billing-service[\s\S]*Billing/);
  assert.deepEqual(
    (await must(grace.api.GET("/api/editor-projects"))).results.map((m) => [m.project, m.team]),
    [["billing-service", billing.id]],
  );

  // The same project again: the API's refusal is shown; the list is unchanged.
  await form.getByLabel("Project").fill("billing-service");
  await form.getByRole("button", { name: "Map project" }).click();
  await section.getByRole("alert").getByText(/already mapped/).waitFor(within);
  assert.equal(await section.locator("tbody tr").count(), 1);
  // A team where she is a VIEWER is not offered, and the API refuses it anyway.
  const forced = await page.evaluate(async (team) => {
    const r = await fetch("/api/editor-projects/", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ project: "watching", team }) });
    return r.status;
  }, watched.id);
  assert.equal(forced, 403);

  await section.getByRole("button", { name: "Remove the mapping of billing-service" }).click();
  await row.waitFor({ state: "detached", ...within });
  assert.deepEqual((await must(grace.api.GET("/api/editor-projects"))).results, []);
  await ctx.close();
});

// ─── A day from three editors' wakatime-cli ────────────────────────────────────────────────────────────────

const REPO = "/home/margaret/src";
/** Minutes after the day's first heartbeat: the plan every assertion below is worked out from. */
const PLAN = {
  /** VS Code on devfocus-api (main), every 2 minutes; Vim beside it from minute 11 */
  api: { from: 0, to: 38 },
  vim: { from: 11, to: 39 },
  /** 23 idle minutes (over the 15-minute idle timeout, under 2 hours): a pause */
  back: { from: 62, to: 78 },
  /** onto another project: a switch, OTHER */
  billing: { from: 80, to: 98 },
  /** onto a hotfix branch: QUICK_FIX */
  hotfix: { from: 100, to: 114 },
  /** a meeting, from the Mac's WakaTime app (an app heartbeat with no project): MEETING */
  meeting: { from: 116, to: 126 },
  /** and back to the hotfix: OTHER */
  after: { from: 128, to: 136 },
};
const every2 = ({ from, to }: { from: number; to: number }) => Array.from({ length: (to - from) / 2 + 1 }, (_, i) => from + 2 * i);
const chunk = <T,>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

function expectStored(o: Outcome, label: string, statuses: number[]) {
  assert.equal(o.failure, null, `${label}: the batch failed (${o.failure})`);
  assert.deepEqual(o.requeued, [], `${label}: nothing goes back to the offline queue`);
  assert.deepEqual(o.results.map((r) => r.status), statuses, `${label}: ${JSON.stringify(o.results)}`);
}

test("wakatime-cli, configured by nothing but the page's ~/.wakatime.cfg lines, records a day: sessions, a pause and switches with reasons", async () => {
  const zone = middayZone();
  const margaret = await registerUser(server.base, "margaret@example.com", { name: "Margaret", timezone: zone });
  const ctx = await context(browser, server.base);
  const page = await ctx.newPage();
  await signIn(page, "margaret@example.com");
  await openSettings(page);
  const { cfg } = await createEditorKey(page, "laptop and mac");

  // A HOME holding only ~/.wakatime.cfg, with the lines exactly as the page shows them.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "devfocus-wakatime-home-"));
  homes.push(home);
  fs.writeFileSync(path.join(home, ".wakatime.cfg"), cfg, { mode: 0o600 });
  assert.deepEqual(fs.readdirSync(home), [".wakatime.cfg"]);
  const laptop = { hostname: "margaret-laptop", timezone: zone };
  const vscode = new WakatimeCli(home, "vscode/1.88.0 vscode-wakatime/24.5.0", laptop);
  const vim = new WakatimeCli(home, "vim/9.1.0 vim-wakatime/11.2.0", laptop);
  const mac = new WakatimeCli(home, "macos-wakatime/5.12.1", { hostname: "margaret-mac", timezone: zone, system: "darwin-23.4.0-arm64" });
  assert.equal(vscode.config.apiUrl, `${server.base}/api/compat/wakatime/v1`);

  const t0 = Date.now() - 145 * MIN;
  const at = (minute: number) => (t0 + minute * MIN) / 1000;
  const code = (cli: WakatimeCli, minute: number, project: string, branch: string, file: string, language = "TypeScript"): Heartbeat =>
    cli.heartbeat({
      branch,
      category: "coding",
      cursorpos: 12 + minute,
      dependencies: language === "TypeScript" ? ["hono", "zod"] : [],
      entity: `${REPO}/${project}/${file}`,
      type: "file",
      is_write: minute % 6 === 0,
      language,
      lineno: 40 + minute,
      lines: 320,
      project,
      project_root_count: 5,
      time: at(minute),
    });
  const vs = [
    ...every2(PLAN.api).map((m) => code(vscode, m, "devfocus-api", "main", "src/app.ts")),
    ...every2(PLAN.back).map((m) => code(vscode, m, "devfocus-api", "main", "src/modules/editors/derive.ts")),
    // Go escapes & < > in JSON strings (\u0026 …): the server reads them as any JSON.
    ...every2(PLAN.billing).map((m) => code(vscode, m, "billing-service", "main", "src/refunds&credits <v2>.ts")),
    ...every2(PLAN.hotfix).map((m) => code(vscode, m, "billing-service", "hotfix/refund-rounding", "src/rounding.ts")),
    ...every2(PLAN.after).map((m) => code(vscode, m, "billing-service", "hotfix/refund-rounding", "src/rounding.test.ts")),
  ];
  const vimBeats = every2(PLAN.vim).map((m) => code(vim, m, "devfocus-api", "main", "src/db/schema.ts"));
  const meeting = every2(PLAN.meeting).map((m) => mac.heartbeat({ category: "meeting", entity: "Zoom", type: "app", time: at(m) }));
  assert.equal(vimBeats.at(-1)!.time, at(PLAN.vim.to), "Vim's last heartbeat starts the pause");
  assert.match(vscode.bulkRequest([vs.find((h) => h.project === "billing-service")!]).body, /refunds\\u0026credits \\u003cv2\\u003e\.ts/);

  // The bytes on the wire are Go's: header order, Basic base64(key), the HTML-safe JSON.
  const sample = vscode.bulkRequest(vs.slice(0, 2));
  const head = sample.bytes.toString("latin1").split("\r\n\r\n")[0]!.split("\r\n");
  assert.deepEqual(
    head.map((l) => l.split(":")[0]),
    ["POST /api/compat/wakatime/v1/users/current/heartbeats.bulk HTTP/1.1", "Host", "User-Agent", "Content-Length", "Accept", "Authorization", "Content-Type", "Timezone", "X-Machine-Name", "Accept-Encoding"],
  );
  assert.match(head[2]!, /^User-Agent: wakatime\/v1\.90\.0 \(linux-[^)]+-x86_64\) go1\.\d+\.\d+ vscode\/1\.88\.0 vscode-wakatime\/24\.5\.0$/);
  assert.match(sample.body, /^\[\{"branch":"main","category":"coding","cursorpos":12,"dependencies":\["hono","zod"\],"entity":"[^"]+","type":"file","is_write":true,"language":"TypeScript","lineno":40,"lines":320,"project":"devfocus-api","project_root_count":5,"time":[\d.]+,"user_agent":"wakatime\/v1\.90\.0 /);

  // The day as the plugins send it: VS Code buffers heartbeats and calls the cli with up to 5 at a time; Vim
  // calls it per heartbeat, but its first answers were lost (the cli queued 10 heartbeats offline), synced
  // later in one bulk; the Mac sends the meeting when it ends. VS Code's third call is sent twice (the cli
  // timed out reading the first answer and queued it again).
  const [vimLost, vimLive] = [vimBeats.slice(0, 10), vimBeats.slice(10)];
  const sent: { label: string; outcome: Outcome }[] = [];
  const send = async (label: string, cli: WakatimeCli, beats: Heartbeat[]) => {
    const outcome = await cli.send(beats);
    sent.push({ label, outcome });
    return outcome;
  };
  const fresh = (beats: Heartbeat[]) => beats.map(() => 201);
  const calls = [...chunk(vs, 5).map((beats, i) => ({ label: `vscode #${i}`, cli: vscode, beats })), { label: "mac meeting", cli: mac, beats: meeting }];
  calls.sort((a, b) => a.beats.at(-1)!.time - b.beats.at(-1)!.time);
  for (const { label, cli, beats } of calls) {
    if (label === "vscode #3") {
      // Vim's live heartbeats and VS Code's bulk of the same minutes at the same moment: their derivations race.
      const [a, b] = await Promise.all([send(label, cli, beats), send("vim live", vim, vimLive)]);
      expectStored(a, label, fresh(beats));
      expectStored(b, "vim live", fresh(vimLive));
    } else expectStored(await send(label, cli, beats), label, fresh(beats));
    if (label === "vscode #2") expectStored(await send("vscode #2 again", cli, beats), "vscode #2 re-sent", beats.map(() => 202));
  }
  // The offline queue syncs oldest first, after everything else: out-of-order arrival.
  assert.ok(vimLost.length <= SEND_LIMIT);
  expectStored(await send("vim offline sync", vim, vimLost), "vim offline sync", vimLost.map(() => 201));
  // A heartbeat from a machine whose clock is an hour ahead: its own 400, which the cli drops (never re-sends).
  const skewed = code(vscode, 0, "devfocus-api", "main", "src/clock.ts");
  skewed.time = (Date.now() + 60 * MIN) / 1000;
  const last = await send("vscode skewed clock", vscode, [skewed]);
  assert.equal(last.failure, null);
  assert.deepEqual(last.requeued, []);
  assert.deepEqual(last.dropped, [skewed], "a bad heartbeat is dropped on its own 400, not the batch's");
  assert.match(last.results[0]!.errors.join(" "), /future/);
  for (const { label, outcome } of sent) assert.ok([201, 202].includes(outcome.answer.status), `${label}: ${outcome.answer.status}`);

  // `wakatime-cli --today`, decoded into its Go structs and printed as it prints it.
  const today = await vscode.today();
  assert.match(today.printed, /^\d+ hrs? \d+ mins Coding, \d+ mins Meeting$/, today.printed);

  // Over the API: one editor session (the project and branch changes and the meeting are switches in it, the
  // 23 idle minutes a pause), from the first heartbeat to the last.
  const sessions = (await must(margaret.api.GET("/api/sessions", { params: { query: { source: "EDITOR" } } }))).results;
  assert.equal(sessions.length, 1, JSON.stringify(sessions));
  const s = await must(margaret.api.GET("/api/sessions/{id}", { params: { path: { id: sessions[0]!.id } } }));
  const iso = (minute: number) => new Date(Math.round(at(minute) * 1000)).toISOString();
  assert.equal(s.status, "DONE");
  assert.equal(s.source, "EDITOR");
  assert.equal(s.started_at, iso(0));
  assert.equal(s.ended_at, iso(PLAN.after.to));
  assert.deepEqual(s.pauses.map((p) => [p.paused_at, p.resumed_at]), [[iso(PLAN.vim.to), iso(PLAN.back.from)]]);
  assert.equal(s.total_focus_minutes, PLAN.after.to - (PLAN.back.from - PLAN.vim.to));
  assert.equal(s.switch_count, 4);
  const switches = (await must(margaret.api.GET("/api/context-switches", { params: { query: { source: "EDITOR" } } }))).results;
  assert.deepEqual(
    switches.map((w) => [w.happened_at, w.reason, w.note]).sort(),
    [
      [iso(PLAN.billing.from), "OTHER", "billing-service ← devfocus-api"],
      [iso(PLAN.hotfix.from), "QUICK_FIX", "billing-service: hotfix/refund-rounding ← main"],
      [iso(PLAN.meeting.from), "MEETING", "meeting ← billing-service"],
      [iso(PLAN.after.from), "OTHER", "billing-service ← meeting"],
    ],
  );

  // On the Today page: the session, its pause and each switch with its reason and note.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Today" }).click();
  const timeline = page.getByTestId(`timeline-${s.id}`);
  await timeline.waitFor(within);
  const lines = (await timeline.locator("li").allInnerTexts()).map((l) => l.replace(/\s+/g, " ").replace(/^\d\d:\d\d /, "").trim());
  assert.deepEqual(lines, [
    "Started",
    `Paused until ${lines[1]!.slice(-5)}`,
    "Resumed",
    "✕ Switch · Other — “billing-service ← devfocus-api” → no task",
    "◆ Switch · Quick fix — “billing-service: hotfix/refund-rounding ← main” → no task",
    "● Switch · Meeting — “meeting ← billing-service” → no task",
    "✕ Switch · Other — “billing-service ← meeting” → no task",
    "Stopped · 1h 53m of focus",
  ]);
  assert.match(await page.locator(".timeline-list h3").first().innerText(), /from your editor/i);
  // The new session was announced live (a toast): let it go before the picture.
  await page.locator(".toast").first().waitFor({ state: "detached", timeout: 20_000 }).catch(() => undefined);
  await screenshot(page, "today-editor-desktop");
  await ctx.close();
});
