DROP INDEX IF EXISTS messages_external_id_partial;
