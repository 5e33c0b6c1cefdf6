-- How far each reviewer has read each conversation (db::reads): a customer message with a
-- higher seq is unread for them. No row: nothing read yet.
CREATE TABLE session_reads (
    session_id TEXT NOT NULL,
    reviewer_id TEXT NOT NULL,
    read_seq BIGINT NOT NULL,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, reviewer_id)
);

-- Who the customer is, as the workflow last described them with a takeover (name, email,
-- language, plan, any other strings): a JSON object of strings, shown in the inbox's customer
-- panel.
CREATE TABLE session_customers (
    session_id TEXT PRIMARY KEY NOT NULL,
    attributes TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
