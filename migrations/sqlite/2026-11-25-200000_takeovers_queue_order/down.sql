DROP INDEX takeovers_queue_order;
