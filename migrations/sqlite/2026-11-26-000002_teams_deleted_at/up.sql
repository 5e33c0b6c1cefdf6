-- Teams are deleted softly: past takeovers, analytics and the audit trail keep naming them.
-- Mirrored in migrations/postgres.
ALTER TABLE teams ADD COLUMN deleted_at TIMESTAMP;
