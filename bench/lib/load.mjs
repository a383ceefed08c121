// A small, bounded HTTP load loop over loopback: keep-alive node:http, a request count and a time limit on
// every phase, and the D1 counters of each answer read from its Server-Timing header.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const REQUEST_TIMEOUT_MS = 60_000;

/** `d1-queries;desc="2"` → {queries: 2, ...}; missing metrics are null. */
export function parseServerTiming(header) {
  const metric = (name) => {
    const m = new RegExp(`(?:^|,\\s*)${name};desc="(\\d+)"`).exec(header ?? "");
    return m ? Number(m[1]) : null;
  };
  return { queries: metric("d1-queries"), rowsRead: metric("d1-rows-read"), rowsWritten: metric("d1-rows-written") };
}

/**
 * One request; resolves when the whole body has arrived. The body is kept (as `text`) only when `keepBody`
 * is set or the status is an error: the load loop shares the machine's CPUs with the server, so it does no
 * more work per answer than counting it. `onChunk(bytes)` sees a streamed body as it comes. Never rejects:
 * a network error is a sample with status 0.
 */
export function request(base, { method = "GET", path, token, body, onChunk, keepBody = false }) {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) Object.assign(headers, { "Content-Type": "application/json", "Content-Length": payload.length });
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks = [];
        const keep = !onChunk && (keepBody || res.statusCode >= 400);
        let bytes = 0;
        let firstByteMs = null;
        res.on("data", (c) => {
          firstByteMs ??= performance.now() - started;
          bytes += c.length;
          if (onChunk) onChunk(c);
          else if (keep) chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            ms: performance.now() - started,
            firstByteMs,
            bytes,
            text: keep ? Buffer.concat(chunks).toString("utf8") : "",
            timing: parseServerTiming(res.headers["server-timing"]),
          }),
        );
        res.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, error: String(e), timing: parseServerTiming() }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, ms: performance.now() - started, error: String(e), timing: parseServerTiming() }));
    if (payload) req.write(payload);
    req.end();
  });
}

/** `n` requests one after another (latency: no queueing in the figure). */
export async function sequential(base, n, make) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await request(base, make(i)));
  return out;
}

/** Up to `maxRequests` requests from `concurrency` loops, for at most `durationMs`; returns samples and elapsed ms. */
export async function concurrent(base, { concurrency, durationMs, maxRequests }, make) {
  const samples = [];
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (issued < maxRequests && performance.now() < deadline) {
      const i = issued++;
      samples.push(await request(base, make(i)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { samples, elapsedMs: performance.now() - started };
}

export const quantile = (values, q) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};
export const median = (values) => quantile(values, 0.5);
export const max = (values) => (values.length ? Math.max(...values) : NaN);
