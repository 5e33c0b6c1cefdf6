-- Reviewer alerts by e-mail: each reviewer's address, whether they want alerts and their quiet
-- hours; and one mark per alert occasion (a takeover's step, an offer) so each is alerted once,
-- whichever replica sees it first. Mirrored in migrations/sqlite.
CREATE TABLE reviewer_alerts (
    reviewer_id TEXT PRIMARY KEY NOT NULL REFERENCES reviewers(id),
    email TEXT,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    quiet_start TEXT,
    quiet_end TEXT,
    quiet_timezone TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE alert_marks (
    mark TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL
);
