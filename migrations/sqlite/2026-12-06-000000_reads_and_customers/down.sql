DROP TABLE session_customers;
DROP TABLE session_reads;
