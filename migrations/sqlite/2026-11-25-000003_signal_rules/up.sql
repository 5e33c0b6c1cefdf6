-- Versioned handoff signal rules: each PUT stores a new version; the newest is in force.
CREATE TABLE signal_rules (
    version BIGINT PRIMARY KEY NOT NULL,
    rules TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
