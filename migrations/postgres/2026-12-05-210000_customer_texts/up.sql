-- What Baton says to customers, per team and language (domain::texts): an admin's template for
-- one sentence; team '' is every team, locale '' the default language.
CREATE TABLE customer_texts (
    team TEXT NOT NULL,
    locale TEXT NOT NULL,
    key TEXT NOT NULL,
    template TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team, locale, key)
);

-- The customer's language: sent by the workflow with a takeover, or by the web chat widget
-- (the visitor's browser language).
ALTER TABLE takeovers ADD COLUMN locale TEXT;
ALTER TABLE widget_visitors ADD COLUMN locale TEXT;
