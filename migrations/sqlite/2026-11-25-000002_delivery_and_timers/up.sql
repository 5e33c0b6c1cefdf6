-- Escalation policies, team notification channels, subscription secret rotation, and the
-- columns the timers need. Mirrored in migrations/postgres.
CREATE TABLE escalation_policies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    team_id TEXT REFERENCES teams(id) ON DELETE SET NULL,
    steps TEXT NOT NULL,
    fallback_message TEXT NOT NULL,
    fallback_action TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX escalation_policies_team ON escalation_policies(team_id);

CREATE TABLE team_channels (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    chat_id TEXT,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX team_channels_team ON team_channels(team_id);

ALTER TABLE takeovers ADD COLUMN escalation_policy_id TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at TIMESTAMP;
ALTER TABLE deliveries ADD COLUMN channel_id TEXT;
CREATE INDEX takeovers_due ON takeovers(status, expires_at);
CREATE INDEX deliveries_status_position ON deliveries(status, position);
