//! glia-client: what every program that talks to a Glia chain shares: keys (BIP-39, the
//! Cosmos HD path), txs built and signed as cosmjs builds them, and a CometBFT RPC client that
//! broadcasts, waits and queries, paying what Simulate and the node's minimum gas price say.
//! The CLI, the load generator, the validator's services and the end-to-end tests use it; it
//! needs no node (no storage engine).

pub mod keyring;
pub mod keys;
pub mod rpc;
pub mod tx;
