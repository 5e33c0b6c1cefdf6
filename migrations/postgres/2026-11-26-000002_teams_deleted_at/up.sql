-- Teams are deleted softly: past takeovers, analytics and the audit trail keep naming them.
-- Mirrored in migrations/sqlite.
ALTER TABLE teams ADD COLUMN deleted_at TIMESTAMP;
