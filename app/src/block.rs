//! Executing a block: the last commit's votes and the components' begin_block, every tx in
//! order (signatures verified on all cores first), then end_block and the invariants.

use crate::app::{internal_fatal, App};
use crate::tx::ante::{sign_bytes, Env};
use crate::tx::{decode_tx, run_tx, DecodedTx, Mode, TxOutcome};
use crate::votes;
use glia_modules::component::{BlockContext, CommitVote, Misbehaviour, MisbehaviourKind};
use glia_modules::error::AppResult;
use glia_modules::gas::GasMeter;
use glia_modules::store::{Changes, KvRead, Layered, Overlay};
use glia_modules::{auth, BlockInfo, Ctx, ReadOnly};
use glia_proto::cosmos::cosmos::crypto::secp256k1::PubKey;
use prost::Message;
use tendermint_proto::v0_38::abci::*;

impl App {
    /// Verifies every signature of a block on all cores, filling the cache that the in-order
    /// execution then reads. Results never change what execution decides, only how fast.
    pub fn preverify(&self, view: &dyn KvRead, chain_id: &str, txs: &[&DecodedTx]) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = txs.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for part in txs.chunks(chunk) {
                s.spawn(move || {
                    let kv = &mut ReadOnly(view);
                    for tx in part {
                        for sg in &tx.signers {
                            let Ok(Some(acc)) = auth::get_account(kv, &sg.address) else {
                                continue;
                            };
                            let pk = match (&sg.pubkey, &acc.pub_key) {
                                (Some(pk), _) => pk.clone(),
                                (None, Some(any)) => match PubKey::decode(any.value.as_slice()) {
                                    Ok(pk) => pk.key,
                                    Err(_) => continue,
                                },
                                _ => continue,
                            };
                            let doc = sign_bytes(tx, chain_id, acc.account_number);
                            self.0.sigs.warm(&doc, &pk, &sg.signature);
                        }
                    }
                });
            }
        });
    }

    /// Executes a block's txs over `view`, returning per-tx results and the block's changes.
    pub fn execute_block(
        &self,
        view: &dyn KvRead,
        context: &BlockContext,
        txs: &[Vec<u8>],
    ) -> AppResult<Executed> {
        let (params, price) = Self::params(view)?;
        let block = &context.info;
        let components = &self.0.components;
        let mut block_events = Vec::new();
        // The last commit's vote extensions (checked in ProcessProposal) come first: they mix
        // the beacon and deliver executors' results; then the tasks requested in the last
        // block are drawn, before this block's txs.
        let injected = params.expects_injected_votes(block.height)
            && txs.first().is_some_and(|t| votes::is_injected(t));
        let mut overlay = Overlay::new(view);
        let mut context = context.clone();
        context.vote_extensions = if injected {
            votes::decode(&txs[0])
                .unwrap_or_default()
                .votes
                .into_iter()
                .map(|v| (hex::encode_upper(&v.validator_address), v.vote_extension))
                .collect()
        } else {
            Vec::new()
        };
        let (changes, events) =
            block_step(&overlay, block, |ctx| components.begin_block(ctx, &context))?;
        overlay.absorb(changes);
        block_events.extend(events);
        let decoded: Vec<AppResult<DecodedTx>> = txs
            .iter()
            .map(|t| decode_tx(components, t, params.max_tx_bytes as usize))
            .collect();
        let ok: Vec<&DecodedTx> = decoded.iter().filter_map(|d| d.as_ref().ok()).collect();
        self.preverify(view, &params.chain_id, &ok);
        let env = Env {
            params: &params,
            gas_price: &price,
            local_min_gas_price: None,
            sigs: &self.0.sigs,
            block,
            components,
        };
        let mut results = Vec::with_capacity(txs.len());
        for (i, d) in decoded.into_iter().enumerate() {
            if i == 0 && injected {
                results.push(ExecTxResult::default());
                continue;
            }
            let out = match d {
                Ok(tx) => run_tx(&overlay, &tx, Mode::Deliver, &env),
                Err(e) => TxOutcome {
                    code: e.code,
                    codespace: e.codespace.into(),
                    log: e.log,
                    ..Default::default()
                },
            };
            if out.code == 1 {
                internal_fatal("executing a tx", &out.log);
            }
            overlay.absorb(std::mem::take(&mut { out.changes }));
            results.push(ExecTxResult {
                code: out.code,
                data: out.data.into(),
                log: out.log,
                info: String::new(),
                gas_wanted: out.gas_wanted as i64,
                gas_used: out.gas_used as i64,
                events: out.events,
                codespace: out.codespace,
            });
        }
        let mut updates = Vec::new();
        let (changes, events) = block_step(&overlay, block, |ctx| {
            components.end_block(ctx, &context)?;
            updates = components.validator_updates(ctx, &context)?;
            Ok(())
        })?;
        overlay.absorb(changes);
        block_events.extend(events);
        // Scratch data (the block's draw exclusions) served this block only: it is never
        // hashed or committed.
        let changes = glia_modules::store::without_scratch(overlay.into_changes());
        if self.0.config.check_invariants {
            let after = Layered {
                base: view,
                changes: &changes,
            };
            block_step(&after, block, |ctx| components.check_invariants(ctx))?;
        }
        Ok(Executed {
            results,
            changes,
            events: block_events,
            validator_updates: updates,
        })
    }
}

/// A block executed: each tx's result, the state changes, the block's own events and the
/// validator-set changes for CometBFT.
pub struct Executed {
    pub results: Vec<ExecTxResult>,
    pub changes: Changes,
    pub events: Vec<Event>,
    pub validator_updates: Vec<ValidatorUpdate>,
}

/// What begin and end of block see of a FinalizeBlock request (`last_app_hash`: the app hash
/// of the block before, empty for the first).
pub(crate) fn block_context(
    req: &RequestFinalizeBlock,
    chain_id: String,
    last_app_hash: Vec<u8>,
) -> BlockContext {
    let last_commit = req
        .decided_last_commit
        .as_ref()
        .map(|c| {
            c.votes
                .iter()
                .map(|v| {
                    let validator = v.validator.as_ref();
                    CommitVote {
                        validator: validator
                            .map_or_else(String::new, |v| hex::encode_upper(&v.address)),
                        power: validator.map_or(0, |v| v.power),
                        // A nil vote is a vote: the validator was online (the SDK's liveness
                        // counts only absent ones as missed).
                        signed: v.block_id_flag
                            == tendermint_proto::v0_38::types::BlockIdFlag::Commit as i32
                            || v.block_id_flag
                                == tendermint_proto::v0_38::types::BlockIdFlag::Nil as i32,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let misbehaviour = req
        .misbehavior
        .iter()
        .map(|m| {
            let validator = m.validator.as_ref();
            Misbehaviour {
                kind: match MisbehaviorType::try_from(m.r#type) {
                    Ok(MisbehaviorType::DuplicateVote) => MisbehaviourKind::DuplicateVote,
                    Ok(MisbehaviorType::LightClientAttack) => MisbehaviourKind::LightClientAttack,
                    _ => MisbehaviourKind::Unknown,
                },
                validator: validator.map_or_else(String::new, |v| hex::encode_upper(&v.address)),
                power: validator.map_or(0, |v| v.power),
                height: m.height.max(0) as u64,
                time_unix: m.time.as_ref().map_or(0, |t| t.seconds),
                total_voting_power: m.total_voting_power,
            }
        })
        .collect();
    BlockContext {
        info: BlockInfo {
            chain_id,
            height: req.height.max(0) as u64,
            time_unix: req.time.as_ref().map_or(0, |t| t.seconds),
            proposer: hex::encode_upper(&req.proposer_address),
            time_nanos: req.time.as_ref().map_or(0, |t| t.nanos),
            next_validators_hash: req.next_validators_hash.to_vec(),
            last_app_hash,
        },
        last_commit,
        misbehaviour,
        vote_extensions: Vec::new(),
    }
}

/// Runs block-level module logic (begin and end of block) with unmetered gas.
pub(crate) fn block_step(
    view: &dyn KvRead,
    block: &BlockInfo,
    f: impl FnOnce(&mut Ctx<'_>) -> AppResult<()>,
) -> AppResult<(Changes, Vec<Event>)> {
    let mut ctx = Ctx::new(view, GasMeter::infinite(), block);
    f(&mut ctx)?;
    let (changes, _, events) = ctx.into_parts();
    Ok((changes, events))
}
