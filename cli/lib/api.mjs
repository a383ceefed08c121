// A small fetch client for the DevFocus API: bearer auth, JSON in and out, a timeout on every request,
// and two kinds of failure — the API answered with an error (ApiError, carrying its envelope), or it
// could not be reached at all (Unreachable: the signal for the offline journal).

export const DEFAULT_URL = "http://localhost:8787";

/** The API answered with an error: `{"error": {code, message, details, request_id}}`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{code?: string, message?: string, details?: {path: string, message: string}[], request_id?: string}} body
   */
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code || `HTTP_${status}`;
    this.details = Array.isArray(body.details) ? body.details : [];
    this.requestId = body.request_id || null;
  }

  toJSON() {
    return { status: this.status, code: this.code, message: this.message, details: this.details, request_id: this.requestId };
  }
}

/** The API could not be reached (connection refused, DNS, timeout, a gateway with no Worker behind it). */
export class Unreachable extends Error {
  constructor(url, cause) {
    super(`Cannot reach the DevFocus API at ${url}${cause ? ` (${describeCause(cause)})` : ""}.`);
    this.name = "Unreachable";
    this.code = "UNREACHABLE";
    this.url = url;
    /** The request certainly never reached the server (no connection was made). */
    this.notSent = NOT_SENT.has(causeCode(cause)) || /bad port/i.test(String(cause && cause.cause && cause.cause.message));
  }
}

const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

function causeCode(err) {
  const c = err && err.cause;
  return (c && (c.code || (c.errors && c.errors[0] && c.errors[0].code))) || null;
}

function describeCause(err) {
  if (!err) return "";
  if (err.name === "TimeoutError" || err.name === "AbortError") return "timed out";
  return causeCode(err) || (err.cause && err.cause.message) || err.message || String(err);
}

/** "http://host:8787/" or "http://host:8787/api" → "http://host:8787" */
export function normalizeBase(url) {
  let u = String(url || "").trim();
  if (!/^https?:\/\//i.test(u)) u = `http://${u}`;
  u = u.replace(/\/+$/, "");
  u = u.replace(/\/api$/, "");
  return u;
}

/** AbortSignal.any, with a fallback for Node 20 releases before 20.3. */
function anySignal(signals) {
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const ctrl = new AbortController();
  for (const s of signals) {
    if (s.aborted) return ctrl.abort(s.reason), ctrl.signal;
    s.addEventListener("abort", () => ctrl.abort(s.reason), { once: true });
  }
  return ctrl.signal;
}

export class Api {
  /**
   * @param {{url: string, token?: string|null, timeoutMs?: number, userAgent?: string}} opts
   */
  constructor({ url, token = null, timeoutMs = 10_000, userAgent = "devfocus-cli" }) {
    this.base = normalizeBase(url);
    this.token = token;
    this.timeoutMs = timeoutMs;
    this.userAgent = userAgent;
  }

  /** The full URL of an API path ("/sessions/" → base + "/api/sessions/"), with a query. */
  url(path, query) {
    const u = new URL(`${this.base}/api${path}`);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** The raw Response (for streams); throws Unreachable when nothing answered. */
  async raw(method, path, { body, query, headers = {}, timeoutMs = this.timeoutMs, signal } = {}) {
    const url = this.url(path, query);
    const h = { Accept: "application/json", "User-Agent": this.userAgent, ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    const signals = [signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(Boolean);
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signals.length > 1 ? anySignal(signals) : signals[0],
      });
    } catch (err) {
      if (signal && signal.aborted) throw err;
      throw new Unreachable(this.base, err);
    }
    return res;
  }

  /** JSON request: the parsed body on 2xx (null on 204), ApiError otherwise. */
  async request(method, path, opts = {}) {
    const res = await this.raw(method, path, opts);
    if (res.status === 204) return null;
    let text;
    try {
      text = await res.text();
    } catch (err) {
      throw new Unreachable(this.base, err);
    }
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (res.ok) return json;
    const envelope = json && typeof json === "object" && json.error && typeof json.error === "object" ? json.error : null;
    // A gateway error without the API's own envelope means no Worker answered: treat it as offline.
    if (!envelope && [502, 503, 504].includes(res.status)) throw new Unreachable(this.base, new Error(`HTTP ${res.status}`));
    throw new ApiError(res.status, envelope || { message: `HTTP ${res.status} ${res.statusText || ""}`.trim() });
  }

  get(path, query, opts) {
    return this.request("GET", path, { ...opts, query });
  }

  post(path, body, opts) {
    return this.request("POST", path, { ...opts, body: body === undefined ? {} : body });
  }

  /** Every row of a paginated list, following `next` (up to `max` rows). */
  async list(path, query = {}, { max = 1000 } = {}) {
    const out = [];
    let page = await this.get(path, { page_size: Math.min(200, max), ...query });
    for (;;) {
      out.push(...page.results);
      if (!page.next || out.length >= max) break;
      const next = new URL(page.next);
      page = await this.get(path, Object.fromEntries(next.searchParams));
    }
    return out.slice(0, max);
  }
}
