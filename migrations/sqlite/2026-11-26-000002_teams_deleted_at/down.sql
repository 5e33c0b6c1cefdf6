ALTER TABLE teams DROP COLUMN deleted_at;
