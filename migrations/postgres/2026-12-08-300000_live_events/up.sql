-- The shared log of live change notices (the reviewers' event stream, `GET /v1/events`): every
-- replica writes its notices here and numbers them from one sequence, so an event id means the
-- same on every replica and a stream that reconnects to another one replays what it missed.
-- Ids start at 1000: 0, 1 or any other small number a client makes up is never an id, so it
-- reads as unknown (`event: reset`). Pruned to the newest notices (see src/live.rs).
CREATE TABLE live_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY (START WITH 1000) PRIMARY KEY,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
