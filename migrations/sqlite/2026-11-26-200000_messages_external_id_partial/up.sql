-- Only turns sent with the caller's id need the uniqueness check; most turns have none, and
-- each paid for an index entry of (session_id, NULL) it never used.
DROP INDEX messages_external_id;
CREATE UNIQUE INDEX messages_external_id ON messages(session_id, external_id)
    WHERE external_id IS NOT NULL;
