DROP INDEX sessions_user;
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
