//! Image generation (`glia.inference.v1`): users pay for images, validators' executors make
//! them off the consensus path, results come back in vote extensions, and the chain settles
//! by agreement of perceptual hashes.

pub mod assign;
pub mod capacity;
pub mod component;
pub mod errors;
pub mod events;
pub mod handler;
pub mod lifecycle;
pub mod msgs;
pub mod query;
mod reveal;
pub mod settle;
pub mod state;
#[cfg(test)]
mod tests;

pub use msgs::InferenceMsg;

/// The module account that holds task escrows.
pub const MODULE_ACCOUNT: &str = "inference";
/// Codespace of this module's errors.
pub const CODESPACE: &str = "inference";
