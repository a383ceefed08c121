// The latency model of issue 16: what a user far from D1's primary waits for. Locally every D1 round trip is a
// loopback call; in production each is a WAN round trip to where the database is. So per endpoint:
//   modelled p50 = measured p50 + round trips to the primary × RTT_primary + round trips to a replica × RTT_replica
// "After" is this run's design: a GET reads through D1's Sessions API (first-unconstrained: the nearest replica),
// a write goes to the primary. "Before" is the design before issue 16 (bench/baseline-before.json, recorded by
// bench/baseline.ts): no Sessions API, so every round trip went to the primary, and no token cache. The measured
// p50 is this run's in both columns: the local work differs by a few ms, the round trips by hundreds.
import { readFileSync } from "node:fs";

export interface Rtt {
  primary_ms: number;
  replica_ms: number;
}

/** Defaults: a user in Sydney; the primary in Western North America, a read replica in the same region as the user. */
export const DEFAULT_RTT: Rtt = { primary_ms: 150, replica_ms: 5 };

export function rttFromEnv(env: NodeJS.ProcessEnv = process.env): Rtt {
  const ms = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${raw}: expected milliseconds ≥ 0`);
    return v;
  };
  return { primary_ms: ms("BENCH_RTT_PRIMARY_MS", DEFAULT_RTT.primary_ms), replica_ms: ms("BENCH_RTT_REPLICA_MS", DEFAULT_RTT.replica_ms) };
}

/** Round trips per endpoint of an earlier design, by endpoint id (bench/lib/endpoints.ts). */
export interface Baseline {
  commit: string;
  description: string;
  date: string;
  dataset: string;
  endpoints: Record<string, { method: string; d1_queries_median: number; d1_queries_max: number }>;
}

export function readBaseline(file: string): Baseline | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null || !("endpoints" in parsed) || !("commit" in parsed)) throw new Error("not a baseline");
    return parsed as Baseline;
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return null;
    throw new Error(`${file}: ${String(err)}`);
  }
}

export interface Trips {
  primary: number;
  replica: number;
  p50_ms: number | null;
}

export interface ModelRow {
  id: string;
  name: string;
  method: string;
  measured_p50_ms: number | null;
  before: Trips | null;
  after: Trips;
  /** before.p50 − after.p50. */
  saved_ms: number | null;
}

export interface ModelInput {
  id: string;
  name: string;
  method: string;
  /** This run's p50 on the large dataset. */
  p50_ms: number | null;
  /** This run's round trips per request (median, after warm-up). */
  round_trips: number;
}

const isRead = (method: string) => method === "GET" || method === "HEAD";
const r1 = (v: number) => Math.round(v * 10) / 10;

export function latencyModel(inputs: ModelInput[], baseline: Baseline | null, rtt: Rtt): ModelRow[] {
  const modelled = (p50: number | null, primary: number, replica: number): Trips => ({
    primary,
    replica,
    p50_ms: p50 === null ? null : r1(p50 + primary * rtt.primary_ms + replica * rtt.replica_ms),
  });
  return inputs.map((e) => {
    const after = isRead(e.method) ? modelled(e.p50_ms, 0, e.round_trips) : modelled(e.p50_ms, e.round_trips, 0);
    const old = baseline?.endpoints[e.id];
    const before = old ? modelled(e.p50_ms, old.d1_queries_median, 0) : null;
    const saved = before?.p50_ms != null && after.p50_ms !== null ? r1(before.p50_ms - after.p50_ms) : null;
    return { id: e.id, name: e.name, method: e.method, measured_p50_ms: e.p50_ms, before, after, saved_ms: saved };
  });
}
