//! gliad: the Glia node. An ABCI 2.0 application behind CometBFT.
//!
//! Without the default `node` feature the library is the tx pipeline alone (decode, ante
//! checks, modules, genesis, keys), with no storage engine or servers: that is what the fuzz
//! target builds.

// Consensus code (the tx pipeline, vote extensions, block processing, state, queries): every
// arithmetic on values that input can reach is checked, enforced by the lint on these modules
// (tests/run.sh runs clippy with -D warnings); exceptions are `allow`s that say why.
pub mod components;
pub mod fuzzing;
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod genesis;
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod index_events;
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod params;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod results;
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod tx;
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod votes;

#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod abci_server;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod app;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod block;
#[cfg(feature = "node")]
pub mod cli;
#[cfg(feature = "node")]
pub mod grpc;
#[cfg(feature = "node")]
pub mod keplr;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod mempool;
#[cfg(feature = "node")]
pub mod metrics;
#[cfg(feature = "node")]
pub mod node_info;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod proposal;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod query;
#[cfg(feature = "node")]
pub mod rest;
#[cfg(feature = "node")]
pub mod services;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod simulate;
#[cfg(feature = "node")]
#[cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]
pub mod storage;
#[cfg(feature = "node")]
pub mod web;
