-- The partial caller-id index built by `messages_external_id_partial` replaces the full one
-- (dropping an index and renaming one take no time). A database whose earlier Baton ran that
-- migration built the partial index under the old name already: nothing to do then.
DO $$
BEGIN
    IF to_regclass('messages_external_id_partial') IS NOT NULL THEN
        DROP INDEX messages_external_id;
        ALTER INDEX messages_external_id_partial RENAME TO messages_external_id;
    END IF;
END
$$;
