-- Approval decisions: the default applied on timeout, and the edited payload of an 'edit'.
ALTER TABLE takeovers ADD COLUMN default_decision TEXT;
ALTER TABLE takeovers ADD COLUMN decision_payload TEXT;
