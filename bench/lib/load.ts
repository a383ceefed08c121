// A small, bounded HTTP load loop over loopback: keep-alive node:http, a request count and a time limit on
// every phase, and the D1 counters of each answer read from its Server-Timing header. It sends requests the
// typed client built (lib/api.ts `prepare`): fast, and still nothing written by hand.
import http from "node:http";
import type { Prepared } from "./api.ts";

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const REQUEST_TIMEOUT_MS = 60_000;

export interface Timing {
  queries: number | null;
  rowsRead: number | null;
  rowsWritten: number | null;
}

/** `d1-queries;desc="2"` → {queries: 2, ...}; missing metrics are null. */
export function parseServerTiming(header?: string): Timing {
  const metric = (name: string) => {
    const m = new RegExp(`(?:^|,\\s*)${name};desc="(\\d+)"`).exec(header ?? "");
    return m ? Number(m[1]) : null;
  };
  return { queries: metric("d1-queries"), rowsRead: metric("d1-rows-read"), rowsWritten: metric("d1-rows-written") };
}

export interface LoadRequest extends Prepared {
  token?: string;
  /** Sees a streamed body as it comes (then the body is not kept). */
  onChunk?: (chunk: Buffer) => void;
  keepBody?: boolean;
}

export interface Sample {
  /** 0 for a network error. */
  status: number;
  ms: number;
  firstByteMs: number | null;
  bytes: number;
  text: string;
  error?: string;
  timing: Timing;
}

/**
 * One request; resolves when the whole body has arrived. The body is kept (as `text`) only when `keepBody`
 * is set or the status is an error: the load loop shares the machine's CPUs with the server, so it does no
 * more work per answer than counting it. Never rejects: a network error is a sample with status 0.
 */
export function request(base: string, { method, path, body, contentType, token, onChunk, keepBody = false }: LoadRequest): Promise<Sample> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : Buffer.from(body);
  const headers: http.OutgoingHttpHeaders = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) Object.assign(headers, { "Content-Type": contentType ?? "application/json", "Content-Length": payload.length });
  const started = performance.now();
  const failed = (e: unknown): Sample => ({ status: 0, ms: performance.now() - started, firstByteMs: null, bytes: 0, text: "", error: String(e), timing: parseServerTiming() });
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        const keep = !onChunk && (keepBody || status >= 400);
        let bytes = 0;
        let firstByteMs: number | null = null;
        res.on("data", (c: Buffer) => {
          firstByteMs ??= performance.now() - started;
          bytes += c.length;
          if (onChunk) onChunk(c);
          else if (keep) chunks.push(c);
        });
        res.on("end", () => {
          const serverTiming = res.headers["server-timing"];
          resolve({
            status,
            ms: performance.now() - started,
            firstByteMs,
            bytes,
            text: keep ? Buffer.concat(chunks).toString("utf8") : "",
            timing: parseServerTiming(Array.isArray(serverTiming) ? serverTiming.join(", ") : serverTiming),
          });
        });
        res.on("error", (e) => resolve(failed(e)));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(failed(e)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** Makes the i-th request of a phase (built before its clock starts). */
export type MakeRequest = (i: number) => LoadRequest | Promise<LoadRequest>;

/** `n` requests one after another (latency: no queueing in the figure). */
export async function sequential(base: string, n: number, make: MakeRequest): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push(await request(base, await make(i)));
  return out;
}

export interface ConcurrentPlan {
  concurrency: number;
  durationMs: number;
  maxRequests: number;
}

/** Up to `maxRequests` requests from `concurrency` loops, for at most `durationMs`; returns samples and elapsed ms. */
export async function concurrent(base: string, { concurrency, durationMs, maxRequests }: ConcurrentPlan, make: MakeRequest): Promise<{ samples: Sample[]; elapsedMs: number }> {
  const samples: Sample[] = [];
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (issued < maxRequests && performance.now() < deadline) {
      const i = issued++;
      samples.push(await request(base, await make(i)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { samples, elapsedMs: performance.now() - started };
}

export const quantile = (values: number[], q: number): number => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
};
export const median = (values: number[]): number => quantile(values, 0.5);
export const max = (values: number[]): number => (values.length ? Math.max(...values) : NaN);
