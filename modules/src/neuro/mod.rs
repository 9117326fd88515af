//! Neuromorphic jobs (`glia.neuro.v1`): customers post SAT, MaxSAT and QUBO problems with a
//! per-block fee and a solution reward; anyone (in practice validators' DMM solvers) submits
//! assignments, which the chain verifies exactly and pays for. Jobs above a size threshold
//! wait for a review committee first. Money rules: see `handler`.

pub mod component;
pub mod errors;
pub mod events;
pub mod handler;
pub mod lifecycle;
pub mod msgs;
pub mod query;
mod solution;
pub mod state;
#[cfg(test)]
mod tests;

/// The problem formats, parsers and exact energies: their own crate, so solvers need not
/// depend on the chain's modules.
pub use glia_problem as problem;
pub use msgs::NeuroMsg;

/// The module account that holds job escrows.
pub const MODULE_ACCOUNT: &str = "neuro";
/// Codespace of this module's errors.
pub const CODESPACE: &str = "neuro";
