DROP INDEX sessions_user;
DROP TRIGGER messages_search_update;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_insert;
DROP TABLE message_search;
DELETE FROM backfills WHERE name = 'message_search';
