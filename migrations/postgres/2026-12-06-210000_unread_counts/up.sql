-- Unread counts without counting messages (db::reads): each session counts its customer turns
-- as the turn gate records them (in the UPDATE it already makes on the session row), and each
-- read mark remembers how many of them it covered. Unread = the difference.
-- The columns are added at once; the counts of the sessions and read marks that existed before
-- are made after start, a batch of sessions at a time (db::backfill), not here: counting a
-- million messages under the migration's lock would stop the turn gate meanwhile.
ALTER TABLE sessions ADD COLUMN customer_turns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE session_reads ADD COLUMN read_customer_turns BIGINT NOT NULL DEFAULT 0;
INSERT INTO backfills (name, created_at)
SELECT 'customer_turns', now() AT TIME ZONE 'UTC' WHERE EXISTS (SELECT 1 FROM sessions);
