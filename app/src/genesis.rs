//! `app_state` of the genesis file, applied at InitChain.

use crate::params::ChainParams;
use anyhow::{Context, Result};
use glia_modules::component::{BlockContext, Components, GenesisInfo};
use glia_modules::gas::GasMeter;
use glia_modules::store::{Changes, KvRead, Layered};
use glia_modules::{BlockInfo, Ctx, ReadOnly};
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

/// The key of the chain's own section of `app_state` (the rest is one section per component).
pub const PARAMS_SECTION: &str = "params";

/// Builds the genesis state as changes over `base` (an empty state): the chain's params, then
/// every component's section in the order they were added. Returns the state and the first
/// validator set (chosen by staking from the genesis validators), which InitChain returns to
/// CometBFT: a genesis file's own `validators`, if any, must be that same set.
pub fn build(
    base: &dyn KvRead,
    components: &Components,
    init: &InitChain<'_>,
    app_state: &[u8],
) -> Result<(Changes, Vec<ValidatorUpdate>)> {
    let chain_id = init.chain_id;
    let mut sections: serde_json::Map<String, serde_json::Value> = if app_state.is_empty() {
        Default::default()
    } else {
        serde_json::from_slice(app_state).context("app_state is not a JSON object")?
    };
    let chain: GenesisParams = match sections.remove(PARAMS_SECTION) {
        None => GenesisParams::default(),
        Some(v) => serde_json::from_value(v).context("app_state.params is not valid")?,
    };
    let mut params = ChainParams::defaults(chain_id);
    if let Some(v) = chain.min_gas_price {
        params.min_gas_price = v;
    }
    if let Some(v) = chain.max_tx_bytes {
        params.max_tx_bytes = v;
    }
    if let Some(v) = chain.max_tx_gas {
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
    let info = GenesisInfo {
        chain_id,
        validators: init.validators,
    };
    components.init_genesis(&mut ctx, &info, &sections)?;
    let context = BlockContext {
        info: block.clone(),
        ..Default::default()
    };
    let validators = components.validator_updates(&mut ctx, &context)?;
    components.check_invariants(&mut ctx)?;
    check_same_set(init.validators, &validators)?;
    let changes = ctx.into_parts().0;
    if init.vote_extensions_enable_height > 0 && init.max_block_bytes > 0 {
        let state = Layered {
            base,
            changes: &changes,
        };
        let max_ext = components.max_vote_extension_bytes(&mut ReadOnly(&state));
        // Every validator the set may hold must fit, not only the first ones.
        let max_validators =
            glia_modules::staking::state::params(&mut ReadOnly(&state))?.max_validators;
        check_vote_room(init, u64::from(max_validators), &params, max_ext as u64)?;
    }
    Ok((changes, validators))
}

/// A genesis file may list CometBFT validators only if they are the set staking chose from
/// the genesis validators (as the Cosmos SDK requires); the set is normally left empty there
/// and taken from InitChain's answer.
fn check_same_set(given: &[ValidatorUpdate], chosen: &[ValidatorUpdate]) -> Result<()> {
    // With neither, CometBFT itself refuses to start ("validator set is empty after
    // InitChain"); in-process tests run without one.
    if given.is_empty() {
        return Ok(());
    }
    let key = |v: &ValidatorUpdate| (format!("{:?}", v.pub_key), v.power);
    let mut a: Vec<_> = given.iter().map(key).collect();
    let mut b: Vec<_> = chosen.iter().map(key).collect();
    a.sort();
    b.sort();
    anyhow::ensure!(
        a == b,
        "the genesis file's validators ({} of them) are not the set bonded by \
         app_state.staking.validators ({} of them, power = self-bond / 10^6): leave the \
         file's validators empty and let InitChain return the set",
        a.len(),
        b.len()
    );
    Ok(())
}

/// The chain's params and every component's section: what `build` reads back to this state
/// (records made by txs, such as tasks and jobs, are not part of it).
pub fn export(view: &dyn KvRead, components: &Components) -> Result<serde_json::Value> {
    let p = ChainParams::load(&mut ReadOnly(view))?;
    let mut out = components.export_genesis(view)?;
    let chain = GenesisParams {
        min_gas_price: Some(p.min_gas_price),
        max_tx_bytes: Some(p.max_tx_bytes),
        max_tx_gas: Some(p.max_tx_gas),
    };
    out.insert(PARAMS_SECTION.into(), serde_json::to_value(chain)?);
    Ok(serde_json::Value::Object(out))
}

/// Every block after the first carries the last commit's votes ahead of any tx: a block too
/// small for every validator's largest extension and one largest tx could not be proposed.
fn check_vote_room(
    init: &InitChain<'_>,
    n: u64,
    params: &ChainParams,
    max_vote_extension_bytes: u64,
) -> Result<()> {
    let per_validator = max_vote_extension_bytes
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
         raise it or lower params.max_tx_bytes, inference.params.max_vote_extension_bytes or \
         staking.params.max_validators",
        init.max_block_bytes,
        max_vote_extension_bytes,
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
        let max_ext =
            u64::from(glia_modules::inference::state::default_params().max_vote_extension_bytes);
        let e = check_vote_room(&init(16_384), 4, &params, max_ext).unwrap_err();
        assert!(e.to_string().contains("needs 333312"), "{e}");
        assert!(check_vote_room(&init(333_312), 4, &params, max_ext).is_ok());
        // What localnet/up.sh sets for GLIA_BLOCK_MAX_BYTES=16384: at most 5 validators.
        params.max_tx_bytes = 4096;
        assert!(check_vote_room(&init(16_384), 5, &params, 1024).is_ok());
        assert!(check_vote_room(&init(16_384), 6, &params, 1024).is_err());
    }

    /// Every component's genesis section reads back what it exported: a genesis built from an
    /// export is the same state, key for key.
    #[test]
    fn an_exported_genesis_builds_the_same_state() {
        use glia_modules::store::MemStore;
        let key = glia_client::keys::Key::from_seed(b"genesis export");
        let app_state = serde_json::json!({
            "params": {"min_gas_price": "0.05uglia"},
            "auth": {"max_memo_characters": 300},
            "bank": {"balances": [{"address": key.address.to_bech32(),
                "coins": [{"denom": "uglia", "amount": "123456"}, {"denom": "ustake", "amount": "7"}]}]},
            "inference": {"params": {"max_seeds": 3}, "models": [{"id": "tiny-1", "family": "tiny",
                "weights_sha256": "ab".repeat(32), "phash_threshold": 6,
                "price_per_step_megapixel": 10, "max_steps": 20, "max_width": 256, "max_height": 256}]},
            "neuro": {"params": {"committee": [key.address.to_bech32()], "quorum": 1}}
        });
        let components =
            crate::components::glia(std::sync::Arc::new(glia_modules::component::NoNode));
        let init = InitChain {
            chain_id: "glia-export-1",
            ..Default::default()
        };
        let build_from = |state: &serde_json::Value| {
            let base = MemStore::default();
            let mut out = MemStore::default();
            out.apply(
                build(&base, &components, &init, state.to_string().as_bytes())
                    .unwrap()
                    .0,
            );
            out
        };
        let first = build_from(&app_state);
        let exported = export(&first, &components).unwrap();
        assert_eq!(exported["inference"]["models"][0]["id"], "tiny-1");
        assert_eq!(exported["auth"]["max_memo_characters"], 300);
        let second = build_from(&exported);
        assert_eq!(first.0, second.0);
        // A section no component reads is refused by name.
        let base = MemStore::default();
        let e = build(&base, &components, &init, br#"{"stakin": {}}"#).unwrap_err();
        assert!(
            format!("{e:#}").contains("\"stakin\" that no component reads"),
            "{e:#}"
        );
    }
}
