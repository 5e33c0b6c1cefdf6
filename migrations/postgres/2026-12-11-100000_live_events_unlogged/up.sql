-- The log of live change notices is written without WAL. A notice tells the reviewers' streams
-- that something changed, and that change was committed, durably, before its notice was sent,
-- so the log has nothing of its own to make durable: logging notices no longer waits for a WAL
-- flush of its own, one after the other with the turn gate's commits (docs/PERFORMANCE.md).
-- What it gives up: a crash of PostgreSQL itself empties the log, so a stream that reconnects
-- then is told to reload (`event: reset`), as when its id is older than what the log keeps; a
-- standby does not hold it. On PostgreSQL 15 and later its sequence becomes unlogged with it
-- and starts over after such a crash; the journal then numbers from the clock, above every id
-- given before (db::events::renumber_after_reset), so an id never names two notices.
ALTER TABLE live_events SET UNLOGGED;
