-- Full-text search over messages (mirrored in migrations/postgres under the same name).
-- An FTS5 external-content table: it indexes `messages.content` without storing a second copy,
-- keyed by the messages' rowid. Triggers keep it in step inside the transaction that records
-- a turn, so a word is searchable as soon as its turn is acknowledged.
-- `messages` has no INTEGER PRIMARY KEY, so its rowids are stable except across a VACUUM;
-- after one, rebuild the index: INSERT INTO message_search(message_search) VALUES('rebuild');
-- Diacritics are kept (`café` is not `cafe`), as PostgreSQL's 'simple' configuration does.
CREATE VIRTUAL TABLE message_search USING fts5(
    content,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search(rowid, content) VALUES (new.rowid, new.content);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    VALUES ('delete', old.rowid, old.content);
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    VALUES ('delete', old.rowid, old.content);
    INSERT INTO message_search(rowid, content) VALUES (new.rowid, new.content);
END;

-- The messages recorded before this migration.
INSERT INTO message_search(message_search) VALUES ('rebuild');

-- A user id finds its sessions (exactly or by prefix).
CREATE INDEX sessions_user ON sessions(user_id);
