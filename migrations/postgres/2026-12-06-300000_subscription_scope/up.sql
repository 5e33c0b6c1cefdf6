-- Which events a subscription receives beyond its event types. scope 'all': every session's
-- (as before); 'own_takeovers': only the takeovers of its API key whose reply_webhook or
-- handback_signal is its URL, and sessions that never had a takeover. channels: a JSON array of
-- channel names, NULL for every channel.
ALTER TABLE webhooks ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
ALTER TABLE webhooks ADD COLUMN channels TEXT;
