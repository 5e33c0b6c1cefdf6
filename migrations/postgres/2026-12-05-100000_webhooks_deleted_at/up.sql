-- A deleted subscription is kept (marked) so the deliveries it received stay listed for its key.
ALTER TABLE webhooks ADD COLUMN deleted_at TIMESTAMP;
