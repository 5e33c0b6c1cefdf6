ALTER TABLE session_reads DROP COLUMN read_customer_turns;
ALTER TABLE sessions DROP COLUMN customer_turns;
DELETE FROM backfills WHERE name = 'customer_turns';
