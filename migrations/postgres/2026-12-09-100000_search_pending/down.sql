-- SQLite only (see migrations/sqlite/2026-12-09-100000_search_pending).
SELECT 1;
