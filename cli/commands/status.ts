// devfocus status: the current session — focus so far, current stretch, switches, attached tasks.
import type { Schemas } from "../../client/index.ts";
import { isStatus, Unreachable } from "../lib/api.ts";
import { out, type Command } from "../lib/command.ts";
import { currentSession, describeSession, requireToken, type Context } from "../lib/context.ts";
import { duration, plural, table, truncate } from "../lib/output.ts";
import { focusNow } from "../lib/state.ts";
import { describeRef } from "../lib/tasks.ts";

async function lastSessionDetail(ctx: Context, id: number | null): Promise<Schemas["DevSessionDetail"] | null> {
  if (!id || !ctx.settings.token || ctx.journal.count()) return null;
  try {
    return await ctx.api.data(ctx.api.client.GET("/api/sessions/{id}", { params: { path: { id } } }));
  } catch (err) {
    if (err instanceof Unreachable || isStatus(err, 404)) return null;
    throw err;
  }
}

export const status: Command = {
  name: "status",
  group: "Session",
  summary: "The current session: focus so far, switches, attached tasks",
  usage: "devfocus status",
  positionals: [0, 0],
  api: true,
  async run(ctx) {
    const { c } = ctx;
    if (!ctx.settings.token && !ctx.state.read().session) requireToken(ctx);
    const waiting = ctx.journal.count();
    const r = await currentSession(ctx);
    const offlineNote = r.unreachable ? c.yellow(`  offline — local record${waiting ? `; ${plural(waiting, "journaled action")} waiting to sync` : ""}.`) : null;
    if (!r.session) {
      const last = ctx.state.read().last;
      const lastDetail = await lastSessionDetail(ctx, last?.id ?? null);
      const clock = await ctx.clock();
      const lines = [c.dim("No session running.") + ' Start one: devfocus start "<what you are working on>"'];
      if (lastDetail) {
        const when = c.dim(`${clock(lastDetail.started_at)}–${clock(lastDetail.ended_at)}`);
        lines.push(`Last: ${describeSession(lastDetail)} ${when} · ${duration(lastDetail.total_focus_minutes)} of focus · ${plural(lastDetail.switch_count, "switch", "switches")}`);
      } else if (last) {
        lines.push(`Last: ${describeSession(last)} ended ${clock(last.ended_at)}${last.focus_minutes !== undefined ? ` · about ${duration(last.focus_minutes)} of focus` : ""}`);
      }
      if (offlineNote) lines.push(offlineNote);
      else if (waiting) lines.push(c.yellow(`  ${plural(waiting, "journaled action")} waiting to sync.`));
      return out({ session: null, last: lastDetail ?? last ?? null, journal: { waiting }, offline: Boolean(r.unreachable) }, lines.join("\n"));
    }
    const s = r.session;
    const d = r.detail;
    const switches = d
      ? await ctx.api.all(
          (cursor) =>
            ctx.api.data(ctx.api.client.GET("/api/context-switches", { params: { query: { dev_session: d.id, ordering: "-happened_at", page_size: 200, cursor } } })),
          200,
        )
      : [];
    const now = Date.now();
    const focus = focusNow(s, [...switches.map((w) => w.happened_at), d?.last_switch_at ?? null], now);
    const clock = await ctx.clock();
    const titles = new Map(s.tasks.flatMap((t) => (t.id ? [[t.id, t.title ?? ""] as const] : [])));
    const taskName = (id: number | null) => (id ? `#${id}${titles.get(id) ? ` ${truncate(titles.get(id), 24)}` : ""}` : "—");
    const paused = s.status === "PAUSED";
    const attached = d
      ? d.tasks.map((t) => `#${t.task} ${truncate(t.title, 24)} ${c.dim(t.role)}`)
      : s.tasks.map((t) => `${describeRef(t)} ${c.dim(t.role ?? "")}`);
    const lines = [
      `${paused ? c.yellow("❚❚") : c.green("●")} ${c.bold(describeSession(s))} ${paused ? c.yellow(s.status) : c.green(s.status)}${r.adopted ? c.dim(" (picked up from the API)") : ""}`,
      table([
        ["  started", `${clock(s.started_at)} ${c.dim(`(${duration(Math.floor((now - Date.parse(s.started_at)) / 60_000))} ago)`)}`],
        ["  focus", `${c.bold(duration(focus.focusMinutes))} so far${paused ? c.dim(" · paused now") : ` · current stretch ${duration(focus.stretchMinutes)}`}`],
        ["  switches", d ? `${d.switch_count}${d.last_switch_at ? c.dim(` · last at ${clock(d.last_switch_at)}`) : ""}` : c.dim("(unknown offline)")],
        ["  task", s.task ? `${describeRef(s.task)} ${c.dim("← current")}` : c.dim("none")],
        ["  attached", attached.join(", ") || c.dim("none")],
      ]),
    ];
    if (switches.length) {
      lines.push(c.dim("  recent switches"));
      lines.push(
        table(
          switches
            .slice(0, 5)
            .map((w) => [`    ${clock(w.happened_at)}`, `${taskName(w.from_task)} → ${w.to_task ? taskName(w.to_task) : "no task"}`, c.dim(w.reason), w.note ? c.dim(`“${truncate(w.note, 40)}”`) : ""]),
        ),
      );
    }
    if (offlineNote) lines.push(offlineNote);
    const json = {
      session: d,
      local: s,
      focus_minutes: focus.focusMinutes,
      current_stretch_minutes: focus.stretchMinutes,
      switch_count: d ? d.switch_count : null,
      switches,
      tasks: d ? d.tasks : s.tasks,
      current_task: s.task,
      offline: Boolean(r.unreachable),
      journal: { waiting },
    };
    return out(json, lines.join("\n"));
  },
};
