DROP INDEX deliveries_status_position;
DROP INDEX takeovers_due;
ALTER TABLE deliveries DROP COLUMN channel_id;
ALTER TABLE webhooks DROP COLUMN previous_secret_expires_at;
ALTER TABLE webhooks DROP COLUMN previous_secret;
ALTER TABLE takeovers DROP COLUMN escalation_policy_id;
DROP TABLE team_channels;
DROP TABLE escalation_policies;
