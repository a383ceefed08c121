/**
 * What the browser journeys run on: their own `npm run dev` (API + the built dashboard) on a free loopback
 * port with its own --persist-to state, two tiny pages on other origins (one listed in CORS_ORIGINS, one
 * not), a fake GitHub, Debian's chromium through playwright-core, axe-core, and the typed API client for set-up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createApiClient, type ApiClient } from "../../client/index.ts";

export const HOST = "127.0.0.1";
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Screenshots of every page at both widths, each run (git-ignored). */
export const SHOTS = path.join(ROOT, "web", "test", "screenshots");
export const WIDTHS = { mobile: { width: 375, height: 812 }, desktop: { width: 1440, height: 900 } } as const;
export const PASSWORD = "correct horse battery";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface Server {
  base: string;
  /** A fake GitHub (GET /repos/acme/widgets/issues) the server imports from. */
  github: string;
  /** The origin listed in CORS_ORIGINS, and one that is not; each serves a blank page. */
  listed: string;
  unlisted: string;
  logFile: string;
  stop(): Promise<void>;
}

/** A page on another origin, for the CORS and CSRF journeys (it only has to exist: the tests script it). */
function originServer(port: number): Promise<http.Server> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end('<!doctype html><html lang="en"><title>Another site</title><h1>Another site</h1></html>');
  });
  return new Promise((resolve) => srv.listen(port, HOST, () => resolve(srv)));
}

/** How many issues the fake GitHub's acme/widgets has (two pages of 100: progress shows in between). */
export const GITHUB_ISSUES = 150;
const GITHUB_PAGE_DELAY_MS = 700;

/**
 * GitHub's GET /repos/acme/widgets/issues, paged by `per_page`/`page` with a Link header, each page a little
 * slow so the import's progress is seen between pages. Every 10th issue is a pull request (skipped).
 */
function fakeGithub(port: number): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${HOST}:${port}`);
    if (url.pathname !== "/repos/acme/widgets/issues") {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "Not Found" }));
      return;
    }
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const page = Number(url.searchParams.get("page") ?? 1);
    const last = Math.ceil(GITHUB_ISSUES / perPage);
    const items: Record<string, unknown>[] = [];
    for (let n = (page - 1) * perPage + 1; n <= Math.min(page * perPage, GITHUB_ISSUES); n++) {
      const labels = n % 3 === 0 ? [{ name: "bug" }, { name: "priority: high" }] : n % 5 === 0 ? [{ name: "tech debt" }] : [];
      items.push({
        id: 9_000_000 + n,
        number: n,
        title: `Widget issue ${String(n).padStart(3, "0")}`,
        body: `Reported in the widgets repository (#${n}).`,
        state: n % 4 === 0 ? "closed" : "open",
        html_url: `https://github.com/acme/widgets/issues/${n}`,
        labels,
        ...(n % 10 === 0 ? { pull_request: { url: `https://api.github.com/repos/acme/widgets/pulls/${n}` } } : {}),
      });
    }
    const link = (p: number) => `<${url.origin}${url.pathname}?per_page=${perPage}&page=${p}>`;
    const headers: Record<string, string> = { "Content-Type": "application/json", "x-ratelimit-remaining": "4999" };
    if (page < last) headers.link = `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`;
    setTimeout(() => {
      res.writeHead(200, headers);
      res.end(JSON.stringify(items));
    }, GITHUB_PAGE_DELAY_MS);
  });
  return new Promise((resolve) => srv.listen(port, HOST, () => resolve(srv)));
}

/**
 * `npm run dev` with DEVFOCUS_WEB=off (the test built web/dist already) in its own process group, on free ports,
 * with a fresh state directory and CORS_ORIGINS set to the listed origin; ready when /api/health/ answers.
 */
export async function startServer(name: string): Promise<Server> {
  const [port, inspector, listedPort, unlistedPort, githubPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const github = `http://${HOST}:${githubPort}`;
  const listed = `http://${HOST}:${listedPort}`;
  const unlisted = `http://${HOST}:${unlistedPort}`;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "devfocus-web-"));
  const logFile = path.join(state, "wrangler.log");
  const log = fs.createWriteStream(logFile);
  const args = ["run", "dev", "--", "--ip", HOST, "--port", String(port), "--inspector-port", String(inspector), "--persist-to", path.join(state, "state")];
  args.push("--var", `CORS_ORIGINS:${listed}`, "--var", `GITHUB_API_URL:${github}`);
  const child: ChildProcess = spawn("npm", args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", DEVFOCUS_WEB: "off" },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pages = await Promise.all([originServer(listedPort), originServer(unlistedPort), fakeGithub(githubPort)]);
  const base = `http://${HOST}:${port}`;

  const stop = async () => {
    for (const p of pages) p.close();
    const alive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const [sig, waitMs] of [["SIGTERM", 5000], ["SIGKILL", 2000]] as const) {
      if (!alive()) break;
      try {
        process.kill(-child.pid!, sig);
      } catch {
        break;
      }
      const until = Date.now() + waitMs;
      while (alive() && Date.now() < until) await sleep(100);
    }
    if (!process.env.KEEP_STATE) fs.rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${base}/api/health/`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return { base, github, listed, unlisted, logFile, stop };
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-3000) : "";
  await stop();
  throw new Error(`${name}: wrangler dev did not come up\n${tail}`);
}

/** Debian's chromium (apt-get install -y chromium), with the flags this machine needs (../shared/PLATFORM.md). */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A fresh browser profile (its own cookies) at a width; reduced motion, so charts draw at once. */
export function context(browser: Browser, base: string, width: keyof typeof WIDTHS = "desktop"): Promise<BrowserContext> {
  return browser.newContext({ baseURL: base, viewport: WIDTHS[width], reducedMotion: "reduce", timezoneId: "UTC", locale: "en-US" });
}

/** The typed client with a token, for set-up and for checking what the browser did. */
export const client = (base: string, token?: string): ApiClient => createApiClient({ baseUrl: base, token });

/** Registers a user over the API (Bearer); returns their token and client. */
export async function registerUser(base: string, email: string, extra: { name?: string; timezone?: string } = {}) {
  const { data, error } = await client(base).POST("/api/auth/register", { body: { email, password: PASSWORD, ...extra } });
  if (!data) throw new Error(`register ${email}: ${JSON.stringify(error)}`);
  return { user: data.user, token: data.token, api: client(base, data.token) };
}

/** The data of a call, or a thrown error with what the API said. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new Error(`${response.url} → ${response.status} ${JSON.stringify(error)}`);
  return data as T;
}

/** Signs in through the page's own form. */
export async function signIn(page: Page, email: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** Serious or critical axe-core violations on the page as it is now (WCAG 2.x A/AA and best practices). */
export async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}

export async function screenshot(page: Page, name: string, { fullPage = true } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** Every request the page makes to a host other than the API's own. */
export function foreignRequests(page: Page, base: string): string[] {
  const origin = new URL(base).origin;
  const seen: string[] = [];
  page.on("request", (r) => {
    const u = r.url();
    if (/^https?:/.test(u) && new URL(u).origin !== origin) seen.push(u);
  });
  return seen;
}

/**
 * A fixed-offset IANA zone (Etc/GMT±N) where it is about noon now: a journey's "45 minutes ago" then falls on
 * the same day as now whenever the suite runs.
 */
export function middayZone(now = new Date()): string {
  const offset = ((12 - now.getUTCHours() + 36) % 24) - 12; // −12 … +11 hours east of UTC
  // Etc/GMT signs are inverted (Etc/GMT-2 is UTC+2).
  return offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}
