//! IBC: ibc-rs 0.57's core (ICS-02 clients with the 07-tendermint light client, ICS-03
//! connections, ICS-04 channels and packets) on Glia's provable `ibc` substore, and ICS-20
//! transfers and ICS-27 interchain accounts (host and controller). Relayers (Hermes) submit the core messages like any tx; users send
//! `MsgTransfer`. Glia's own consensus states, which counterparties' connection handshakes
//! check, are kept from the header fields FinalizeBlock gives (CometBFT 0.38 sends no header).

pub mod component;
pub mod controller;
pub mod events;
pub mod host;
pub mod ica;
pub mod query;
pub mod router;
pub mod state;
pub mod transfer;

#[cfg(test)]
mod tests;

pub use component::{Ibc, NAME};
pub use host::{jmt_spec, proof_specs};
/// The IBC protobuf types (ibc-go's), for clients building IBC messages.
pub use ibc_proto;
