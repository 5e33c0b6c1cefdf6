-- The partial caller-id index built by `messages_external_id_partial` replaces the full one
-- (dropping an index and renaming one take no time). A database whose earlier Baton ran that
-- migration built the partial index under the old name already: nothing to do then.
-- A concurrent build that was interrupted (a restart, a cancelled start) leaves its index
-- INVALID, and the previous migration's IF NOT EXISTS then skips it: such an index is built
-- again here, in this transaction (blocking writes for the time it takes, which is better than
-- a caller-id index that does not check).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index
               WHERE indexrelid = to_regclass('messages_external_id_partial') AND NOT indisvalid) THEN
        DROP INDEX messages_external_id_partial;
        CREATE UNIQUE INDEX messages_external_id_partial
            ON messages(session_id, external_id) WHERE external_id IS NOT NULL;
    END IF;
    IF to_regclass('messages_external_id_partial') IS NOT NULL THEN
        DROP INDEX messages_external_id;
        ALTER INDEX messages_external_id_partial RENAME TO messages_external_id;
    END IF;
END
$$;
