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
    /// CometBFT's `block.max_gas` (-1, unlimited, as 0).
    pub max_block_gas: u64,
    /// CometBFT's `block.max_bytes` (0 when not given).
    pub max_block_bytes: u64,
    /// CometBFT's `evidence.max_bytes`, which a block keeps free for evidence.
    pub max_evidence_bytes: u64,
}

/// Bytes the injected votes of one validator take in a block beyond its extension: its
/// signature, address, power and framing (with margin).
pub const VOTE_OVERHEAD_PER_VALIDATOR: u64 = 256;
/// Bytes of a block CometBFT keeps for the header and the last commit (per validator beside).
pub const BLOCK_OVERHEAD: u64 = 2048;
pub const COMMIT_BYTES_PER_VALIDATOR: u64 = 128;

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
    params.max_block_gas = init.max_block_gas;
    params.validate()?;

    let block = BlockInfo {
        chain_id: chain_id.into(),
        height: 0,
        time_unix: 0,
        ..Default::default()
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
    if init.vote_extensions_enable_height > 0 && init.max_block_bytes > 0 {
        check_vote_room(init, &params, &inference::state::params(&mut ctx)?)?;
    }
    bank::invariants::check(&mut ctx)?;
    Ok(ctx.into_parts().0)
}

/// Every block after the first carries the last commit's votes ahead of any tx: a block too
/// small for every validator's largest extension and one largest tx could not be proposed.
fn check_vote_room(
    init: &InitChain<'_>,
    params: &ChainParams,
    inference: &glia_proto::inference::v1::Params,
) -> Result<()> {
    let n = init.validators.len() as u64;
    let per_validator = u64::from(inference.max_vote_extension_bytes)
        .saturating_add(VOTE_OVERHEAD_PER_VALIDATOR)
        .saturating_add(COMMIT_BYTES_PER_VALIDATOR);
    let need = per_validator
        .saturating_mul(n)
        .saturating_add(params.max_tx_bytes)
        .saturating_add(BLOCK_OVERHEAD)
        .saturating_add(init.max_evidence_bytes);
    anyhow::ensure!(
        init.max_block_bytes >= need,
        "consensus block.max_bytes {} cannot hold {n} validators' vote extensions of up to {} \
         bytes beside one tx of max_tx_bytes {} (and evidence.max_bytes {}): it needs {need}; \
         raise it or lower params.max_tx_bytes or inference.params.max_vote_extension_bytes",
        init.max_block_bytes,
        inference.max_vote_extension_bytes,
        params.max_tx_bytes,
        init.max_evidence_bytes
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A genesis whose blocks cannot carry every validator's largest extension beside one
    /// largest tx is refused with what to change; the localnet's full-blocks setting passes.
    #[test]
    fn attack_blocks_must_hold_the_votes_beside_a_tx() {
        let validators = vec![ValidatorUpdate::default(); 4];
        let init = |max_block_bytes: u64| InitChain {
            chain_id: "glia-test-1",
            validators: &validators,
            vote_extensions_enable_height: 1,
            max_block_gas: 0,
            max_block_bytes,
            max_evidence_bytes: 2048,
        };
        let mut params = ChainParams::defaults("glia-test-1");
        let mut inference = inference::state::default_params();
        let e = check_vote_room(&init(16_384), &params, &inference).unwrap_err();
        assert!(e.to_string().contains("needs 333312"), "{e}");
        assert!(check_vote_room(&init(333_312), &params, &inference).is_ok());
        // What localnet/up.sh sets for GLIA_BLOCK_MAX_BYTES=16384.
        params.max_tx_bytes = 4096;
        inference.max_vote_extension_bytes = 1024;
        assert!(check_vote_room(&init(16_384), &params, &inference).is_ok());
    }
}
