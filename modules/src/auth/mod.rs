//! Accounts: numbers, sequences and public keys (`cosmos.auth.v1beta1`).

pub mod component;
pub mod lifecycle;
pub mod query;
pub mod state;

pub use state::{ensure_account, get_account, params, set_account};

/// Type URL of accounts, as cosmjs expects them.
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";
/// Type URL of secp256k1 public keys.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
