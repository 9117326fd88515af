//! Staking (`cosmos.staking.v1beta1`): validators created with MsgCreateValidator (and at
//! genesis, through the same path), delegations bought as shares, undelegations that wait out
//! the unbonding period, redelegations, and the bonded set chosen by power and returned to
//! CometBFT. Other modules read the signing set to weigh validators' work and to check the
//! signatures on their vote extensions.

pub mod amino;
pub mod component;
pub mod delegation;
pub mod errors;
pub mod historical;
pub mod invariants;
pub mod lifecycle;
pub mod msgs;
pub mod query;
pub mod query_json;
pub mod set;
pub mod slash;
pub mod state;
pub mod validators;

pub use state::{consensus_address, validator, validators, ConsensusAddress, Validator};

#[cfg(test)]
pub(crate) mod tests;

/// Staking's unbonding time, in seconds (IBC light clients of Glia must trust for less).
pub fn unbonding_seconds(kv: &mut impl crate::context::Kv) -> crate::error::AppResult<u64> {
    let p = state::params(kv)?;
    Ok(p.unbonding_time
        .map_or(0, |d| u64::try_from(d.seconds).unwrap_or(0)))
}

/// How many recent heights' headers are kept (historical info, and IBC's own consensus
/// states, which counterparties' connection handshakes check).
pub fn historical_entries(kv: &mut impl crate::context::Kv) -> crate::error::AppResult<u64> {
    Ok(u64::from(state::params(kv)?.historical_entries))
}
