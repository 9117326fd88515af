//! The validator set. So far it is the set CometBFT starts with (InitChain); bonding,
//! delegation and slashing come later. Other modules read it to weigh validators' work and to
//! check the signatures on their vote extensions.

pub mod component;
pub mod lifecycle;
pub mod query;
pub mod state;

pub use state::{consensus_address, validator, validators, ConsensusAddress, Validator};
