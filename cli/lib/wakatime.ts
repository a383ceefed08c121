// ~/.wakatime.cfg, the INI file every WakaTime plugin's wakatime-cli reads: where it is, and how to set
// `api_url` and `api_key` in its [settings] section while keeping everything else (other keys, sections,
// comments, blank lines, line endings) as it was.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** $WAKATIME_HOME/.wakatime.cfg, else ~/.wakatime.cfg: where wakatime-cli looks. */
export function wakatimeCfgPath(env: NodeJS.ProcessEnv): string {
  const home = env.WAKATIME_HOME || env.HOME || os.homedir();
  return path.join(home, ".wakatime.cfg");
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
const keyLine = (key: string) => new RegExp(`^\\s*${key}\\s*[=:]`, "i");

/** A key's value in [settings], or null. */
export function readSetting(text: string, key: string): string | null {
  let inSettings = false;
  for (const line of text.split(/\r?\n/)) {
    const s = SECTION.exec(line);
    if (s) inSettings = s[1]!.trim().toLowerCase() === "settings";
    else if (inSettings && keyLine(key).test(line)) return line.replace(/^[^=:]*[=:]\s*/, "").trim();
  }
  return null;
}

/**
 * The file's text with `values` set in [settings]: an existing line of that key is replaced in place (the
 * first one; later duplicates are dropped, so the file says one thing), a missing key is added at the end of
 * the section, and a missing section is appended. Nothing else changes.
 */
export function setSettings(text: string, values: Record<string, string>): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text === "" ? [] : text.split(/\r?\n/);
  const trailing = lines.length > 0 && lines.at(-1) === "";
  if (trailing) lines.pop();
  const out: string[] = [];
  const done = new Set<string>();
  let inSettings = false;
  let sawSettings = false;
  const addMissing = () => {
    // After the section's last non-blank line, so a blank line before the next section stays where it was.
    let at = out.length;
    while (at > 0 && out[at - 1]!.trim() === "") at--;
    const missing = Object.entries(values).filter(([k]) => !done.has(k)).map(([k, v]) => `${k} = ${v}`);
    out.splice(at, 0, ...missing);
    for (const k of Object.keys(values)) done.add(k);
  };
  for (const line of lines) {
    const s = SECTION.exec(line);
    if (s) {
      if (inSettings) addMissing();
      inSettings = s[1]!.trim().toLowerCase() === "settings";
      sawSettings ||= inSettings;
      out.push(line);
      continue;
    }
    const key = inSettings ? Object.keys(values).find((k) => keyLine(k).test(line)) : undefined;
    if (key === undefined) out.push(line);
    else if (!done.has(key)) {
      out.push(`${key} = ${values[key]}`);
      done.add(key);
    }
  }
  if (inSettings) addMissing();
  if (!sawSettings) {
    if (out.length && out.at(-1)!.trim() !== "") out.push("");
    out.push("[settings]", ...Object.entries(values).map(([k, v]) => `${k} = ${v}`));
  }
  return out.join(eol) + eol;
}

/** Writes the file through a temporary file and a rename; an existing file keeps its mode, a new one is 0600. */
export function writeCfg(file: string, text: string): void {
  let mode = 0o600;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* a new file */
  }
  const tmp = `${file}.devfocus-${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

/** A key as it may be shown: its first characters only. */
export const maskKey = (key: string | null) => (key ? `${key.slice(0, 13)}…` : "(none)");
