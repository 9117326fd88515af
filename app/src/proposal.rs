//! Proposals: what a proposer puts in a block (PrepareProposal) and what every validator
//! accepts (ProcessProposal) — the injected votes first and signed, the txs within the byte
//! and gas budgets.

use crate::app::App;
use crate::votes;
use glia_modules::error::AppError;
use glia_modules::store::Layered;
use glia_modules::ReadOnly;
use prost::Message;
use tendermint_proto::v0_38::abci::*;

/// Bytes a tx takes in a block's `Data.txs` (protobuf field 1, length-delimited): what CometBFT
/// counts against `max_tx_bytes` (`types.ComputeProtoSizeForTxs`), a few bytes more than the tx.
fn block_size_of(tx: &[u8]) -> i64 {
    1usize
        .saturating_add(prost::length_delimiter_len(tx.len()))
        .saturating_add(tx.len()) as i64
}

/// A proposal's txs: the injected votes first (when the block carries them), always, then the
/// mempool's in its order, stopping before the total passes `max_tx_bytes` as CometBFT counts
/// it or the sum of gas limits passes `max_gas` (0: no limit). The mempool reaps up to the
/// byte budget before the votes are added, so a full mempool must lose its last txs here; a
/// proposal over the budget is not rejected but halts the proposer's consensus ("transaction
/// data size exceeds maximum"). Genesis guarantees room for the votes beside a tx
/// (`genesis::VOTE_ROOM_PER_VALIDATOR`), so they are never the reason a block is empty.
fn fit_block(
    injected: Option<bytes::Bytes>,
    mempool: impl Iterator<Item = bytes::Bytes>,
    max_tx_bytes: i64,
    max_gas: u64,
    gas_of: impl Fn(&[u8]) -> u64,
) -> Vec<bytes::Bytes> {
    let mut size = injected.as_ref().map_or(0, |t| block_size_of(t));
    let mut gas = 0u64;
    let rest = mempool.take_while(|t| {
        size = size.saturating_add(block_size_of(t));
        gas = gas.saturating_add(gas_of(t));
        size <= max_tx_bytes && (max_gas == 0 || gas <= max_gas)
    });
    injected.into_iter().chain(rest).collect()
}

/// The gas limit a tx asks for; 0 for bytes that are not a tx (FinalizeBlock refuses those
/// before executing anything).
fn gas_wanted(tx: &[u8]) -> u64 {
    use glia_proto::cosmos::cosmos::tx::v1beta1::{AuthInfo, TxRaw};
    TxRaw::decode(tx)
        .ok()
        .and_then(|raw| AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok())
        .and_then(|a| a.fee)
        .map_or(0, |f| f.gas_limit)
}

impl App {
    /// PrepareProposal: the last commit's votes first, then the mempool's txs within the
    /// byte and gas budgets.
    pub(crate) fn prepare(&self, req: RequestPrepareProposal) -> ResponsePrepareProposal {
        let (latest, genesis) = self.proposal_base();
        let latest = Layered {
            base: &latest,
            changes: &genesis,
        };
        let expects = Self::params(&latest)
            .map(|(p, _)| p.expects_injected_votes(req.height as u64))
            .unwrap_or(false);
        let max_gas = Self::params(&latest).map_or(0, |(p, _)| p.max_block_gas);
        let injected = expects.then(|| {
            votes::build(
                req.local_last_commit
                    .as_ref()
                    .unwrap_or(&Default::default()),
                req.height,
            )
            .into()
        });
        let offered = req.txs.len();
        let mempool = req.txs.into_iter().filter(|t| !votes::is_injected(t));
        let txs = fit_block(injected, mempool, req.max_tx_bytes, max_gas, gas_wanted);
        tracing::debug!(
            height = req.height,
            max_tx_bytes = req.max_tx_bytes,
            offered,
            proposed = txs.len(),
            "prepared proposal"
        );
        ResponsePrepareProposal { txs }
    }

    /// ProcessProposal: the votes signed and in place, the gas within `block.max_gas`.
    pub(crate) fn process(&self, req: RequestProcessProposal) -> ResponseProcessProposal {
        use response_process_proposal::ProposalStatus;
        let (latest, genesis) = self.proposal_base();
        let latest = Layered {
            base: &latest,
            changes: &genesis,
        };
        let verdict = (|| {
            let (params, _) = Self::params(&latest)?;
            let mut rest = &req.txs[..];
            if params.expects_injected_votes(req.height as u64) {
                let first = rest
                    .first()
                    .ok_or_else(|| AppError::invalid_request("block lacks the injected votes"))?;
                votes::verify(&mut ReadOnly(&latest), first, &params.chain_id, req.height)?;
                rest = &rest[1..];
            }
            if rest.iter().any(|t| votes::is_injected(t)) {
                return Err(AppError::invalid_request("injected votes out of place"));
            }
            if params.max_block_gas > 0 {
                let gas = rest
                    .iter()
                    .fold(0u64, |g, t| g.saturating_add(gas_wanted(t)));
                if gas > params.max_block_gas {
                    return Err(AppError::invalid_request(format!(
                        "the block's txs ask {gas} gas, above block.max_gas {}",
                        params.max_block_gas
                    )));
                }
            }
            Ok(())
        })();
        let status = match verdict {
            Ok(()) => ProposalStatus::Accept,
            Err(e) => {
                tracing::warn!(height = req.height, "rejecting proposal: {}", e.log);
                ProposalStatus::Reject
            }
        };
        ResponseProcessProposal {
            status: status as i32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tests::fresh_app;
    use tendermint_abci::Application;
    use tendermint_proto::v0_38::types::Data;

    /// CometBFT's own measure of a block's txs: the encoded `Data` message.
    fn cometbft_size(txs: &[bytes::Bytes]) -> i64 {
        Data {
            txs: txs.iter().map(|t| t.to_vec()).collect(),
        }
        .encoded_len() as i64
    }

    #[test]
    fn proposals_fit_the_budget_as_cometbft_counts_it() {
        // 300-byte txs cost 303 bytes each in a block (tag, two-byte length).
        let txs: Vec<bytes::Bytes> = (0..100u8).map(|i| vec![i; 300].into()).collect();
        let raw: i64 = txs.iter().map(|t| t.len() as i64).sum();
        let max = cometbft_size(&txs) - 1;
        assert!(raw <= max, "the raw sizes alone would let every tx in");
        let fitted = fit_block(None, txs.clone().into_iter(), max, 0, |_| 0);
        assert_eq!(fitted.len(), 99);
        assert!(cometbft_size(&fitted) <= max);
        assert_eq!(fitted[..], txs[..99], "the mempool's order, a prefix of it");

        // The mempool reaped exactly the budget; the injected votes push its tail out.
        let max = cometbft_size(&txs);
        let votes: bytes::Bytes = vec![0xee; 700].into();
        let fitted = fit_block(Some(votes.clone()), txs.clone().into_iter(), max, 0, |_| 0);
        assert_eq!(fitted[0], votes);
        assert!(cometbft_size(&fitted) <= max);
        assert_eq!(
            fitted.len(),
            1 + 100 - 3,
            "703 bytes of votes displace three 303-byte txs"
        );
        for t in [0i64, 1, 302, 303, 304, 5000] {
            assert!(cometbft_size(&fit_block(None, txs.clone().into_iter(), t, 0, |_| 0)) <= t);
        }
    }

    /// The gas budget stops the mempool's txs like the byte budget; the injected votes go in
    /// whatever the budgets (genesis guarantees them room), never leaving a block that every
    /// validator would reject for lacking them.
    #[test]
    fn attack_proposals_stay_within_max_gas_and_always_carry_the_votes() {
        let txs: Vec<bytes::Bytes> = (0..10u8).map(|i| vec![i; 100].into()).collect();
        let fitted = fit_block(None, txs.clone().into_iter(), 1 << 20, 100, |_| 30);
        assert_eq!(
            fitted[..],
            txs[..3],
            "3 × 30 gas fit in 100, the 4th does not"
        );
        let fitted = fit_block(None, txs.clone().into_iter(), 1 << 20, 0, |_| 30);
        assert_eq!(fitted.len(), 10, "0: no gas limit");
        let votes: bytes::Bytes = vec![0xee; 5000].into();
        let fitted = fit_block(
            Some(votes.clone()),
            txs.clone().into_iter(),
            1000,
            100,
            |_| 30,
        );
        assert_eq!(fitted, vec![votes]);
    }

    /// ProcessProposal rejects a block whose txs ask more gas than `block.max_gas`, counting
    /// the gas limits the txs declare (what CometBFT's mempool reaps by).
    #[test]
    fn attack_a_proposal_over_block_max_gas_is_rejected() {
        use glia_client::tx::{msg_send, sign_tx, TxParams};
        use tendermint_proto::v0_38::types::{BlockParams, ConsensusParams};
        let (app, dir, _rt) = fresh_app("max-gas");
        app.init_chain(RequestInitChain {
            chain_id: "glia-test-1".into(),
            app_state_bytes: b"{}".to_vec().into(),
            consensus_params: Some(ConsensusParams {
                block: Some(BlockParams {
                    max_bytes: 4 << 20,
                    max_gas: 60_000_000,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        let key = glia_client::keys::Key::from_seed(b"max-gas");
        let tx = |seq: u64| -> bytes::Bytes {
            let send = msg_send(&key, &key.address.to_bech32(), &[]);
            let p = TxParams {
                chain_id: "glia-test-1".into(),
                account_number: 0,
                sequence: seq,
                fee: vec![],
                gas_limit: 40_000_000,
                memo: String::new(),
            };
            sign_tx(&key, vec![send], &p).into()
        };
        let verdict = |txs: Vec<bytes::Bytes>| {
            app.process_proposal(RequestProcessProposal {
                txs,
                height: 1,
                ..Default::default()
            })
            .status
        };
        use response_process_proposal::ProposalStatus;
        let one = verdict(vec![tx(0)]);
        let two = verdict(vec![tx(0), tx(1)]);
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(one, ProposalStatus::Accept as i32);
        assert_eq!(two, ProposalStatus::Reject as i32, "80M gas against 60M");
    }

    /// The proposer with a mempool of exactly the budget (what CometBFT reaps when the mempool
    /// holds more than a block) still proposes within it once the vote extensions go first.
    #[test]
    fn a_full_mempool_proposal_with_injected_votes_fits() {
        use tendermint_proto::v0_38::abci::{ExtendedCommitInfo, ExtendedVoteInfo, Validator};
        use tendermint_proto::v0_38::types::{AbciParams, BlockIdFlag, ConsensusParams};
        let (app, dir, _rt) = fresh_app("prepare");
        app.init_chain(RequestInitChain {
            chain_id: "glia-test-1".into(),
            app_state_bytes: b"{}".to_vec().into(),
            consensus_params: Some(ConsensusParams {
                abci: Some(AbciParams {
                    vote_extensions_enable_height: 1,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        let vote = |i: u8| ExtendedVoteInfo {
            validator: Some(Validator {
                address: vec![i; 20].into(),
                power: 10,
            }),
            vote_extension: vec![i; 64].into(),
            extension_signature: vec![i; 64].into(),
            block_id_flag: BlockIdFlag::Commit as i32,
        };
        let mempool: Vec<bytes::Bytes> = (0..2000u32)
            .map(|i| i.to_be_bytes().repeat(75).into())
            .collect();
        let max = cometbft_size(&mempool);
        let res = app.prepare_proposal(RequestPrepareProposal {
            max_tx_bytes: max,
            txs: mempool.clone(),
            local_last_commit: Some(ExtendedCommitInfo {
                round: 0,
                votes: (1..=4).map(vote).collect(),
            }),
            height: 3,
            ..Default::default()
        });
        std::fs::remove_dir_all(&dir).ok();
        assert!(votes::is_injected(&res.txs[0]), "the votes go first");
        assert_eq!(votes::decode(&res.txs[0]).unwrap().votes.len(), 4);
        assert!(
            cometbft_size(&res.txs) <= max,
            "{} bytes proposed against a budget of {max}",
            cometbft_size(&res.txs)
        );
        assert_eq!(res.txs[1..], mempool[..res.txs.len() - 1]);
        assert!(res.txs.len() > 1990, "only the tail makes room");
    }
}
