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

-- The messages recorded before this migration are indexed after start, a batch at a time
-- (db::backfill), not here: on a million messages that takes longer than the turn gate may
-- wait. `until_rowid` is the last of them; rowids above it are indexed by the triggers.
INSERT INTO backfills (name, after_key, after_rowid, until_rowid, created_at)
SELECT 'message_search', '', 0, MAX(rowid), CURRENT_TIMESTAMP FROM messages
HAVING MAX(rowid) IS NOT NULL;

-- A rowid the backfill has not reached yet is left to it: indexing a new row there (a rowid
-- reused after the old newest ones were deleted) would index it twice, and removing an old row
-- that is not in the index yet would break the index's counts.
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND new.rowid > b.after_rowid AND new.rowid <= b.until_rowid)
BEGIN
    INSERT INTO message_search(rowid, content) VALUES (new.rowid, new.content);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND old.rowid > b.after_rowid AND old.rowid <= b.until_rowid)
BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    VALUES ('delete', old.rowid, old.content);
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND old.rowid > b.after_rowid AND old.rowid <= b.until_rowid)
BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    VALUES ('delete', old.rowid, old.content);
    INSERT INTO message_search(rowid, content) VALUES (new.rowid, new.content);
END;

-- A user id finds its sessions (exactly or by prefix).
CREATE INDEX sessions_user ON sessions(user_id);
