//! Callbacks from Baton to n8n: the event payloads, Standard Webhooks signing, the durable
//! outbox (written in the caller's transaction) and the worker that delivers it.

pub mod event;
pub mod outbox;
pub mod signing;
pub mod worker;
