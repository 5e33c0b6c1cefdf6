-- The queue's tab counts without counting the queue: every change to an open takeover's status
-- or assignee appends a +1/-1 row here (triggers, so no code path can forget one), the counts are
-- the sums per status over the scopes a reviewer may see, and the timer folds the rows into one
-- per scope from time to time. Appending never waits on another writer's row, so two replicas
-- cannot deadlock over a shared counter. '' stands for "no team" / "no reviewer".
CREATE TABLE queue_counts (
    id BIGSERIAL PRIMARY KEY,
    team_id TEXT NOT NULL,
    reviewer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    delta BIGINT NOT NULL
);

INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
SELECT COALESCE(assignee_team_id, ''), COALESCE(assignee_reviewer_id, ''), status, COUNT(*)
FROM takeovers WHERE status IN ('requested', 'claimed')
GROUP BY COALESCE(assignee_team_id, ''), COALESCE(assignee_reviewer_id, ''), status;

CREATE FUNCTION takeovers_count_open() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('requested', 'claimed') THEN
        INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
        VALUES (COALESCE(OLD.assignee_team_id, ''), COALESCE(OLD.assignee_reviewer_id, ''), OLD.status, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('requested', 'claimed') THEN
        INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
        VALUES (COALESCE(NEW.assignee_team_id, ''), COALESCE(NEW.assignee_reviewer_id, ''), NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER takeovers_count_insert_delete AFTER INSERT OR DELETE ON takeovers
FOR EACH ROW EXECUTE FUNCTION takeovers_count_open();

CREATE TRIGGER takeovers_count_update AFTER UPDATE OF status, assignee_team_id, assignee_reviewer_id ON takeovers
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
   OR OLD.assignee_team_id IS DISTINCT FROM NEW.assignee_team_id
   OR OLD.assignee_reviewer_id IS DISTINCT FROM NEW.assignee_reviewer_id)
EXECUTE FUNCTION takeovers_count_open();
