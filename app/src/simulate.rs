//! `cosmos.tx.v1beta1.Service/Simulate`: the gas a tx would use, over the mempool's state
//! (the last commit plus the txs admitted since), as the Cosmos SDK simulates over its check
//! state: a relayer that splits a client update and the packets it proves into two txs
//! simulates the second while the first is still in the mempool.

use crate::app::App;
use crate::tx::ante::Env;
use crate::tx::{decode_tx, run_tx, Mode};
use glia_modules::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use glia_proto::cosmos::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use prost::Message;

impl App {
    /// `cosmos.tx.v1beta1.Service/Simulate` over the mempool's state.
    pub fn simulate(&self, data: &[u8]) -> AppResult<Vec<u8>> {
        let req = SimulateRequest::decode(data).map_err(|e| {
            AppError::invalid_request(format!("cannot decode SimulateRequest: {e}"))
        })?;
        let latest = self.0.store.latest();
        let (params, price) = Self::params(&latest)?;
        let bytes = if !req.tx_bytes.is_empty() {
            req.tx_bytes
        } else {
            #[allow(deprecated)]
            let tx = req
                .tx
                .ok_or_else(|| AppError::invalid_request("empty tx"))?;
            glia_proto::cosmos::cosmos::tx::v1beta1::TxRaw {
                body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
                auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
                signatures: tx.signatures,
            }
            .encode_to_vec()
        };
        let tx = decode_tx(&self.0.components, &bytes, params.max_tx_bytes as usize)?;
        // As CheckTx: the last block's time (MsgUnjail, commission edits, IBC's checks).
        let block = crate::mempool::mempool_block(&latest, latest.height(), &params.chain_id)?;
        let env = Env {
            params: &params,
            gas_price: &price,
            local_min_gas_price: None,
            sigs: &self.0.sigs,
            block: &block,
            components: &self.0.components,
        };
        // The txs admitted since the last commit, read as CheckTx reads them; nothing is kept.
        let check = self.0.check.lock().expect("check lock");
        let view = glia_modules::store::Layered {
            base: &latest,
            changes: &check,
        };
        let out = run_tx(&view, &tx, Mode::Simulate, &env);
        drop(check);
        if !out.is_ok() {
            return Err(AppError {
                codespace: if out.codespace == "sdk" {
                    "sdk"
                } else {
                    "glia"
                },
                code: out.code,
                log: out.log,
            });
        }
        #[allow(deprecated)]
        let resp = SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: out.gas_wanted,
                gas_used: out.gas_used,
            }),
            result: Some(AbciResult {
                data: out.data,
                log: String::new(),
                events: out.events,
                msg_responses: out.msg_responses,
            }),
        };
        Ok(resp.encode_to_vec())
    }
}
