-- WhatsApp message templates (domain::templates): a team's approved templates, offered in
-- place of free text once a WhatsApp conversation's 24-hour window has closed. A name is
-- unique per team and language, as at Meta. `buttons` is a JSON array of WhatsApp's buttons
-- (`[{"type": "URL", "text": ..., "url": ...}]`).
CREATE TABLE whatsapp_templates (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    header_format TEXT,
    header_text TEXT,
    body TEXT NOT NULL,
    footer TEXT,
    buttons TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX whatsapp_templates_team_name_language
    ON whatsapp_templates (team_id, name, language);
