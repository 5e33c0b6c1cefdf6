-- Replies from outside Baton. teams.outside_quiet_seconds: how long after a person's last
-- `staff` turn the AI gets the conversation back (NULL: the default, 30 minutes).
-- sessions.outside_by: the last staff sender as written (`staff` or `staff:<name>`); it owns
-- the session while its status is `staff_active`.
ALTER TABLE teams ADD COLUMN outside_quiet_seconds BIGINT;
ALTER TABLE sessions ADD COLUMN outside_by TEXT;
