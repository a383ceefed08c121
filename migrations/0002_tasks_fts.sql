-- Full-text index of tasks (title, description) for ?search=: an FTS5 external-content table over tasks
-- with the trigram tokenizer, so a MATCH finds case-insensitive substrings (what `search` promises) instead
-- of words, and a search reads the matching rows instead of scanning the team's tasks.
-- Kept in step by the triggers below (team deletion cascades fire them too). tasks_fts_vocab exposes each
-- trigram's document count: the list reads it to choose between the index and an ordered walk.
-- Note: `wrangler d1 export` refuses a database with virtual tables. To export: drop the triggers,
-- tasks_fts_vocab and tasks_fts, export, then re-run this file (the 'rebuild' below re-indexes every task).
CREATE VIRTUAL TABLE `tasks_fts` USING fts5(title, description, content='tasks', content_rowid='id', tokenize='trigram');
--> statement-breakpoint
CREATE VIRTUAL TABLE `tasks_fts_vocab` USING fts5vocab(tasks_fts, 'row');
--> statement-breakpoint
INSERT INTO `tasks_fts`(`tasks_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO `tasks_fts`(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO `tasks_fts`(`tasks_fts`, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_au` AFTER UPDATE OF title, description ON `tasks` BEGIN
  INSERT INTO `tasks_fts`(`tasks_fts`, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
  INSERT INTO `tasks_fts`(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
