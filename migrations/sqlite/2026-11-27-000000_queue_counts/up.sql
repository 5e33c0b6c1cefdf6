-- The queue's tab counts without counting the queue: every change to an open takeover's status
-- or assignee appends a +1/-1 row here (triggers, so no code path can forget one), the counts are
-- the sums per status over the scopes a reviewer may see, and the timer folds the rows into one
-- per scope from time to time. Appending never waits on another writer's row, so two replicas
-- on PostgreSQL cannot deadlock over a shared counter. '' stands for "no team" / "no reviewer".
CREATE TABLE queue_counts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id TEXT NOT NULL,
    reviewer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    delta BIGINT NOT NULL
);

INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
SELECT COALESCE(assignee_team_id, ''), COALESCE(assignee_reviewer_id, ''), status, COUNT(*)
FROM takeovers WHERE status IN ('requested', 'claimed')
GROUP BY COALESCE(assignee_team_id, ''), COALESCE(assignee_reviewer_id, ''), status;

CREATE TRIGGER takeovers_count_insert AFTER INSERT ON takeovers
WHEN NEW.status IN ('requested', 'claimed')
BEGIN
    INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
    VALUES (COALESCE(NEW.assignee_team_id, ''), COALESCE(NEW.assignee_reviewer_id, ''), NEW.status, 1);
END;

CREATE TRIGGER takeovers_count_update AFTER UPDATE OF status, assignee_team_id, assignee_reviewer_id ON takeovers
WHEN OLD.status IS NOT NEW.status
  OR OLD.assignee_team_id IS NOT NEW.assignee_team_id
  OR OLD.assignee_reviewer_id IS NOT NEW.assignee_reviewer_id
BEGIN
    INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
    SELECT COALESCE(OLD.assignee_team_id, ''), COALESCE(OLD.assignee_reviewer_id, ''), OLD.status, -1
    WHERE OLD.status IN ('requested', 'claimed');
    INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
    SELECT COALESCE(NEW.assignee_team_id, ''), COALESCE(NEW.assignee_reviewer_id, ''), NEW.status, 1
    WHERE NEW.status IN ('requested', 'claimed');
END;

CREATE TRIGGER takeovers_count_delete AFTER DELETE ON takeovers
WHEN OLD.status IN ('requested', 'claimed')
BEGIN
    INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
    VALUES (COALESCE(OLD.assignee_team_id, ''), COALESCE(OLD.assignee_reviewer_id, ''), OLD.status, -1);
END;
