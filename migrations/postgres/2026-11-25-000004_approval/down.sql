ALTER TABLE takeovers DROP COLUMN decision_payload;
ALTER TABLE takeovers DROP COLUMN default_decision;
