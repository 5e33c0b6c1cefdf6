-- Backfills (db::backfill): what a migration leaves to do after start, in small batches, because
-- doing it under the migration's lock would stop the turn gate on a big database (computing the
-- search index or the customer-turn counts of a million old messages). A migration that needs
-- one records a row; Baton works through it batch by batch (`after_key` / `after_rowid`: the
-- last key done) and sets `finished_at`.
-- IF NOT EXISTS: this migration is older than some it serves, so a database that already had
-- those runs it after them (it then has nothing to backfill).
CREATE TABLE IF NOT EXISTS backfills (
    name TEXT PRIMARY KEY NOT NULL,
    after_key TEXT NOT NULL DEFAULT '',
    after_rowid BIGINT NOT NULL DEFAULT 0,
    until_rowid BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
