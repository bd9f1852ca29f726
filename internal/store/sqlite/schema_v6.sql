-- Schema version 6 (call queue): what the call workbench reads without
-- scanning every task. The indexes serve store.CallPage in queue order
-- (call-back time, then id) for one campaign, for all, and for one agent
-- (in one campaign or in all);
-- call_task_counts keeps the number of tasks by (campaign, state, result),
-- maintained by triggers so that every write path counts, and filled here
-- from the tasks already stored.
CREATE INDEX IF NOT EXISTS call_tasks_queue ON call_tasks (campaign, state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_queue_all ON call_tasks (state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_assignee ON call_tasks (assignee, state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_assignee_campaign ON call_tasks (assignee, campaign, state, callback_at, id);

CREATE TABLE IF NOT EXISTS call_task_counts (
    campaign TEXT    NOT NULL,
    state    TEXT    NOT NULL,
    result   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (campaign, state, result)
) WITHOUT ROWID;

INSERT INTO call_task_counts (campaign, state, result, n)
SELECT campaign, state, result, COUNT(*) FROM call_tasks WHERE true GROUP BY campaign, state, result
ON CONFLICT (campaign, state, result) DO UPDATE SET n = excluded.n;

CREATE TRIGGER IF NOT EXISTS call_tasks_count_insert AFTER INSERT ON call_tasks BEGIN
    INSERT INTO call_task_counts (campaign, state, result, n) VALUES (NEW.campaign, NEW.state, NEW.result, 1)
    ON CONFLICT (campaign, state, result) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS call_tasks_count_update AFTER UPDATE OF campaign, state, result ON call_tasks
WHEN OLD.campaign IS NOT NEW.campaign OR OLD.state IS NOT NEW.state OR OLD.result IS NOT NEW.result BEGIN
    UPDATE call_task_counts SET n = n - 1 WHERE campaign = OLD.campaign AND state = OLD.state AND result = OLD.result;
    INSERT INTO call_task_counts (campaign, state, result, n) VALUES (NEW.campaign, NEW.state, NEW.result, 1)
    ON CONFLICT (campaign, state, result) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS call_tasks_count_delete AFTER DELETE ON call_tasks BEGIN
    UPDATE call_task_counts SET n = n - 1 WHERE campaign = OLD.campaign AND state = OLD.state AND result = OLD.result;
END;
