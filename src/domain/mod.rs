//! The rules of Baton, free of HTTP and SQL: the session state machine, parsed request values,
//! and the handoff signal evaluator.

pub mod duration;
pub mod hours;
pub mod policy;
pub mod routing;
pub mod session;
pub mod signals;
pub mod stats;
pub mod takeover;
pub mod types;
