//! Callbacks from Baton to n8n: Standard Webhooks signing and the worker that delivers what the
//! outbox (`db::outbox`, written in the caller's transaction) holds. The event payloads are
//! `domain::event`.

pub mod signing;
pub mod worker;
