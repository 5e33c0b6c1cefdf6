ALTER TABLE sessions DROP COLUMN outside_by;
ALTER TABLE teams DROP COLUMN outside_quiet_seconds;
