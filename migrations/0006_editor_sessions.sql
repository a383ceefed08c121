CREATE TABLE `editor_state` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `context_switches` ADD `source` text DEFAULT 'MANUAL' NOT NULL;--> statement-breakpoint
ALTER TABLE `dev_sessions` ADD `source` text DEFAULT 'MANUAL' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_editor_start_uq` ON `dev_sessions` (`user_id`,`started_at`) WHERE source = 'EDITOR';