-- Routing: each team's assignment policy and business hours, each reviewer's availability and
-- capacity, the open offers of automatic assignment, and the takeovers whose customer asked for
-- queue updates. Mirrored in migrations/sqlite.
CREATE TABLE team_routing (
    team_id TEXT PRIMARY KEY NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    offer_seconds BIGINT NOT NULL,
    business_hours TEXT,
    last_assigned TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE reviewer_presence (
    reviewer_id TEXT PRIMARY KEY NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    availability TEXT NOT NULL,
    capacity INTEGER,
    last_seen_at TIMESTAMP,
    last_assigned_at TIMESTAMP,
    changed_at TIMESTAMP NOT NULL
);

CREATE TABLE takeover_offers (
    takeover_id TEXT PRIMARY KEY NOT NULL REFERENCES takeovers(id) ON DELETE CASCADE,
    team_id TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    offered_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX takeover_offers_reviewer ON takeover_offers(reviewer_name);
CREATE INDEX takeover_offers_expiry ON takeover_offers(expires_at);

CREATE TABLE queue_watches (
    takeover_id TEXT PRIMARY KEY NOT NULL REFERENCES takeovers(id) ON DELETE CASCADE,
    last_position BIGINT,
    last_sent_at TIMESTAMP
);

CREATE INDEX takeovers_claimed_by ON takeovers(claimed_by, status);
CREATE INDEX takeovers_team_claims ON takeovers(assignee_team_id, claimed_at);
