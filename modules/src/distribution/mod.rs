//! Distribution (`cosmos.distribution.v1beta1`, and `glia.distribution.v1` for the
//! useful-work pool). Every block, the fee collector's coins (the last block's fees and this
//! block's emission) are shared out: `useful_work_tax` to the useful-work pool, then
//! `community_tax` to the community pool, the rest to the validators that signed the last
//! block by voting power, each validator's share split by its commission between its operator
//! and everyone bonded to it. Delegators' shares are accounted lazily (F1, `f1`): cost per
//! block is independent of how many delegators there are. The useful-work pool (`work`) pays
//! executors and solvers each epoch for work that others paid for.
//!
//! Staking calls the hooks in `f1` before and after every change to a delegation's shares,
//! when a validator is created or removed, and before a slash.

pub mod allocate;
pub mod component;
pub mod dec_coins;
pub mod errors;
pub mod f1;
pub mod invariants;
pub mod lifecycle;
pub mod msgs;
pub mod query;
pub mod state;
pub mod work;

pub use work::{payee, record as record_work, Work};

#[cfg(test)]
mod tests;
