-- Index whatever still waits, then restore the triggers that index in place.
INSERT INTO message_search(rowid, content)
SELECT m.rowid, m.content FROM message_search_pending p JOIN messages m ON m.rowid = p.message_rowid;

DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_update;
DROP TABLE message_search_pending;

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
