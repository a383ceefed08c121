CREATE TABLE `heartbeats` (
	`id` integer PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`time_ms` integer NOT NULL,
	`digest` text NOT NULL,
	`entity` text,
	`type` text NOT NULL,
	`category` text NOT NULL,
	`project` text,
	`branch` text,
	`language` text,
	`editor` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `heartbeats_user_time_digest_uq` ON `heartbeats` (`user_id`,`time_ms`,`digest`);--> statement-breakpoint
ALTER TABLE `users` ADD `idle_timeout_minutes` integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `hide_file_names` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `heartbeat_retention_days` integer DEFAULT 30 NOT NULL;