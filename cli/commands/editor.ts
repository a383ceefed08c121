// devfocus editor setup | status: point every WakaTime editor plugin (through ~/.wakatime.cfg) at DevFocus.
import fs from "node:fs";
import os from "node:os";
import { out, type Command } from "../lib/command.ts";
import { requireToken } from "../lib/context.ts";
import { UsageError } from "../lib/errors.ts";
import { promptLine } from "../lib/prompt.ts";
import { maskKey, readSetting, setSettings, wakatimeCfgPath, writeCfg } from "../lib/wakatime.ts";

/** The api_url wakatime-cli needs for this API: its WakaTime-compatible base. */
export const compatUrl = (base: string) => `${base.replace(/\/+$/, "")}/api/compat/wakatime/v1`;

function readCfg(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

export const editor: Command = {
  name: "editor",
  group: "Editors",
  summary: "Send your editors' activity (WakaTime plugins) to DevFocus",
  usage: "devfocus editor setup [--yes] [--name <name>] | status",
  description:
    "setup: creates an editor key (waka_…, valid only for the WakaTime-compatible API) and writes api_url and api_key\n" +
    "into the [settings] of ~/.wakatime.cfg (or $WAKATIME_HOME/.wakatime.cfg), after asking; every other line stays.\n" +
    "Every WakaTime plugin (VS Code, JetBrains, Vim, …) then records your sessions, pauses and switches by itself.\n" +
    "status: where ~/.wakatime.cfg points now.",
  options: {
    yes: { type: "boolean", short: "y", desc: "Write without asking" },
    name: { type: "string", arg: "<name>", desc: "The key's name in your token list (default: editors on <host>)" },
  },
  positionals: [1, 1],
  async run(ctx, args) {
    const action = args.positionals[0];
    const file = wakatimeCfgPath(ctx.env);
    const text = readCfg(file);
    const current = { api_url: text === null ? null : readSetting(text, "api_url"), api_key: text === null ? null : readSetting(text, "api_key") };
    const { c } = ctx;
    if (action === "status") {
      const ours = current.api_url === compatUrl(ctx.settings.url);
      const line = text === null ? `${c.dim("○")} ${file} does not exist` : `${ours ? c.green("●") : c.dim("○")} ${file}: api_url = ${current.api_url ?? "(WakaTime's)"}, api_key = ${maskKey(current.api_key)}`;
      return out({ file, exists: text !== null, ...current, api_key: current.api_key ? maskKey(current.api_key) : null, points_here: ours }, line);
    }
    if (action !== "setup") throw new UsageError(action ? `Unknown editor action "${action}": use setup or status.` : "devfocus editor setup | status");
    requireToken(ctx);
    const apiUrl = compatUrl(ctx.settings.url);
    const plan = [
      `${text === null ? "Create" : "Update"} ${file}:`,
      `  api_url = ${apiUrl}${current.api_url ? c.dim(`   (was ${current.api_url})`) : ""}`,
      `  api_key = a new editor key${current.api_key ? c.dim(`   (was ${maskKey(current.api_key)})`) : ""}`,
    ];
    if (!args.flag("yes")) {
      ctx.stderr.write(`${plan.join("\n")}\n`);
      const answer = (await promptLine("Write it? [y/N] ", ctx)).toLowerCase();
      if (answer !== "y" && answer !== "yes") return out({ written: false, file }, c.dim("Nothing written, no key created."));
    }
    const name = args.string("name") || `editors on ${os.hostname()}`;
    const key = await ctx.api.data(ctx.api.client.POST("/api/auth/tokens", { body: { name, scope: "EDITOR" } }));
    writeCfg(file, setSettings(text ?? "", { api_url: apiUrl, api_key: key.token }));
    const lines = [
      `${c.green("✓")} ${text === null ? "Created" : "Updated"} ${file}: api_url = ${apiUrl}, api_key = ${maskKey(key.token)} (key #${key.id}, "${name}").`,
      c.dim("  Your WakaTime plugins now send here; their heartbeats become sessions, pauses and switches."),
      c.dim("  Revoke the key with DELETE /api/auth/tokens/<id>/ (it opens only the WakaTime-compatible API)."),
    ];
    return out({ written: true, file, api_url: apiUrl, key: { id: key.id, name: key.name, prefix: key.prefix } }, lines.join("\n"));
  },
};
