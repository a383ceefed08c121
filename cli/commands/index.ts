// Every command, in the order --help lists them (grouped by `group`).
import type { Command } from "../lib/command.ts";
import { login, logout, whoami } from "./account.ts";
import { editor } from "./editor.ts";
import { hook } from "./hook.ts";
import { link } from "./link.ts";
import { pause, resume } from "./pause.ts";
import { report } from "./report.ts";
import { start } from "./start.ts";
import { status } from "./status.ts";
import { stop } from "./stop.ts";
import { switchTask } from "./switch.ts";
import { sync } from "./sync.ts";
import { tasks } from "./tasks.ts";
import { watch } from "./watch.ts";

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [login, logout, whoami, start, switchTask, pause, resume, stop, status, link, tasks, report, watch, sync, hook, editor].map((c) => [c.name, c]),
);
