// Budget 3 of `npm run bench`: DevFocus against a bare Hono Worker (bench/bare/worker.ts) on the same wrangler,
// the same workerd and the same data (a copy of the large dataset's D1, made before either server starts).
// Health against health, and DevFocus's 50-task page of a team against the bare Worker's one-query page. The four are loaded in rounds, each round in the opposite
// order of the one before (A B C D, D C B A, …), so that a ratio's two halves are measured next to each other
// and the machine's drift falls on both; the ratio is the median of the rounds' ratios.
import type { Meta } from "../generate.ts";
import { prepare } from "./api.ts";
import { firstToken, fixed, PAGE } from "./endpoints.ts";
import { concurrent, type ConcurrentPlan, type LoadRequest, type MakeRequest, median, request, sequential } from "./load.ts";

/** The bare Worker's routes (bench/bare/worker.ts), answering what DevFocus's health and task list answer. */
export const BARE_HEALTH = "/health";
const barePage = (team: number) => `/tasks?${new URLSearchParams({ team: String(team), page_size: String(PAGE) })}`;

export interface Side {
  path: string;
  requests: number;
  rps: number | null;
}

export interface Pair {
  devfocus: Side;
  bare: Side;
  /** DevFocus req/s ÷ bare req/s, per round. */
  ratios: (number | null)[];
  /** The median of `ratios`: what the budget compares. */
  ratio: number | null;
}

export interface VersusBare {
  rounds: number;
  ms_each: number;
  concurrency: number;
  /** Both Workers answered the same 50 tasks, with the same fields in the same order. */
  same_page: boolean;
  same_page_detail: string;
  health: Pair;
  page: Pair;
}

const rps = (n: number, ms: number): number | null => (ms > 0 ? Math.round((n * 10_000) / ms) / 10 : null);

/** The results array of a list answer, as JSON text (the comparison is byte for byte). */
async function pageResults(base: string, req: LoadRequest): Promise<{ status: number; results: string; rows: number }> {
  const res = await request(base, { ...req, keepBody: true });
  if (res.status !== 200) return { status: res.status, results: res.text.slice(0, 200), rows: 0 };
  const body: unknown = JSON.parse(res.text);
  const results = typeof body === "object" && body !== null && "results" in body && Array.isArray(body.results) ? body.results : [];
  return { status: res.status, results: JSON.stringify(results), rows: results.length };
}

export async function versusBare(
  devBase: string,
  bareBase: string,
  meta: Meta,
  { rounds, plan, warmup = 20 }: { rounds: number; plan: ConcurrentPlan; warmup?: number },
): Promise<VersusBare> {
  const devHealth = await prepare((api) => api.GET("/api/health"));
  const devPage = await prepare((api) => api.GET("/api/tasks", { params: { query: { team: meta.teamId, page_size: PAGE } } }));
  const bareHealth: LoadRequest = { method: "GET", path: BARE_HEALTH };
  const bareTasks: LoadRequest = { method: "GET", path: barePage(meta.teamId) };
  const token = firstToken(meta);

  const [mine, bare] = await Promise.all([pageResults(devBase, { ...devPage, token }), pageResults(bareBase, bareTasks)]);
  const samePage = mine.status === 200 && bare.status === 200 && mine.rows === PAGE && mine.results === bare.results;
  const samePageDetail = samePage
    ? `both answer the same ${PAGE} tasks, field for field (${mine.results.length} bytes of results)`
    : `DevFocus ${mine.status} (${mine.rows} rows), bare ${bare.status} (${bare.rows} rows): the pages differ`;

  type Key = "devHealth" | "bareHealth" | "devPage" | "barePage";
  const runs: [Key, string, MakeRequest][] = [
    ["devHealth", devBase, fixed(devHealth)],
    ["bareHealth", bareBase, fixed(bareHealth)],
    ["devPage", devBase, fixed(devPage, token)],
    ["barePage", bareBase, fixed(bareTasks)],
  ];
  for (const [, base, make] of runs) await sequential(base, warmup, make);
  const perRound = { devHealth: [] as { n: number; ms: number }[], bareHealth: [] as { n: number; ms: number }[], devPage: [] as { n: number; ms: number }[], barePage: [] as { n: number; ms: number }[] };
  const failed: Record<Key, number> = { devHealth: 0, bareHealth: 0, devPage: 0, barePage: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const [key, base, make] of r % 2 ? [...runs].reverse() : runs) {
      const res = await concurrent(base, plan, make);
      failed[key] += res.samples.filter((s) => s.status !== 200).length;
      perRound[key].push({ n: res.samples.length, ms: res.elapsedMs });
    }
  }
  const errors = Object.entries(failed).filter(([, n]) => n > 0);
  if (errors.length) throw new Error(`versus bare: failed requests ${JSON.stringify(Object.fromEntries(errors))}`);
  const side = (key: Key, path: string): Side => {
    const all = perRound[key].reduce((s, x) => ({ n: s.n + x.n, ms: s.ms + x.ms }), { n: 0, ms: 0 });
    return { path, requests: all.n, rps: rps(all.n, all.ms) };
  };
  const pair = (dev: Key, bareKey: Key, devPath: string, barePath: string): Pair => {
    const ratios = perRound[dev].map((d, i) => {
      const b = perRound[bareKey][i];
      const [x, y] = [rps(d.n, d.ms), b ? rps(b.n, b.ms) : null];
      return x !== null && y ? Math.round((x / y) * 1000) / 1000 : null;
    });
    const known = ratios.filter((v): v is number => v !== null);
    return { devfocus: side(dev, devPath), bare: side(bareKey, barePath), ratios, ratio: known.length ? median(known) : null };
  };
  return {
    rounds,
    ms_each: plan.durationMs,
    concurrency: plan.concurrency,
    same_page: samePage,
    same_page_detail: samePageDetail,
    health: pair("devHealth", "bareHealth", devHealth.path, BARE_HEALTH),
    page: pair("devPage", "barePage", devPage.path, bareTasks.path),
  };
}
