//! Callbacks from Baton to n8n: the worker that delivers what the
//! outbox (`db::outbox`, written in the caller's transaction) holds. The event payloads are
//! `domain::event`, their Standard Webhooks signatures `domain::signing`. Reviewer alert
//! e-mails go through the same outbox and worker, sent over SMTP (`mail`).

pub mod mail;
pub mod worker;
