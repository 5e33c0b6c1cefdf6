DROP INDEX messages_external_id;
CREATE UNIQUE INDEX messages_external_id ON messages(session_id, external_id);
