-- PostgreSQL only (SQLite builds the partial index in `messages_external_id_partial`).
SELECT 1;
