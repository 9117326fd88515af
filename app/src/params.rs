//! Chain-wide parameters kept in state, set at genesis.

use anyhow::{bail, Context, Result};
use glia_modules::coins::GasPrice;
use glia_modules::error::{AppError, AppResult};
use glia_modules::{Ctx, Kv};
use glia_proto::store::v1::ChainParams as StoredParams;
use serde::{Deserialize, Serialize};

pub const PARAMS_KEY: &str = "app/params";

/// Consensus parameters of the tx pipeline. Unlike the SDK's node-local minimum gas price,
/// `min_gas_price` is enforced by every node in every block, so no proposer can include free
/// txs; a node may ask more of its own mempool with `--min-gas-price`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainParams {
    pub chain_id: String,
    pub min_gas_price: String,
    pub max_tx_bytes: u64,
    pub max_tx_gas: u64,
    /// First height whose votes carry extensions (CometBFT's `vote_extensions_enable_height`,
    /// from InitChain); 0 = off. Blocks after it start with the injected votes of the last
    /// commit.
    #[serde(default)]
    pub vote_extensions_enable_height: u64,
    /// Most gas (the sum of the txs' gas limits) a block may ask for: CometBFT's
    /// `block.max_gas` from InitChain, 0 when unlimited. PrepareProposal stays within it and
    /// ProcessProposal rejects a block over it, so no proposer makes validators execute more.
    #[serde(default)]
    pub max_block_gas: u64,
}

impl ChainParams {
    pub fn defaults(chain_id: &str) -> Self {
        ChainParams {
            chain_id: chain_id.to_string(),
            min_gas_price: "0.025uglia".into(),
            max_tx_bytes: 64 * 1024,
            max_tx_gas: 50_000_000,
            vote_extensions_enable_height: 0,
            max_block_gas: 0,
        }
    }

    pub fn gas_price(&self) -> Result<GasPrice> {
        GasPrice::parse(&self.min_gas_price).map_err(anyhow::Error::msg)
    }

    /// The smallest fee every node accepts for `gas`: what services pay, so a change of
    /// `min_gas_price` reaches them with the state.
    pub fn fee_for(&self, gas: u64) -> Result<Vec<glia_modules::coins::Coin>> {
        let p = self.gas_price()?;
        Ok(vec![glia_modules::coins::Coin::new(
            &p.denom,
            p.fee_for(gas),
        )])
    }

    pub fn validate(&self) -> Result<()> {
        self.gas_price().context("min_gas_price")?;
        if self.max_tx_bytes == 0 || self.max_tx_gas == 0 {
            bail!("max_tx_bytes and max_tx_gas must be positive");
        }
        if self.max_block_gas > 0 && self.max_block_gas < self.max_tx_gas {
            bail!(
                "consensus block.max_gas {} is below max_tx_gas {}: a valid tx could never fit \
                 a block",
                self.max_block_gas,
                self.max_tx_gas
            );
        }
        Ok(())
    }

    /// Whether the block at `height` must begin with the last commit's vote extensions.
    pub fn expects_injected_votes(&self, height: u64) -> bool {
        self.vote_extensions_enable_height > 0 && height > self.vote_extensions_enable_height
    }

    pub fn load(kv: &mut impl Kv) -> AppResult<ChainParams> {
        let bytes = kv
            .kv_get(PARAMS_KEY)?
            .ok_or_else(|| AppError::internal("chain params missing"))?;
        let p: StoredParams = glia_modules::value::decode("chain params", &bytes)?;
        Ok(ChainParams {
            chain_id: p.chain_id,
            min_gas_price: p.min_gas_price,
            max_tx_bytes: p.max_tx_bytes,
            max_tx_gas: p.max_tx_gas,
            vote_extensions_enable_height: p.vote_extensions_enable_height,
            max_block_gas: p.max_block_gas,
        })
    }

    /// Stored as `glia.store.v1.ChainParams`, like every value in state.
    pub fn store(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        let p = StoredParams {
            chain_id: self.chain_id.clone(),
            min_gas_price: self.min_gas_price.clone(),
            max_tx_bytes: self.max_tx_bytes,
            max_tx_gas: self.max_tx_gas,
            vote_extensions_enable_height: self.vote_extensions_enable_height,
            max_block_gas: self.max_block_gas,
        };
        ctx.put(PARAMS_KEY.into(), prost::Message::encode_to_vec(&p))
    }
}
