DROP INDEX sessions_user;
DELETE FROM backfills WHERE name = 'message_search';
DROP TRIGGER IF EXISTS messages_words ON messages;
DROP FUNCTION IF EXISTS baton_message_words();
DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN search;
