-- Unread counts without counting messages (db::reads): each session counts its customer turns
-- as the turn gate records them (in the UPDATE it already makes on the session row), and each
-- read mark remembers how many of them it covered. Unread = the difference.
ALTER TABLE sessions ADD COLUMN customer_turns BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET customer_turns = (
    SELECT count(*) FROM messages
    WHERE messages.session_id = sessions.id AND messages.sender = 'user');
ALTER TABLE session_reads ADD COLUMN read_customer_turns BIGINT NOT NULL DEFAULT 0;
UPDATE session_reads SET read_customer_turns = (
    SELECT count(*) FROM messages
    WHERE messages.session_id = session_reads.session_id AND messages.sender = 'user'
      AND messages.seq <= session_reads.read_seq);
