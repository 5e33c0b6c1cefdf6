//! The rules of Baton, free of HTTP and SQL: the session state machine, parsed request values
//! (including the names and passwords admins set), the handoff signal evaluator, business hours
//! and routing.

pub mod accounts;
pub mod alerts;
pub mod canned;
pub mod change;
pub mod credentials;
pub mod duration;
pub mod effects;
pub mod escalation;
pub mod event;
pub mod hours;
pub mod memory;
pub mod notices;
pub mod policy;
pub mod review;
pub mod routing;
pub mod search;
pub mod session;
pub mod signals;
pub mod signing;
pub mod staff;
pub mod stats;
pub mod subscription;
pub mod takeover;
pub mod templates;
pub mod texts;
pub mod types;
pub mod visibility;
pub mod widget;
