import { z } from "@hono/zod-openapi";
import { ROLES, teams, type Role } from "../../db/schema";
import { listQuery, type OrderFields } from "../../platform/pagination";

const Slug = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Lowercase letters, digits and single dashes.")
  .openapi({ example: "acme-platform" });

export const CreateTeamBody = z
  .object({ name: z.string().trim().min(1).max(100).openapi({ example: "Acme Platform" }), slug: Slug.optional() })
  .openapi("CreateTeamRequest");

export const UpdateTeamBody = z
  .object({ name: z.string().trim().min(1).max(100).optional(), slug: Slug.optional() })
  .strict()
  .openapi("UpdateTeamRequest");

export const Team = z
  .object({
    id: z.number().int(),
    name: z.string(),
    slug: z.string(),
    role: z.enum(ROLES).openapi({ description: "The caller's role in this team." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Team");

export const AddMemberBody = z
  .object({ email: z.email().transform((e) => e.toLowerCase()), role: z.enum(ROLES).default("MEMBER") })
  .openapi("AddMemberRequest");

export const UpdateMemberBody = z.object({ role: z.enum(ROLES) }).openapi("UpdateMemberRequest");

export const Member = z
  .object({
    user: z.object({ id: z.number().int(), email: z.string(), name: z.string() }),
    role: z.enum(ROLES),
    created_at: z.string(),
  })
  .openapi("TeamMember");

export const MemberParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ param: { name: "id", in: "path" } }),
  user_id: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: "user_id", in: "path" } }),
});

export const serializeTeam = (t: typeof teams.$inferSelect, role: Role) => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  role,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

/** A slug from a name: "Acme Platform!" → "acme-platform". */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug || "team";
}

export const TEAM_ORDERING: OrderFields = { created_at: teams.createdAt, name: teams.name };
export const TeamListQuery = listQuery(TEAM_ORDERING, "created_at");
export type TeamListQuery = z.infer<typeof TeamListQuery>;
/** Members are listed in the order they joined. */
export const MemberListQuery = listQuery({ created_at: teams.createdAt }, "created_at").omit({ ordering: true });
export type MemberListQuery = z.infer<typeof MemberListQuery>;
