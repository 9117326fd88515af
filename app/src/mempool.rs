//! CheckTx: a tx runs against the mempool's state (the last commit plus the txs admitted
//! since), and only one that would fully succeed is admitted.

use crate::app::{panic_error, App, LAST_BLOCK_KEY};
use crate::tx::ante::Env;
use crate::tx::{decode_tx, run_tx, Mode, TxOutcome};
use crate::votes;
use glia_modules::error::{AppError, AppResult};
use glia_modules::store::{KvRead, Layered};
use glia_modules::BlockInfo;
use glia_proto::store::v1::LastBlock;

impl App {
    /// Runs a tx against the mempool's state, keeping its writes if it is admitted.
    pub(crate) fn check(&self, bytes: &[u8]) -> TxOutcome {
        let latest = self.0.store.latest();
        let mut check = self.0.check.lock().expect("check lock");
        let view = Layered {
            base: &latest,
            changes: &check,
        };
        let run = || {
            #[cfg(test)]
            if bytes == crate::app::tests::PANIC_TX {
                panic!("a test-only tx that panics in CheckTx");
            }
            if votes::is_injected(bytes) {
                return Err(AppError::tx_decode(
                    "injected vote extensions are made by proposers, not sent as txs",
                ));
            }
            let (params, price) = Self::params(&view)?;
            let tx = decode_tx(&self.0.components, bytes, params.max_tx_bytes as usize)?;
            let block = mempool_block(&latest, latest.height(), &params.chain_id)?;
            let env = Env {
                params: &params,
                gas_price: &price,
                local_min_gas_price: self.0.config.min_gas_price.as_ref(),
                sigs: &self.0.sigs,
                block: &block,
                components: &self.0.components,
            };
            Ok::<_, AppError>(run_tx(&view, &tx, Mode::Check, &env))
        };
        // A panic while checking a tx refuses that tx (nothing of it was kept), never the
        // node: the check lock is held outside the unwinding closure, so it is not poisoned.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .unwrap_or_else(|p| Err(panic_error("CheckTx", p)))
            .unwrap_or_else(|e| TxOutcome {
                code: e.code,
                codespace: e.codespace.into(),
                log: e.log,
                ..Default::default()
            });
        // Only a tx that would fully succeed enters the mempool.
        let mut out = out;
        if out.is_ok() {
            check.extend(std::mem::take(&mut out.changes));
        }
        out
    }
}

/// The block a mempool tx (CheckTx, Simulate) runs in: the next height, at the last committed
/// block's time, read from that block's state (taking the consensus lock here would stall
/// CheckTx behind FinalizeBlock).
pub fn mempool_block(
    latest: &dyn KvRead,
    latest_height: u64,
    chain_id: &str,
) -> AppResult<BlockInfo> {
    let (time_unix, time_nanos) = last_block_time(latest)?;
    Ok(BlockInfo {
        chain_id: chain_id.into(),
        height: latest_height.saturating_add(1),
        time_unix,
        time_nanos,
        ..Default::default()
    })
}

/// The last committed block's time (Unix seconds and nanoseconds; 0 before the first), from
/// `LAST_BLOCK_KEY`. Whole: an IBC client update in that block records its full time, and a
/// receipt checked against it in the mempool compares the two (ICS-03's delay check), so a
/// time cut to the second would refuse the receipt until the next block.
pub(crate) fn last_block_time(view: &dyn KvRead) -> AppResult<(i64, i32)> {
    let v = view
        .get(LAST_BLOCK_KEY)
        .map_err(|e| AppError::internal(format!("reading {LAST_BLOCK_KEY}: {e:#}")))?;
    Ok(match v {
        Some(b) => {
            let last = glia_modules::value::decode::<LastBlock>("last block", &b)?;
            (last.time_unix, last.time_nanos)
        }
        None => (0, 0),
    })
}
