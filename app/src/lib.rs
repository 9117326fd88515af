//! gliad: the Glia node. An ABCI 2.0 application behind CometBFT.
//!
//! Without the default `node` feature the library is the tx pipeline alone (decode, ante
//! checks, modules, genesis, keys), with no storage engine or servers: that is what the fuzz
//! target builds.

pub mod client;
pub mod fuzzing;
pub mod genesis;
pub mod index_events;
pub mod keys;
pub mod params;
pub mod query;
pub mod results;
pub mod router;
pub mod tx;
pub mod votes;

#[cfg(feature = "node")]
pub mod abci_server;
#[cfg(feature = "node")]
pub mod app;
#[cfg(feature = "node")]
pub mod executor;
#[cfg(feature = "node")]
pub mod grpc;
#[cfg(feature = "node")]
pub mod inference_cli;
#[cfg(feature = "node")]
pub mod neuro_cli;
#[cfg(feature = "node")]
pub mod neuro_worker;
#[cfg(feature = "node")]
pub mod rest;
#[cfg(feature = "node")]
pub mod rpc;
#[cfg(feature = "node")]
pub mod signer;
#[cfg(feature = "node")]
pub mod solve_cli;
#[cfg(feature = "node")]
pub mod storage;
