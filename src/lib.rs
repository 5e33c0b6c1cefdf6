//! Baton: a self-hosted live handoff inbox for n8n chatbots.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod inbox;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod state;
pub mod throttle;
pub mod timers;
