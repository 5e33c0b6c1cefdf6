-- Baton core schema (SQLite). Mirrored in migrations/postgres with the same names.
-- Ids are UUID text, JSON is text, times are UTC TIMESTAMP with microseconds.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE reviewers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    reviewer_id TEXT NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, reviewer_id)
);
CREATE INDEX team_members_reviewer ON team_members(reviewer_id);

CREATE TABLE reviewer_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    reviewer_id TEXT NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT,
    channel_ref TEXT NOT NULL,
    user_id TEXT,
    status TEXT NOT NULL,
    assigned_to TEXT,
    open_takeover_id TEXT,
    next_seq BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_user_message_at TIMESTAMP
);
CREATE INDEX sessions_status ON sessions(status, updated_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq BIGINT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    external_id TEXT,
    tool_calls TEXT,
    meta TEXT,
    at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE UNIQUE INDEX messages_external_id ON messages(session_id, external_id);

CREATE TABLE takeovers (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    reason TEXT NOT NULL,
    summary TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    context TEXT,
    assignee TEXT,
    assignee_team_id TEXT REFERENCES teams(id),
    assignee_reviewer_id TEXT REFERENCES reviewers(id),
    timeout_seconds BIGINT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    reply_webhook TEXT NOT NULL,
    handback_signal TEXT,
    proposal TEXT,
    decisions TEXT,
    api_key_id TEXT NOT NULL REFERENCES api_keys(id),
    idempotency_key TEXT,
    request_hash TEXT,
    claimed_by TEXT,
    claimed_at TIMESTAMP,
    resolved_at TIMESTAMP,
    handback_summary TEXT,
    escalation_step INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX takeovers_idempotency ON takeovers(api_key_id, idempotency_key);
CREATE INDEX takeovers_queue ON takeovers(status, priority, created_at);
CREATE INDEX takeovers_session ON takeovers(session_id, created_at);

CREATE TABLE notes (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    takeover_id TEXT,
    author TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notes_session ON notes(session_id, created_at);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    api_key_id TEXT NOT NULL REFERENCES api_keys(id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE deliveries (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    lane TEXT NOT NULL,
    session_id TEXT,
    takeover_id TEXT,
    event_type TEXT NOT NULL,
    api_key_id TEXT,
    webhook_id TEXT,
    message_id TEXT,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_lane ON deliveries(lane, status, position);
CREATE INDEX deliveries_message ON deliveries(message_id);

CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    url TEXT NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    response_excerpt TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempted_at);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    session_id TEXT,
    takeover_id TEXT,
    from_status TEXT,
    to_status TEXT,
    detail TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_session ON audit_events(session_id, at);
