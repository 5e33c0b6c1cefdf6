//! The rules of Baton, free of HTTP and SQL: the session state machine, parsed request values,
//! the handoff signal evaluator, and business hours.

pub mod duration;
pub mod hours;
pub mod policy;
pub mod routing;
pub mod session;
pub mod signals;
pub mod stats;
pub mod takeover;
pub mod types;
