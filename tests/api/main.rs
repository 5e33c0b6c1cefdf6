//! Black-box tests of the Baton API: the real binary, real databases, real receivers.

mod helpers;

mod delivery;
mod errors;
mod flow;
mod inbox;
mod openapi;
