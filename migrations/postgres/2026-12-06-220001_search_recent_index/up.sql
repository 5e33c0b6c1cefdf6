-- The newest-first search index (see `search_recent_first`), built CONCURRENTLY: writes to
-- `messages` go on while it is built, however many messages there are. That cannot happen in
-- a transaction (metadata.toml) nor beside another statement, hence a migration of its own.
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search_recent ON messages
    USING gin ((search || baton_search_buckets(recorded_at)));
