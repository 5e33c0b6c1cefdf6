DROP TRIGGER takeovers_count_update ON takeovers;
DROP TRIGGER takeovers_count_insert_delete ON takeovers;
DROP FUNCTION takeovers_count_open();
DROP TABLE queue_counts;
