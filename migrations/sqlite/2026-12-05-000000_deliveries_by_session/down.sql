DROP INDEX deliveries_session;
