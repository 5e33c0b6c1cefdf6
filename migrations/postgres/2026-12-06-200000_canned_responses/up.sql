-- Canned responses (domain::canned): texts reviewers insert into a reply with `/shortcut`.
-- Exactly one of team_id (team-wide, managed by admins) and owner_id (personal, one
-- reviewer's) is set; a shortcut is unique within its team and within its owner's own.
CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT REFERENCES teams (id),
    owner_id TEXT REFERENCES reviewers (id),
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((team_id IS NULL AND owner_id IS NOT NULL) OR (team_id IS NOT NULL AND owner_id IS NULL))
);
CREATE UNIQUE INDEX canned_responses_team_shortcut ON canned_responses (team_id, shortcut)
    WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX canned_responses_owner_shortcut ON canned_responses (owner_id, shortcut)
    WHERE owner_id IS NOT NULL;
