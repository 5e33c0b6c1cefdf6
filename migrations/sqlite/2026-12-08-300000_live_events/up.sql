-- The shared log of live change notices (the reviewers' event stream, `GET /v1/events`): one
-- process on SQLite, but the ids survive a restart, so a stream that reconnects afterwards
-- replays what it missed. AUTOINCREMENT never reuses an id after pruning. Ids start at 1000:
-- 0, 1 or any other small number a client makes up is never an id, so it reads as unknown
-- (`event: reset`). Pruned to the newest notices (see src/live.rs).
CREATE TABLE live_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('live_events', 999);
