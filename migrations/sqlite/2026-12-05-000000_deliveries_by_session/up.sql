CREATE INDEX deliveries_session ON deliveries(session_id, status, position);
