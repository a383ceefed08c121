/**
 * What a team role may do, for showing only the controls it allows (the API still decides every write):
 * the API's own role table and rules (src/modules/teams/roles.ts, a module without D1 or Worker types).
 */
import { ROLES, type Role } from "../../src/db/roles.ts";
import { may, mayManage } from "../../src/modules/teams/roles.ts";

export type { Role };
export { may, mayManage };

/** The roles a caller may give. */
export const grantable = (mine: Role) => ROLES.filter((r) => mayManage(mine, r));
