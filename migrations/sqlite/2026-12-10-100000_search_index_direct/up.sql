-- PostgreSQL only (see migrations/postgres/2026-12-10-100000_search_index_direct).
SELECT 1;
