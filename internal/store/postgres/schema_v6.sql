-- Sagitta PostgreSQL schema, version 6 (call queue): what the call workbench
-- reads without scanning every task. The indexes serve store.CallPage in
-- queue order (call-back time, then id) for one campaign, for all, and for
-- one agent (in one campaign or in all); call_task_counts keeps the number
-- of tasks by (campaign, state, result), maintained by a trigger so that
-- every write path counts, and filled here from the tasks already stored.
CREATE INDEX IF NOT EXISTS call_tasks_queue ON call_tasks (campaign, state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_queue_all ON call_tasks (state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_assignee ON call_tasks (assignee, state, callback_at, id);
CREATE INDEX IF NOT EXISTS call_tasks_assignee_campaign ON call_tasks (assignee, campaign, state, callback_at, id);

CREATE TABLE IF NOT EXISTS call_task_counts (
    campaign text   NOT NULL,
    state    text   NOT NULL,
    result   text   NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (campaign, state, result)
);

INSERT INTO call_task_counts (campaign, state, result, n)
SELECT campaign, state, result, count(*) FROM call_tasks GROUP BY campaign, state, result
ON CONFLICT (campaign, state, result) DO UPDATE SET n = excluded.n;

CREATE OR REPLACE FUNCTION call_tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE call_task_counts SET n = n - 1
        WHERE campaign = OLD.campaign AND state = OLD.state AND result = OLD.result;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO call_task_counts (campaign, state, result, n) VALUES (NEW.campaign, NEW.state, NEW.result, 1)
        ON CONFLICT (campaign, state, result) DO UPDATE SET n = call_task_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS call_tasks_count_insert ON call_tasks;
CREATE TRIGGER call_tasks_count_insert AFTER INSERT OR DELETE ON call_tasks
    FOR EACH ROW EXECUTE FUNCTION call_tasks_count();
DROP TRIGGER IF EXISTS call_tasks_count_update ON call_tasks;
CREATE TRIGGER call_tasks_count_update AFTER UPDATE OF campaign, state, result ON call_tasks
    FOR EACH ROW WHEN (OLD.campaign IS DISTINCT FROM NEW.campaign OR OLD.state IS DISTINCT FROM NEW.state
        OR OLD.result IS DISTINCT FROM NEW.result)
    EXECUTE FUNCTION call_tasks_count();
