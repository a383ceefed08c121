/**
 * WakaTime's summaries from heartbeats: time per category, project, language and editor, formatted as WakaTime
 * formats it (wakatime-cli prints `grand_total.text`). Pure: the heartbeats and the day's bounds come in.
 * A heartbeat's time is the gap to the next one while shorter than the idle timeout (derive.ts `durations`),
 * so a day's total is the focus time of its editor sessions.
 */
import { Temporal } from "temporal-polyfill";
import { durations, type Beat } from "./derive";

export interface SummaryBeat extends Beat {
  language: string | null;
  editor: string | null;
}

interface Item {
  name: string;
  total_seconds: number;
  percent: number;
  digital: string;
  decimal: string;
  text: string;
  hours: number;
  minutes: number;
  seconds: number;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "2 hrs 17 mins", "1 hr", "45 mins", "7 secs": WakaTime's text. */
export function durationText(totalSeconds: number): string {
  const s = Math.floor(totalSeconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours > 0) return minutes > 0 ? `${plural(hours, "hr")} ${plural(minutes, "min")}` : plural(hours, "hr");
  if (minutes > 0) return plural(minutes, "min");
  return plural(s % 60, "sec");
}

const pad = (n: number) => String(n).padStart(2, "0");
/** "2.28": hours with two decimals, of whole minutes (WakaTime's `decimal`). */
const decimal = (hours: number, minutes: number) => (hours + minutes / 60).toFixed(2);

function item(name: string, totalSeconds: number, grand: number): Item {
  const s = Math.floor(totalSeconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  return {
    name,
    total_seconds: totalSeconds,
    percent: grand > 0 ? Math.round((totalSeconds / grand) * 10_000) / 100 : 0,
    digital: `${hours}:${pad(minutes)}:${pad(seconds)}`,
    decimal: decimal(hours, minutes),
    text: durationText(totalSeconds),
    hours,
    minutes,
    seconds,
  };
}

export function grandTotal(totalSeconds: number) {
  const s = Math.floor(totalSeconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return { decimal: decimal(hours, minutes), digital: `${hours}:${pad(minutes)}`, hours, minutes, text: durationText(totalSeconds), total_seconds: totalSeconds };
}

/** "code reviewing" → "Code Reviewing", as WakaTime names categories. */
const titleCase = (s: string) => s.replace(/(^|[\s_-])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());

function breakdown(parts: { key: string | null; ms: number }[], grand: number, unknown: string): Item[] {
  const totals = new Map<string, number>();
  for (const p of parts) if (p.ms > 0) totals.set(p.key ?? unknown, (totals.get(p.key ?? unknown) ?? 0) + p.ms / 1000);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, seconds]) => item(name, seconds, grand));
}

/** Times by category, project, language and editor over one day's heartbeats. */
export function summarizeDay(beats: SummaryBeat[], idleMs: number) {
  const parts = durations(beats, idleMs);
  const grand = parts.reduce((sum, p) => sum + p.ms, 0) / 1000;
  return {
    grand_total: grandTotal(grand),
    categories: breakdown(parts.map((p) => ({ key: titleCase(p.beat.category), ms: p.ms })), grand, "Coding"),
    projects: breakdown(parts.map((p) => ({ key: p.beat.project, ms: p.ms })), grand, "Unknown Project"),
    languages: breakdown(parts.map((p) => ({ key: p.beat.language, ms: p.ms })), grand, "Other"),
    editors: breakdown(parts.map((p) => ({ key: p.beat.editor, ms: p.ms })), grand, "Unknown Editor"),
    dependencies: [] as Item[],
    machines: [] as Item[],
    operating_systems: [] as Item[],
  };
}

/** WakaTime's timestamps: ISO 8601 UTC to the second ("2023-01-29T03:00:00Z"). */
export const wakaTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

const ordinal = (d: number) => (d % 10 === 1 && d !== 11 ? "st" : d % 10 === 2 && d !== 12 ? "nd" : d % 10 === 3 && d !== 13 ? "rd" : "th");
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The range of one of the user's days: `end` is its last second, `text` "Sun Jan 29th 2023". */
export function dayRange(day: string, bounds: { start: number; end: number }, timezone: string) {
  const d = Temporal.PlainDate.from(day);
  return {
    date: day,
    start: wakaTime(bounds.start),
    end: wakaTime(bounds.end - 1000),
    text: `${WEEKDAYS[d.dayOfWeek - 1]} ${MONTHS[d.month - 1]} ${d.day}${ordinal(d.day)} ${d.year}`,
    timezone,
  };
}

const EDITORS: Record<string, string> = {
  vscode: "VS Code",
  code: "VS Code",
  vim: "Vim",
  neovim: "Neovim",
  nvim: "Neovim",
  emacs: "Emacs",
  sublime: "Sublime Text",
  sublime_text: "Sublime Text",
  jetbrains: "JetBrains",
  intellij: "IntelliJ IDEA",
  idea: "IntelliJ IDEA",
  pycharm: "PyCharm",
  webstorm: "WebStorm",
  goland: "GoLand",
  xcode: "Xcode",
  cursor: "Cursor",
  zed: "Zed",
  chrome: "Chrome",
  firefox: "Firefox",
};

/**
 * The editor a plugin's user agent names. wakatime-cli's looks like
 * `wakatime/v1.102.1 (linux-6.5.0-x86_64) go1.22.1 vscode/1.88.0 vscode-wakatime/24.5.0`: the first
 * `name/version` after the Go version is the editor; without one, the plugin (`vim-wakatime/…` → Vim).
 */
export function editorName(userAgent: string | null | undefined): string | null {
  if (!userAgent) return null;
  const tokens = userAgent
    .replace(/\([^)]*\)/g, " ")
    .split(/\s+/)
    .map((t) => /^([A-Za-z][\w.+-]*)\/\S+$/.exec(t)?.[1])
    .filter((n): n is string => !!n && n.toLowerCase() !== "wakatime");
  const name = tokens.find((n) => !/-wakatime$/i.test(n)) ?? tokens[0]?.replace(/-wakatime$/i, "");
  if (!name) return null;
  const known = EDITORS[name.toLowerCase()];
  return known ?? name.charAt(0).toUpperCase() + name.slice(1);
}
