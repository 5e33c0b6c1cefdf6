-- The caller-id index covers only the messages that have one (most turns have none), so it is
-- smaller and cheaper to keep. Built CONCURRENTLY under a new name, so turns go on being recorded
-- while it reads every message (metadata.toml: no transaction); the next migration,
-- `messages_external_id_swap`, puts it in the old index's place.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS messages_external_id_partial
    ON messages(session_id, external_id) WHERE external_id IS NOT NULL;
