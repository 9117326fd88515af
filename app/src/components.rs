//! The components Glia is made of. Adding a module is its folder in `modules/` plus one line
//! here. Genesis runs in the order they are added; begin and end of block in the orders below.

use crate::params::ChainParams;
use glia_modules::component::{AppBuilder, Components, NodeSource};
use glia_modules::error::AppResult;
use glia_modules::{
    auth, bank, beacon, distribution, ibc, inference, mint, neuro, slashing, staking, tendermint,
    ReadOnly,
};
use std::sync::Arc;

/// Glia's components; `node` is what this node's CometBFT says of itself.
pub fn glia(node: Arc<dyn NodeSource>) -> Components {
    AppBuilder::new()
        .with(auth::component::Auth)
        .with(bank::component::Bank::default())
        // Before staking: the validators created at genesis start their reward accounting.
        .with(distribution::component::Distribution::default())
        .with(staking::component::Staking)
        .with(mint::component::Mint)
        .with(slashing::component::Slashing)
        .with(beacon::component::Beacon)
        // Each escrow-holding component gets the bank handle of its own module account.
        .with(inference::component::Inference::new(bank::Escrow::new(
            inference::MODULE_ACCOUNT,
        )))
        .with(neuro::component::Neuro::new(bank::Escrow::new(
            neuro::MODULE_ACCOUNT,
        )))
        // IBC core and ICS-20 on the provable `ibc` substore.
        .with(ibc::Ibc::default())
        .with(tendermint::component::Tendermint::new(
            chain_id,
            node,
            "gliad",
            env!("CARGO_PKG_VERSION"),
        ))
        // Before any tx of the block: the block's emission minted, the beacon mixed from the last commit's votes, then their
        // results applied and the last block's requests drawn with that beacon.
        .begin_order(&[
            // The validator-set changes CometBFT applies at this height, first: the rest of the
            // block reads the signing set.
            staking::component::NAME,
            // Glia's consensus state at this height, for counterparties' handshakes.
            ibc::NAME,
            mint::component::NAME,
            // The emission and the last block's fees shared out before slashing changes stakes.
            distribution::component::NAME,
            slashing::component::NAME,
            beacon::component::NAME,
            inference::component::NAME,
        ])
        // Staking last: undelegations complete, then the set is chosen (after every end_block).
        .end_order(&[
            inference::component::NAME,
            neuro::component::NAME,
            // The useful-work pool pays an epoch's work once this block's is settled.
            distribution::component::NAME,
            staking::component::NAME,
        ])
        .build()
        .unwrap_or_else(|e| panic!("Glia's components do not compose: {e}"))
}

/// The chain id, for components that answer with it (kept in the app's own params).
fn chain_id(kv: &mut ReadOnly<'_>) -> AppResult<String> {
    Ok(ChainParams::load(kv)?.chain_id)
}
