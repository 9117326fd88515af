//! The client commands of `gliad` (`tx inference generate-image`, `tx neuro …`, `solve`,
//! `gen`): they talk to a chain like any client, through `glia-client`, and sign with the
//! key and gas price `signer` resolves.

pub mod bank;
pub mod ibc_transfer;
pub mod ica;
pub mod inference;
pub mod init;
pub mod keys;
pub mod neuro;
pub mod query;
pub mod signer;
pub mod solve;
pub mod staking;
