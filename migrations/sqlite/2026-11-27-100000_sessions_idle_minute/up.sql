-- PostgreSQL only (see its migration of the same name): SQLite updates rows in place whatever
-- their indexes, so `sessions_status (status, updated_at)` stays.
SELECT 1;
