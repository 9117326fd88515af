//! The validator's off-chain services, beside the node: the image executor and the neuro
//! worker. They see the chain only through a [`ChainView`] (committed state, read-only, and
//! Simulate) and act on it like any client, with signed txs that pay what Simulate and the
//! chain's minimum gas price say. The executor hands finished work to the node's
//! [`ResultBook`](crate::results::ResultBook), which its votes carry.

pub mod executor;
pub mod neuro_worker;

use crate::app::App;
use crate::params::ChainParams;
use crate::storage::LatestView;
use anyhow::{Context, Result};
use glia_client::keys::Key;
use glia_client::tx::{sign_tx, TxParams};
use glia_modules::ReadOnly;
use glia_proto::cosmos::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use glia_proto::cosmos::Any;
use prost::Message;

/// What a service may see of its node: the latest committed state and Simulate.
#[derive(Clone)]
pub struct ChainView {
    app: App,
}

impl ChainView {
    pub fn new(app: &App) -> Self {
        ChainView { app: app.clone() }
    }

    /// The latest committed state, read-only.
    pub fn latest(&self) -> LatestView<'_> {
        self.app.0.store.latest()
    }

    /// The chain's params (chain id, minimum gas price) at the latest state.
    pub fn params(&self) -> Result<ChainParams> {
        ChainParams::load(&mut ReadOnly(&self.latest())).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Gas `msgs` need when `key` sends them: Simulate over the latest state, adjusted.
    pub fn gas_for(&self, key: &Key, msgs: &[Any], p: &TxParams) -> Result<u64> {
        let probe = TxParams {
            fee: vec![],
            gas_limit: 0,
            ..p.clone()
        };
        let req = SimulateRequest {
            tx_bytes: sign_tx(key, msgs.to_vec(), &probe),
            ..Default::default()
        };
        // The chain's refusal stays an AppError inside the anyhow error, so a caller can read
        // its code (a closed job, say) and act on it.
        let resp = self
            .app
            .simulate(&req.encode_to_vec())
            .map_err(anyhow::Error::new)?;
        let used = SimulateResponse::decode(resp.as_slice())?
            .gas_info
            .context("simulation gave no gas")?
            .gas_used;
        Ok(used.saturating_mul(glia_client::rpc::GAS_ADJUSTMENT_PERCENT) / 100)
    }

    /// `msgs` signed by `key` at (`account_number`, `sequence`), with gas from Simulate and
    /// the fee the chain's minimum gas price asks for it.
    pub fn sign(
        &self,
        key: &Key,
        msgs: Vec<Any>,
        account_number: u64,
        sequence: u64,
    ) -> Result<(Vec<u8>, TxParams)> {
        let chain = self.params()?;
        let mut p = TxParams {
            chain_id: chain.chain_id.clone(),
            account_number,
            sequence,
            fee: vec![],
            gas_limit: 0,
            memo: String::new(),
        };
        p.gas_limit = self.gas_for(key, &msgs, &p)?;
        p.fee = chain.fee_for(p.gas_limit)?;
        Ok((sign_tx(key, msgs, &p), p))
    }
}
