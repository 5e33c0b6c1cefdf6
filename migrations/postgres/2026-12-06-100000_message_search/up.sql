-- Full-text search over messages (mirrored in migrations/sqlite under the same name).
-- A stored generated column holds each message's words, computed by the INSERT that records
-- the turn (so in its transaction, and in the turn gate's single statement), with the
-- 'simple' configuration: no stemming and no stop words, so every language is cut the same
-- way. A GIN index finds the messages holding every word of a search.
ALTER TABLE messages
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);

-- A user id finds its sessions (exactly or by prefix). `user_id` does not change on a turn,
-- so the sessions' in-place (HOT) updates stay possible.
CREATE INDEX sessions_user ON sessions(user_id);
