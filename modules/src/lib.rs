//! Glia's state-machine modules.
//!
//! Every module is a [`component::Component`] with the same rooms: `msgs` (types and
//! stateless validation), `state` (typed reads and writes, every key in one place), `handler`
//! (check → execute per message), `lifecycle` (genesis, begin/end of block), `query` (query
//! service), `events` and `component` (the trait, which the app's builder composes).
//! Components reach each other only through the narrow APIs they export (bank's `Escrow`,
//! `transfer`, `mint`, `burn`; the beacon's `current`, `chain`, `register`; staking's
//! validator set), never through another component's keys.
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
pub mod decimal;
pub mod distribution;
pub mod error;
pub mod gas;
pub mod ibc;
pub mod inference;
pub mod mint;
pub mod neuro;
pub mod staking;
pub mod store;
pub mod tendermint;
pub mod value;

pub use context::{BlockInfo, Ctx, Kv, ReadOnly};
pub mod pagination;
pub mod rest;
pub mod slashing;
pub use error::AppError;
