-- Keyset keys for the tie-heavy orderings (?ordering=priority on tasks, ?ordering=switch_count on sessions):
-- a VIRTUAL generated column folding the ordering value and the id into one integer (value * 2^32 + id, see
-- KEY_ID_SPAN in src/db/schema.ts) and an index per list scope, so a page after a cursor is one index range,
-- `key < ?`, that starts at the cursor. The row-value keyset (value, id) < (?, ?) got only its first column
-- from SQLite as an index bound (id is the rowid), so a deep page re-read every tie before the cursor. The
-- keys replace the (scope, priority_rank, id) indexes. SQLite adds only VIRTUAL generated columns with ALTER
-- TABLE; CREATE INDEX computes the key of every existing row.
DROP INDEX `tasks_team_priority_idx`;--> statement-breakpoint
DROP INDEX `tasks_creator_priority_idx`;--> statement-breakpoint
ALTER TABLE `tasks` ADD `priority_key` integer GENERATED ALWAYS AS (("priority_rank" * 4294967296 + "id")) VIRTUAL NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_team_priority_key_idx` ON `tasks` (`team_id`,`priority_key`);--> statement-breakpoint
CREATE INDEX `tasks_creator_priority_key_idx` ON `tasks` (`created_by`,`team_id`,`priority_key`);--> statement-breakpoint
ALTER TABLE `dev_sessions` ADD `switch_key` integer GENERATED ALWAYS AS (("switch_count" * 4294967296 + "id")) VIRTUAL NOT NULL;--> statement-breakpoint
CREATE INDEX `sessions_user_switch_key_idx` ON `dev_sessions` (`user_id`,`switch_key`);--> statement-breakpoint
CREATE INDEX `sessions_team_switch_key_idx` ON `dev_sessions` (`team_id`,`switch_key`);