//! The components Glia is made of. Adding a module is its folder in `modules/` plus one line
//! here. Genesis runs in the order they are added; begin and end of block in the orders below.

use glia_modules::component::{AppBuilder, Components};
use glia_modules::{auth, bank, inference, neuro, staking};

/// Glia's components.
pub fn glia() -> Components {
    AppBuilder::new()
        .with(auth::component::Auth)
        .with(bank::component::Bank::default())
        .with(staking::component::Staking)
        .with(inference::component::Inference)
        .with(neuro::component::Neuro)
        // The last commit's results and beacon values are applied, and last block's requests
        // drawn, before any tx of the block.
        .begin_order(&[inference::component::NAME])
        .end_order(&[inference::component::NAME, neuro::component::NAME])
        .build()
        .unwrap_or_else(|e| panic!("Glia's components do not compose: {e}"))
}
