//! `app_state` of the genesis file, applied at InitChain.

use crate::params::ChainParams;
use anyhow::{Context, Result};
use glia_modules::address::Address;
use glia_modules::gas::GasMeter;
use glia_modules::store::{Changes, KvRead};
use glia_modules::{auth, bank, inference, neuro, staking, BlockInfo, Ctx};
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

/// Overrides of [`ChainParams`] (the chain id always comes from the genesis file).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParams {
    pub min_gas_price: Option<String>,
    pub max_tx_bytes: Option<u64>,
    pub max_tx_gas: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppGenesis {
    #[serde(default)]
    pub params: GenesisParams,
    #[serde(default)]
    pub auth: auth::lifecycle::Genesis,
    #[serde(default)]
    pub bank: bank::lifecycle::Genesis,
    #[serde(default)]
    pub inference: inference::lifecycle::Genesis,
    #[serde(default)]
    pub neuro: neuro::lifecycle::Genesis,
}

/// What InitChain says beyond the app state.
#[derive(Clone, Debug, Default)]
pub struct InitChain<'a> {
    pub chain_id: &'a str,
    pub validators: &'a [ValidatorUpdate],
    pub vote_extensions_enable_height: u64,
}

/// Builds the genesis state as changes over `base` (an empty state).
pub fn build(base: &dyn KvRead, init: &InitChain<'_>, app_state: &[u8]) -> Result<Changes> {
    let chain_id = init.chain_id;
    let g: AppGenesis = if app_state.is_empty() {
        AppGenesis::default()
    } else {
        serde_json::from_slice(app_state).context("app_state is not valid glia genesis JSON")?
    };
    let mut params = ChainParams::defaults(chain_id);
    if let Some(v) = g.params.min_gas_price {
        params.min_gas_price = v;
    }
    if let Some(v) = g.params.max_tx_bytes {
        params.max_tx_bytes = v;
    }
    if let Some(v) = g.params.max_tx_gas {
        params.max_tx_gas = v;
    }
    params.vote_extensions_enable_height = init.vote_extensions_enable_height;
    params.validate()?;
    let block = BlockInfo {
        chain_id: chain_id.into(),
        height: 0,
        time_unix: 0,
    };
    let mut ctx = Ctx::new(base, GasMeter::infinite(), &block);
    params.store(&mut ctx)?;
    auth::lifecycle::init_genesis(&mut ctx, &g.auth)?;
    // Module accounts exist from genesis, so no user tx pays to create them.
    auth::ensure_account(&mut ctx, &Address::module(bank::FEE_COLLECTOR))?;
    bank::lifecycle::init_genesis(&mut ctx, &g.bank)?;
    staking::lifecycle::init_genesis(&mut ctx, init.validators)?;
    inference::lifecycle::init_genesis(&mut ctx, &g.inference)?;
    neuro::lifecycle::init_genesis(&mut ctx, &g.neuro)?;
    bank::invariants::check(&mut ctx)?;
    Ok(ctx.into_parts().0)
}
