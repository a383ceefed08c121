/** Team roles, lowest first. A leaf (it imports nothing): db/schema.ts, the Worker and the dashboard share it. */
export const ROLES = ["VIEWER", "MEMBER", "ADMIN", "OWNER"] as const;
export type Role = (typeof ROLES)[number];
