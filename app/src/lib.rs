//! gliad: the Glia node. An ABCI 2.0 application behind CometBFT.

pub mod app;
pub mod client;
pub mod fuzzing;
pub mod genesis;
pub mod grpc;
pub mod keys;
pub mod params;
pub mod query;
pub mod rest;
pub mod router;
pub mod storage;
pub mod tx;
