//! Black-box tests of the Baton API: the real binary, real databases, real receivers.

mod helpers;

mod admin;
mod alerts;
mod approval;
mod attention;
mod canned;
mod crash;
mod delivery;
mod errors;
mod failover;
mod flow;
mod fuzz;
mod groupcommit;
mod inbox;
mod insight;
mod memory;
mod observability;
mod openapi;
mod operations;
mod outage;
mod parsers;
mod races;
mod routing;
mod search;
mod security;
mod setup;
mod signals;
mod staff;
mod subscriptions;
mod templates;
mod timers;
mod turns;
mod upgrade;
mod widget;
