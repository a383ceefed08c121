CREATE INDEX `tasks_team_source_created_idx` ON `tasks` (`team_id`,`external_source`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_creator_updated_idx` ON `tasks` (`created_by`,`team_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_creator_priority_idx` ON `tasks` (`created_by`,`team_id`,`priority_rank`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_creator_title_idx` ON `tasks` (`created_by`,`team_id`,`title`,`id`);