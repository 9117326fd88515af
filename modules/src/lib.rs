//! Glia's state-machine modules.
//!
//! Every module has the same rooms: `msgs` (types and stateless validation), `state` (typed
//! reads and writes, every key in one place), `handler` (check → execute per message),
//! `lifecycle` (genesis, begin/end of block), `query` (query service) and `events`.
//! Modules reach each other only through the small functions they export (bank's
//! `transfer`), never through another module's keys.
//!
//! Consensus code: every arithmetic on values that input can reach is checked (an error, never
//! a panic in a dev build or a wrapped value in a release build). The lint below enforces it
//! (tests/run.sh runs clippy with `-D warnings`); each exception is an `allow` that says why the
//! values are bounded.
#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]

pub mod address;
pub mod auth;
pub mod bank;
pub mod beacon;
pub mod coins;
pub mod component;
pub mod context;
pub mod error;
pub mod gas;
pub mod inference;
pub mod neuro;
pub mod staking;
pub mod store;
pub mod tendermint;
pub mod value;

pub use context::{BlockInfo, Ctx, Kv, ReadOnly};
pub mod pagination;
pub use error::AppError;
