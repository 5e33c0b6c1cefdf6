-- SQLite only (PostgreSQL computes its search words in the row's own trigger).
-- FTS5 writes its pending terms to disk at every RELEASE of a savepoint it took part in, and the
-- turn gate's group commit runs each turn in its own savepoint: the index got one new segment
-- per turn (and merged them again), a fifth of the turn gate's CPU. New messages now only note
-- their rowid here; whoever commits a write transaction indexes the noted rows just before the
-- COMMIT (db::search::index_pending), once per transaction, so a word is still searchable as
-- soon as its turn is acknowledged.
CREATE TABLE message_search_pending (message_rowid INTEGER PRIMARY KEY NOT NULL);

DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_update;

-- The backfill's range is left to it, as before (see 2026-12-06-100000_message_search).
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND new.rowid > b.after_rowid AND new.rowid <= b.until_rowid)
BEGIN
    INSERT OR IGNORE INTO message_search_pending(message_rowid) VALUES (new.rowid);
END;

-- A row still waiting is not in the index: it only leaves the queue (an FTS 'delete' of a row
-- the index never held would break the index's counts).
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND old.rowid > b.after_rowid AND old.rowid <= b.until_rowid)
BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    SELECT 'delete', old.rowid, old.content
    WHERE NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = old.rowid);
    DELETE FROM message_search_pending WHERE message_rowid = old.rowid;
END;

-- A row still waiting is indexed with its content at the commit; an indexed one is replaced.
CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages
WHEN NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'message_search'
                 AND old.rowid > b.after_rowid AND old.rowid <= b.until_rowid)
     AND NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = old.rowid)
BEGIN
    INSERT INTO message_search(message_search, rowid, content)
    VALUES ('delete', old.rowid, old.content);
    INSERT INTO message_search(rowid, content) VALUES (new.rowid, new.content);
END;
