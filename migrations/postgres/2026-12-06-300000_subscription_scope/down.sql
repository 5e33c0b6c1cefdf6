ALTER TABLE webhooks DROP COLUMN channels;
ALTER TABLE webhooks DROP COLUMN scope;
