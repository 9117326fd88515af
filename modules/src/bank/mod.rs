//! Balances, transfers and total supply (`cosmos.bank.v1beta1`).

pub mod api;
pub mod component;
pub mod events;
pub mod handler;
pub mod invariants;
pub mod lifecycle;
pub mod msgs;
pub mod query;
pub mod state;

pub use api::{burn, mint, transfer, Escrow};
pub use msgs::BankMsg;

/// The module account that collects fees.
pub const FEE_COLLECTOR: &str = "fee_collector";
