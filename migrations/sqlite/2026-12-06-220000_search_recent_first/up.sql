-- PostgreSQL only (see its migration of the same name): FTS5 already walks its index from the
-- newest message back.
SELECT 1;
