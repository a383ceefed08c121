import { and, eq, inArray } from "drizzle-orm";
import { importJobs, type GITHUB_STATES } from "../../db/schema";
import type { Ctx } from "../../env";
import { notFound } from "../../platform/errors";
import { keyset, parseOrdering, toPage } from "../../platform/pagination";
import type { ImportPageMessage } from "../../platform/queue-messages";
import { requireRole, teamIdsOf } from "../teams/access";
import { IMPORT_ORDERING, serializeImportJob, type ImportListQuery } from "./schemas";

type GithubState = (typeof GITHUB_STATES)[number];

export interface StartImportInput {
  owner: string;
  repo: string;
  team_id: number;
  state: GithubState;
  token?: string;
}

/** Creates the job (PENDING) and queues its first page; the token goes into the message only. */
export async function startImport({ db, env, actor }: Ctx, input: StartImportInput) {
  const queue = env.GITHUB_IMPORT_QUEUE as Queue<ImportPageMessage>;
  await requireRole(db, actor, input.team_id, "administer");
  const [job] = await db
    .insert(importJobs)
    .values({ teamId: input.team_id, createdBy: actor.id, owner: input.owner, repo: input.repo, state: input.state })
    .returning();
  const first: ImportPageMessage = { kind: "import_page", jobId: job!.id, page: 1 };
  if (input.token) first.token = input.token;
  try {
    await queue.send(first);
  } catch (err) {
    // A job nobody will ever run must not stay PENDING forever.
    await db
      .update(importJobs)
      .set({ status: "FAILED", errorMessage: "The import could not be queued; try again.", finishedAt: new Date().toISOString() })
      .where(eq(importJobs.id, job!.id));
    throw err;
  }
  return serializeImportJob(job!);
}

/** Jobs of the teams the caller belongs to; a team filter for a team they are not in matches nothing. */
export async function listImports({ db, actor }: Ctx, q: ImportListQuery & { url: string }) {
  const ordering = parseOrdering(IMPORT_ORDERING, q.ordering);
  const ks = keyset(ordering, importJobs.id, q.cursor);
  const rows = await db
    .select()
    .from(importJobs)
    .where(
      and(
        inArray(importJobs.teamId, teamIdsOf(db, actor.id)),
        q.team === undefined ? undefined : eq(importJobs.teamId, q.team),
        q.status === undefined ? undefined : eq(importJobs.status, q.status),
        ks.where,
      ),
    )
    .orderBy(...ks.orderBy)
    .limit(q.page_size + 1);
  return toPage(rows, { pageSize: q.page_size, ordering, url: q.url, serialize: serializeImportJob });
}

export async function getImport({ db, actor }: Ctx, id: number) {
  const [job] = await db
    .select()
    .from(importJobs)
    .where(and(eq(importJobs.id, id), inArray(importJobs.teamId, teamIdsOf(db, actor.id))))
    .limit(1);
  if (!job) throw notFound("Import job");
  return serializeImportJob(job);
}
