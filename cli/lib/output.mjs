// Human output: colour only on a TTY (and never with NO_COLOR), durations, bars, aligned rows.

/** Whether to colour a stream: a TTY, no NO_COLOR, not a dumb terminal; FORCE_COLOR forces it. */
export function colourEnabled(stream = process.stdout, env = process.env) {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "") return true;
  return Boolean(stream && stream.isTTY) && env.TERM !== "dumb";
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39], gray: [90, 39] };

/** A palette: c.bold("x") etc., which are identity functions when colour is off. */
export function palette(enabled) {
  const c = {};
  for (const [name, [open, close]] of Object.entries(CODES)) c[name] = enabled ? (s) => `\x1b[${open}m${s}\x1b[${close}m` : (s) => String(s);
  return c;
}

/** 95 → "1h 35m", 0 → "0m". */
export function duration(minutes) {
  const m = Math.max(0, Math.floor(Number(minutes) || 0));
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m` : `${m}m`;
}

/** A horizontal bar of `value` scaled so that `max` fills `width` cells (at least one cell for any value > 0). */
export function bar(value, max, width = 24) {
  if (!(max > 0) || !(value > 0)) return "";
  const cells = Math.max(1, Math.round((value / max) * width));
  return "█".repeat(Math.min(width, cells));
}

/** "2026-01-30T09:15:00.000Z" → "09:15" in local time (and the date when it is not today). */
export function clock(iso, now = new Date()) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? hm : `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${hm}`;
}

/** Pads cells into aligned columns (ANSI colour codes are not counted). */
export function table(rows, { gap = "  " } = {}) {
  const visible = (s) => String(s).replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] || 0, visible(cell))));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? String(cell) : String(cell) + " ".repeat(widths[i] - visible(cell)))).join(gap).trimEnd())
    .join("\n");
}

export function truncate(s, n) {
  const str = String(s ?? "");
  return str.length > n ? `${str.slice(0, n - 1)}…` : str;
}
