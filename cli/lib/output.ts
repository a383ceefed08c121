// Human output: colour only on a TTY (and never with NO_COLOR), durations, bars, aligned rows, plurals.

export interface Stream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Whether to colour a stream: a TTY, no NO_COLOR, not a dumb terminal; FORCE_COLOR forces it. */
export function colourEnabled(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

export type Palette = Record<keyof typeof CODES, (s: string | number) => string>;

/** c.bold("x") etc., identity functions when colour is off. */
export function palette(enabled: boolean): Palette {
  const entries = Object.entries(CODES).map(([name, [open, close]]) => [
    name,
    enabled ? (s: string | number) => `\x1b[${open}m${s}\x1b[${close}m` : (s: string | number) => String(s),
  ]);
  return Object.fromEntries(entries) as Palette;
}

/** 95 → "1h 35m", 0 → "0m". */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.floor(Number(minutes) || 0));
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m` : `${m}m`;
}

/** "1 switch", "2 switches", "0 sessions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** +5, -3, ±0 (with an optional formatter for the magnitude). */
export function signed(n: number, fmt: (n: number) => string = String): string {
  return n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : "±0";
}

/** "A, B, C or D". */
export function oneOf(values: readonly string[]): string {
  return values.length < 2 ? values.join("") : `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}

/** A horizontal bar of `value` scaled so that `max` fills `width` cells (at least one cell for any value > 0). */
export function bar(value: number, max: number, width = 24): string {
  if (!(max > 0) || !(value > 0)) return "";
  const cells = Math.max(1, Math.round((value / max) * width));
  return "█".repeat(Math.min(width, cells));
}

const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

/** Pads cells into aligned columns (ANSI colour codes are not counted). */
export function table(rows: string[][], { gap = "  " } = {}): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell))))
        .join(gap)
        .trimEnd(),
    )
    .join("\n");
}

export function truncate(s: string | null | undefined, n: number): string {
  const str = s ?? "";
  return str.length > n ? `${str.slice(0, n - 1)}…` : str;
}
