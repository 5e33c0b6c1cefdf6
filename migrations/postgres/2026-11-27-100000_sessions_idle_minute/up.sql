-- Every turn updates its session row (sequence number, times). While `updated_at` sat in an
-- index, none of those updates could be HOT (in place, without new index entries): each turn
-- added an entry to both of the table's indexes. The idle-close timer only needs the minute, so
-- a stored generated column keeps it and the index uses that: turns within the same minute leave
-- every indexed column as it was. Pages keep room for the in-place versions.
ALTER TABLE sessions
    ADD COLUMN active_minute TIMESTAMP GENERATED ALWAYS AS (date_trunc('minute', updated_at)) STORED;
DROP INDEX sessions_status;
CREATE INDEX sessions_idle ON sessions(status, active_minute);
ALTER TABLE sessions SET (fillfactor = 85);
