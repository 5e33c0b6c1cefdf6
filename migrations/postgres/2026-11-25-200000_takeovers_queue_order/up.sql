-- The queue lists open takeovers by priority, highest first, then oldest first. takeovers_queue is
-- ascending on both columns, so that mixed order sorted every open takeover on each page (43 ms at
-- 100 000 open, see docs/PERFORMANCE.md). Mirrored in migrations/sqlite.
CREATE INDEX takeovers_queue_order ON takeovers(status, priority DESC, created_at);
