-- Baton's own web chat: widget keys an admin creates, the visitors who chat through them (one
-- session each, reached with a token only its browser holds), and what the visitor is told
-- besides the turns themselves ("Alice joined", the handback notice, the place in the queue).
CREATE TABLE widgets (
    id TEXT PRIMARY KEY NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    team TEXT,
    allowed_origins TEXT NOT NULL,
    title TEXT NOT NULL,
    welcome TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE widget_visitors (
    session_id TEXT PRIMARY KEY NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    widget_id TEXT NOT NULL REFERENCES widgets (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX widget_visitors_by_widget ON widget_visitors (widget_id);

CREATE TABLE widget_notices (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, seq)
);
