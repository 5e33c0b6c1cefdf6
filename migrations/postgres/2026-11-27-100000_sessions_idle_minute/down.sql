ALTER TABLE sessions RESET (fillfactor);
DROP INDEX sessions_idle;
CREATE INDEX sessions_status ON sessions(status, updated_at);
ALTER TABLE sessions DROP COLUMN active_minute;
