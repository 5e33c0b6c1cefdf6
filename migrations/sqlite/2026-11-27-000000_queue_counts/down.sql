DROP TRIGGER takeovers_count_delete;
DROP TRIGGER takeovers_count_update;
DROP TRIGGER takeovers_count_insert;
DROP TABLE queue_counts;
