-- Sessions stored before the timeline rule (started_at ≤ every switch, pause and resume ≤ ended_at; pauses
-- and resumes alternating) could contradict themselves: `close` took an ended_at before the last switch or
-- resume, and a lost pause race could leave overlapping pauses. This moves each stray event onto the session's
-- own bounds. Stored numbers do not change: focus time, stretches and deep-work blocks were always computed
-- with pauses and switches clipped to [started_at, ended_at] and overlapping pauses merged, which is what the
-- rows now say. Idempotent: on a consistent database every statement changes nothing.
UPDATE `context_switches` SET `happened_at` = (SELECT s.`started_at` FROM `dev_sessions` s WHERE s.`id` = `context_switches`.`session_id`)
WHERE `happened_at` < (SELECT s.`started_at` FROM `dev_sessions` s WHERE s.`id` = `context_switches`.`session_id`);
--> statement-breakpoint
UPDATE `context_switches` SET `happened_at` = (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `context_switches`.`session_id`)
WHERE `happened_at` > (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `context_switches`.`session_id` AND s.`ended_at` IS NOT NULL);
--> statement-breakpoint
UPDATE `dev_sessions` SET `last_switch_at` = (SELECT max(cs.`happened_at`) FROM `context_switches` cs WHERE cs.`session_id` = `dev_sessions`.`id`)
WHERE `last_switch_at` IS NOT (SELECT max(cs.`happened_at`) FROM `context_switches` cs WHERE cs.`session_id` = `dev_sessions`.`id`);
--> statement-breakpoint
-- A pause that began after its session ended held no time of it.
DELETE FROM `session_pauses`
WHERE `paused_at` > (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id` AND s.`ended_at` IS NOT NULL);
--> statement-breakpoint
UPDATE `session_pauses` SET `paused_at` = (SELECT s.`started_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id`)
WHERE `paused_at` < (SELECT s.`started_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id`);
--> statement-breakpoint
-- A pause left open, or resumed after the end, of a closed session ends with it.
UPDATE `session_pauses` SET `resumed_at` = (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id`)
WHERE (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id`) IS NOT NULL
  AND (`resumed_at` IS NULL OR `resumed_at` > (SELECT s.`ended_at` FROM `dev_sessions` s WHERE s.`id` = `session_pauses`.`session_id`));
--> statement-breakpoint
-- Overlapping pauses: one inside an earlier one (the same pause written twice by a lost race) goes ...
DELETE FROM `session_pauses`
WHERE EXISTS (
  SELECT 1 FROM `session_pauses` o
  WHERE o.`session_id` = `session_pauses`.`session_id` AND o.`id` != `session_pauses`.`id`
    AND (o.`paused_at` < `session_pauses`.`paused_at` OR (o.`paused_at` = `session_pauses`.`paused_at` AND o.`id` < `session_pauses`.`id`))
    AND coalesce(o.`resumed_at`, '9999') >= coalesce(`session_pauses`.`resumed_at`, '9999')
);
--> statement-breakpoint
-- ... and one that began inside an earlier one begins where that one ended.
UPDATE `session_pauses` SET `paused_at` = x.`new_start`
FROM (
  SELECT p.`id` AS `id`, max(o.`resumed_at`) AS `new_start`
  FROM `session_pauses` p
  JOIN `session_pauses` o ON o.`session_id` = p.`session_id` AND o.`id` != p.`id`
    AND o.`paused_at` <= p.`paused_at` AND o.`resumed_at` > p.`paused_at`
  GROUP BY p.`id`
) AS x
WHERE `session_pauses`.`id` = x.`id`;
