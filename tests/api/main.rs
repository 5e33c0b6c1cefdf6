//! Black-box tests of the Baton API: the real binary, real databases, real receivers.

mod helpers;

mod insight;

mod approval;
mod delivery;
mod errors;
mod flow;
mod openapi;
mod signals;
mod timers;
