-- Full-text search over messages (mirrored in migrations/sqlite under the same name).
-- A column holds each message's words, computed by a trigger in the INSERT that records the
-- turn (so in its transaction, and in the turn gate's single statement), with the 'simple'
-- configuration: no stemming and no stop words, so every language is cut the same way. The
-- GIN index over it is built by `search_recent_first`.
-- Not a stored generated column (as databases made by an earlier Baton have; it behaves the
-- same): adding one rewrites the whole table under a lock that stops the turn gate for as long
-- as it takes. A plain column is added at once, and the old messages' words are computed after
-- start, a batch at a time (db::backfill).
-- A user id finds its sessions (exactly or by prefix). `user_id` does not change on a turn,
-- so the sessions' in-place (HOT) updates stay possible.
-- First: a turn locks its session before its message, so this migration does too (the other
-- order deadlocks with turns recorded meanwhile).
CREATE INDEX sessions_user ON sessions(user_id);

ALTER TABLE messages ADD COLUMN search tsvector;

CREATE FUNCTION baton_message_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', NEW.content);
    RETURN NEW;
END
$$;

CREATE TRIGGER messages_words BEFORE INSERT OR UPDATE OF content ON messages
FOR EACH ROW EXECUTE FUNCTION baton_message_words();

INSERT INTO backfills (name, created_at)
SELECT 'message_search', now() AT TIME ZONE 'UTC' WHERE EXISTS (SELECT 1 FROM messages);

