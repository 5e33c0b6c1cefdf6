-- PostgreSQL only (see migrations/postgres/2026-12-11-100000_live_events_unlogged).
SELECT 1;
