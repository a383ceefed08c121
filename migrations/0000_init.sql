CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`expires_at` text,
	`last_used_at` text,
	`revoked_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `context_switches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`from_task_id` integer,
	`to_task_id` integer,
	`reason` text DEFAULT 'OTHER' NOT NULL,
	`happened_at` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `dev_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`from_task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`to_task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `switches_session_idx` ON `context_switches` (`session_id`,`happened_at`);--> statement-breakpoint
CREATE INDEX `switches_user_happened_idx` ON `context_switches` (`user_id`,`happened_at`,`id`);--> statement-breakpoint
CREATE TABLE `dev_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`team_id` integer,
	`title` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'OPEN' NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text,
	`switch_count` integer DEFAULT 0 NOT NULL,
	`last_switch_at` text,
	`total_focus_minutes` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_started_idx` ON `dev_sessions` (`user_id`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `sessions_team_started_idx` ON `dev_sessions` (`team_id`,`started_at`,`id`);--> statement-breakpoint
CREATE TABLE `import_job_pages` (
	`job_id` integer NOT NULL,
	`page` integer NOT NULL,
	`created_count` integer NOT NULL,
	`updated_count` integer NOT NULL,
	`skipped_pull_requests` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `import_jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `import_job_pages_uq` ON `import_job_pages` (`job_id`,`page`);--> statement-breakpoint
CREATE TABLE `import_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer NOT NULL,
	`created_by` integer NOT NULL,
	`owner` text NOT NULL,
	`repo` text NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`pages_done` integer DEFAULT 0 NOT NULL,
	`created_count` integer DEFAULT 0 NOT NULL,
	`updated_count` integer DEFAULT 0 NOT NULL,
	`skipped_pull_requests` integer DEFAULT 0 NOT NULL,
	`error_message` text,
	`finished_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `import_jobs_team_idx` ON `import_jobs` (`team_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `insights` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`team_id` integer,
	`owner_key` text NOT NULL,
	`report_id` integer,
	`session_id` integer,
	`code` text NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL,
	`meta` text NOT NULL,
	`period_start` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`session_id`) REFERENCES `dev_sessions`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `insights_report_code_uq` ON `insights` (`report_id`,`code`);--> statement-breakpoint
CREATE INDEX `insights_owner_created_idx` ON `insights` (`owner_key`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`role` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memberships_team_user_uq` ON `memberships` (`team_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`type` text NOT NULL,
	`day` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`error_message` text,
	`result_report_id` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`result_report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `report_requests_user_idx` ON `report_requests` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`user_id` integer,
	`team_id` integer,
	`owner_key` text NOT NULL,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`timezone` text NOT NULL,
	`payload` text NOT NULL,
	`summary` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_owner_period_uq` ON `reports` (`owner_key`,`type`,`period_start`);--> statement-breakpoint
CREATE INDEX `reports_owner_created_idx` ON `reports` (`owner_key`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `resource_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`team_id` integer,
	`session_id` integer,
	`task_id` integer,
	`type` text DEFAULT 'OTHER' NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`url` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`session_id`) REFERENCES `dev_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `resources_team_created_idx` ON `resource_links` (`team_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `resources_user_created_idx` ON `resource_links` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `resources_task_idx` ON `resource_links` (`task_id`);--> statement-breakpoint
CREATE INDEX `resources_session_idx` ON `resource_links` (`session_id`);--> statement-breakpoint
CREATE TABLE `session_pauses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`paused_at` text NOT NULL,
	`resumed_at` text,
	FOREIGN KEY (`session_id`) REFERENCES `dev_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `session_pauses_session_idx` ON `session_pauses` (`session_id`,`paused_at`);--> statement-breakpoint
CREATE TABLE `session_tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`task_id` integer NOT NULL,
	`role` text DEFAULT 'MAIN' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `dev_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_tasks_uq` ON `session_tasks` (`session_id`,`task_id`);--> statement-breakpoint
CREATE INDEX `session_tasks_task_idx` ON `session_tasks` (`task_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`type` text DEFAULT 'FEATURE' NOT NULL,
	`priority` text DEFAULT 'MED' NOT NULL,
	`priority_rank` integer GENERATED ALWAYS AS ((CASE "priority" WHEN 'LOW' THEN 0 WHEN 'MED' THEN 1 ELSE 2 END)) VIRTUAL NOT NULL,
	`status` text DEFAULT 'TODO' NOT NULL,
	`external_source` text DEFAULT 'MANUAL' NOT NULL,
	`external_id` text,
	`external_key` text,
	`external_url` text,
	`created_by` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_external_uq` ON `tasks` (`team_id`,`external_source`,`external_id`);--> statement-breakpoint
CREATE INDEX `tasks_team_created_idx` ON `tasks` (`team_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_updated_idx` ON `tasks` (`team_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_priority_idx` ON `tasks` (`team_id`,`priority_rank`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_title_idx` ON `tasks` (`team_id`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_type_idx` ON `tasks` (`team_id`,`type`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_status_idx` ON `tasks` (`team_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_prio_created_idx` ON `tasks` (`team_id`,`priority`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_team_key_idx` ON `tasks` (`team_id`,`external_key`);--> statement-breakpoint
CREATE INDEX `tasks_creator_created_idx` ON `tasks` (`created_by`,`team_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`created_by` integer,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_slug_unique` ON `teams` (`slug`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`password_hash` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`day_start_hour` integer DEFAULT 0 NOT NULL,
	`week_start` text DEFAULT 'MON' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);