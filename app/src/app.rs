//! The ABCI 2.0 application: block lifecycle, mempool checks and queries.
//!
//! tendermint-abci serves each CometBFT connection on its own thread with a clone of `App`, so
//! everything shared sits behind one `Arc`. Heavy work never runs here: FinalizeBlock only
//! executes txs (their signatures verified on every core first) and hashes the new state.

use crate::genesis;
use crate::params::ChainParams;
use crate::storage::Store;
use crate::tx::sigverify::SigCache;
use cnidarium::StagedWriteBatch;
use glia_modules::coins::GasPrice;
use glia_modules::component::Components;
use glia_modules::error::{AppError, AppResult};
use glia_modules::store::{Changes, KvRead, Overlay};
use glia_modules::ReadOnly;
use prost::Message;
use std::sync::{Arc, Mutex};
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::*;
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

/// Height and time of the last block, written by every block.
pub const LAST_BLOCK_KEY: &str = "app/last_block";

/// A block executed but not yet committed.
pub(crate) struct Pending {
    height: u64,
    batch: StagedWriteBatch,
    changes: Changes,
}

#[derive(Default)]
pub(crate) struct Consensus {
    /// Genesis state, built at InitChain and committed together with block 1.
    pub(crate) genesis: Option<Changes>,
    pub(crate) pending: Option<Pending>,
}

/// Node-local settings.
#[derive(Clone, Debug, Default)]
pub struct NodeConfig {
    /// This node's mempool asks at least this price (never less than the chain's minimum).
    pub min_gas_price: Option<GasPrice>,
    /// Check the supply invariant after every block and stop the node if it breaks.
    pub check_invariants: bool,
    /// Which event attributes CometBFT is asked to index (node-local, like the SDK's).
    pub index_events: crate::index_events::IndexEvents,
    /// This node's CometBFT RPC, asked for its node info (GetNodeInfo).
    pub cometbft_rpc: Option<String>,
}

pub struct Inner {
    pub store: Store,
    pub config: NodeConfig,
    pub sigs: SigCache,
    /// This validator's finished workloads, reported in its vote extensions.
    pub results: Arc<crate::results::ResultBook>,
    /// The components the app is made of: message and query routes, block lifecycle.
    pub components: Components,
    pub(crate) consensus: Mutex<Consensus>,
    pub(crate) check: Mutex<Changes>,
}

#[derive(Clone)]
pub struct App(pub Arc<Inner>);

pub(crate) fn internal_fatal(what: &str, e: impl std::fmt::Display) -> ! {
    // Storage failing under consensus leaves no safe way on: stop rather than diverge.
    tracing::error!("fatal: {what}: {e}");
    eprintln!("fatal: {what}: {e}");
    std::process::exit(70)
}

impl App {
    pub fn new(store: Store, config: NodeConfig) -> Self {
        App(Arc::new(Inner {
            store,
            sigs: SigCache::default(),
            results: Default::default(),
            components: crate::components::glia(match &config.cometbft_rpc {
                Some(rpc) => Arc::new(crate::node_info::CometNode::new(rpc)),
                None => Arc::new(glia_modules::component::NoNode),
            }),
            consensus: Mutex::new(Consensus::default()),
            check: Mutex::new(Changes::new()),
            config,
        }))
    }

    /// The state a proposal for the next height builds on: the latest commit, plus genesis
    /// while block 1 (which commits it) is still being decided.
    pub(crate) fn proposal_base(&self) -> (crate::storage::LatestView<'_>, Changes) {
        let genesis = self
            .0
            .consensus
            .lock()
            .expect("consensus lock")
            .genesis
            .clone();
        (self.0.store.latest(), genesis.unwrap_or_default())
    }

    pub(crate) fn params(view: &dyn KvRead) -> AppResult<(ChainParams, GasPrice)> {
        let p = ChainParams::load(&mut ReadOnly(view))?;
        let price = p
            .gas_price()
            .map_err(|e| AppError::internal(format!("{e:#}")))?;
        Ok((p, price))
    }
}

/// What the Cosmos SDK answers for a handler that panicked (baseapp's `ErrPanic`: codespace
/// `undefined`, code 111222), with the panic's message.
pub(crate) fn panic_error(what: &str, p: Box<dyn std::any::Any + Send>) -> AppError {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic".into());
    tracing::error!("{what} panicked: {msg}");
    AppError {
        codespace: "undefined",
        code: 111_222,
        log: format!("panic in {what}: {msg}"),
    }
}

pub(crate) fn query_error(e: AppError, height: i64) -> ResponseQuery {
    ResponseQuery {
        code: e.code,
        log: e.log,
        codespace: e.codespace.into(),
        height,
        ..Default::default()
    }
}

impl Application for App {
    fn info(&self, _req: RequestInfo) -> ResponseInfo {
        let hash = self
            .0
            .store
            .last_app_hash()
            .unwrap_or_else(|e| internal_fatal("reading app hash", e));
        ResponseInfo {
            data: "gliad".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 1,
            last_block_height: self.0.store.last_height() as i64,
            last_block_app_hash: hash.into(),
        }
    }

    fn init_chain(&self, req: RequestInitChain) -> ResponseInitChain {
        let latest = self.0.store.latest();
        let ve_height = req
            .consensus_params
            .as_ref()
            .and_then(|c| c.abci.as_ref())
            .map_or(0, |a| a.vote_extensions_enable_height.max(0) as u64);
        let block = req.consensus_params.as_ref().and_then(|c| c.block.as_ref());
        let init = genesis::InitChain {
            chain_id: &req.chain_id,
            validators: &req.validators,
            vote_extensions_enable_height: ve_height,
            max_block_gas: block.map_or(0, |b| b.max_gas.max(0) as u64),
            max_block_bytes: block.map_or(0, |b| b.max_bytes.max(0) as u64),
            max_evidence_bytes: req
                .consensus_params
                .as_ref()
                .and_then(|c| c.evidence.as_ref())
                .map_or(0, |e| e.max_bytes.max(0) as u64),
        };
        let (changes, validators) =
            genesis::build(&latest, &self.0.components, &init, &req.app_state_bytes)
                .unwrap_or_else(|e| internal_fatal("applying genesis", format!("{e:#}")));
        self.0.consensus.lock().expect("consensus lock").genesis = Some(changes);
        // The genesis state is committed with block 1, so block 1's header carries no app hash.
        // The first validator set is the one staking bonded from the genesis validators.
        ResponseInitChain {
            validators,
            ..Default::default()
        }
    }

    fn query(&self, req: RequestQuery) -> ResponseQuery {
        let height = req.height.max(0) as u64;
        if let Some(store) = req.path.strip_prefix("store/") {
            // Raw store reads with ICS-23 proofs: `store/<substore>/key`, key in `data`.
            let Some(prefix) = store.strip_suffix("/key") else {
                return query_error(
                    AppError::unknown_request(format!("unknown store path {:?}", req.path)),
                    0,
                );
            };
            let mut key = format!("{prefix}/").into_bytes();
            key.extend_from_slice(&req.data);
            let h = if height == 0 {
                self.0.store.last_height()
            } else {
                height
            };
            return match self.0.store.get_with_proof(h, key) {
                Ok((value, proof)) => {
                    let ops = proof
                        .proofs
                        .iter()
                        .map(|p| ProofOp {
                            r#type: "jmt:v".into(),
                            key: req.data.to_vec(),
                            data: p.encode_to_vec(),
                        })
                        .collect();
                    ResponseQuery {
                        key: req.data,
                        value: value.unwrap_or_default().into(),
                        proof_ops: if req.prove {
                            Some(ProofOps { ops })
                        } else {
                            None
                        },
                        height: h as i64,
                        ..Default::default()
                    }
                }
                Err(e) => query_error(AppError::invalid_request(format!("{e:#}")), h as i64),
            };
        }
        match self.query(&req.path, &req.data, height) {
            Ok((value, h)) => ResponseQuery {
                value: value.into(),
                height: h as i64,
                ..Default::default()
            },
            Err(e) => query_error(e, self.0.store.last_height() as i64),
        }
    }

    fn check_tx(&self, req: RequestCheckTx) -> ResponseCheckTx {
        let out = self.check(&req.tx);
        ResponseCheckTx {
            code: out.code,
            // Empty, as the SDK's: a message's response means nothing before the tx is in a
            // block, and CometBFT returns it hex-encoded where cosmjs reads base64.
            data: Default::default(),
            log: out.log,
            gas_wanted: out.gas_wanted as i64,
            gas_used: out.gas_used as i64,
            codespace: out.codespace,
            ..Default::default()
        }
    }

    fn prepare_proposal(&self, req: RequestPrepareProposal) -> ResponsePrepareProposal {
        self.prepare(req)
    }

    fn process_proposal(&self, req: RequestProcessProposal) -> ResponseProcessProposal {
        self.process(req)
    }

    fn extend_vote(&self, req: RequestExtendVote) -> ResponseExtendVote {
        let latest = self.0.store.latest();
        let ext = self
            .0
            .results
            .vote_extension(&mut ReadOnly(&latest), req.height as u64);
        let bytes = ext.encode_to_vec();
        crate::metrics::global().own_vote_extension(bytes.len());
        ResponseExtendVote {
            vote_extension: bytes.into(),
        }
    }

    fn verify_vote_extension(
        &self,
        req: RequestVerifyVoteExtension,
    ) -> ResponseVerifyVoteExtension {
        use response_verify_vote_extension::VerifyStatus;
        let latest = self.0.store.latest();
        let check = self
            .0
            .components
            .verify_vote_extension(&req.vote_extension, &mut ReadOnly(&latest));
        crate::metrics::global().verified_vote_extension(req.vote_extension.len(), check.is_ok());
        let status = match check {
            Ok(()) => VerifyStatus::Accept,
            Err(e) => {
                tracing::warn!(height = req.height, "rejecting vote extension: {}", e.log);
                VerifyStatus::Reject
            }
        };
        ResponseVerifyVoteExtension {
            status: status as i32,
        }
    }

    fn finalize_block(&self, req: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        let height = req.height as u64;
        let time = req.time.as_ref().map_or(0, |t| t.seconds);
        let time_nanos = req.time.as_ref().map_or(0, |t| t.nanos);
        let mut consensus = self.0.consensus.lock().expect("consensus lock");
        let latest = self.0.store.latest();
        let mut base = Overlay::new(&latest);
        if height == 1 {
            match consensus.genesis.clone() {
                Some(g) => base.absorb(g),
                None => internal_fatal("finalizing block 1", "InitChain was not called"),
            }
        }
        let chain_id = ChainParams::load(&mut ReadOnly(&base))
            .unwrap_or_else(|e| internal_fatal("loading params", e))
            .chain_id;
        // The genesis state is committed with block 1: block 1's header has no app hash.
        let last_app_hash = if height <= 1 {
            Vec::new()
        } else {
            self.0
                .store
                .last_app_hash()
                .unwrap_or_else(|e| internal_fatal("reading app hash", e))
        };
        let block = crate::block::block_context(&req, chain_id, last_app_hash);
        let txs: Vec<Vec<u8>> = req.txs.iter().map(|t| t.to_vec()).collect();
        // Timings are for the operator's log only; nothing in state depends on them.
        let started = std::time::Instant::now();
        let crate::block::Executed {
            results: mut tx_results,
            changes,
            events: mut block_events,
            validator_updates,
        } = self
            .execute_block(&base, &block, &txs)
            .unwrap_or_else(|e| internal_fatal("executing block", e));
        let index = &self.0.config.index_events;
        tx_results
            .iter_mut()
            .for_each(|r| index.mark(&mut r.events));
        index.mark(&mut block_events);
        let mut all = base.into_changes();
        all.extend(changes);
        // Every block writes at least this leaf. cnidarium finds the latest version on reopen
        // from the deepest JMT node of that version, which is a leaf only if one was written:
        // without it, a restart after an empty block would see no state at all.
        all.insert(
            LAST_BLOCK_KEY.into(),
            Some(
                glia_proto::store::v1::LastBlock {
                    height,
                    time_unix: time,
                    time_nanos,
                }
                .encode_to_vec(),
            ),
        );
        let executed = started.elapsed();
        let (batch, app_hash) = self
            .0
            .store
            .prepare(&all)
            .unwrap_or_else(|e| internal_fatal("hashing state", e));
        tracing::info!(
            height,
            txs = txs.len(),
            writes = all.len(),
            execute_ms = executed.as_millis() as u64,
            hash_ms = started.elapsed().saturating_sub(executed).as_millis() as u64,
            "block finalized"
        );
        crate::metrics::global().block(
            height,
            i128::from(time)
                .saturating_mul(1_000_000_000)
                .saturating_add(i128::from(time_nanos)),
            &tx_results,
            &block_events,
            started.elapsed().as_secs_f64(),
        );
        consensus.pending = Some(Pending {
            height,
            batch,
            changes: all,
        });
        ResponseFinalizeBlock {
            events: block_events,
            tx_results,
            validator_updates,
            consensus_param_updates: None,
            app_hash: app_hash.into(),
        }
    }

    fn commit(&self) -> ResponseCommit {
        let mut consensus = self.0.consensus.lock().expect("consensus lock");
        if let Some(p) = consensus.pending.take() {
            self.0
                .store
                .commit(p.batch, p.changes)
                .unwrap_or_else(|e| internal_fatal(&format!("committing block {}", p.height), e));
            consensus.genesis = None;
            // What the image and job markets hold in escrow now, for the metrics.
            let latest = self.0.store.latest();
            for module in [
                glia_modules::inference::MODULE_ACCOUNT,
                glia_modules::neuro::MODULE_ACCOUNT,
            ] {
                let addr = glia_modules::address::Address::module(module);
                if let Ok(n) = glia_modules::bank::api::balance(
                    &mut ReadOnly(&latest),
                    &addr,
                    glia_modules::coins::BASE_DENOM,
                ) {
                    crate::metrics::global().escrow(module, n);
                }
            }
        }
        // The mempool's state restarts from the new block; CometBFT rechecks what is left.
        self.0.check.lock().expect("check lock").clear();
        ResponseCommit { retain_height: 0 }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An app over a new store in a scratch directory (the runtime must outlive the app).
    pub(crate) fn fresh_app(name: &str) -> (App, std::path::PathBuf, tokio::runtime::Runtime) {
        let dir = std::env::temp_dir().join(format!("glia-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let app = App::new(
            Store::open(&dir, rt.handle().clone()).unwrap(),
            NodeConfig::default(),
        );
        (app, dir, rt)
    }

    /// Test-only inputs that panic inside the handlers, to check what a panic becomes.
    pub(crate) const PANIC_QUERY: &str = "/glia.test.v1.Panic/Query";
    pub(crate) const PANIC_TX: &[u8] = b"glia test: a tx that panics in CheckTx";

    /// A panic inside a query (ABCI, gRPC, REST, Simulate) or CheckTx is the SDK's panic error
    /// for that request, and the node answers the next ones as before: nothing is poisoned.
    #[test]
    fn attack_a_panic_in_a_query_or_check_tx_is_an_error_answer() {
        let (app, dir, _rt) = fresh_app("panic");
        for _ in 0..2 {
            let r = Application::query(
                &app,
                RequestQuery {
                    path: PANIC_QUERY.into(),
                    ..Default::default()
                },
            );
            assert_eq!((r.code, r.codespace.as_str()), (111_222, "undefined"));
            assert!(r.log.contains("panic in the query"), "{}", r.log);
            let e = app.query(PANIC_QUERY, &[], 0).unwrap_err();
            assert_eq!(e.code, 111_222);

            let r = app.check_tx(RequestCheckTx {
                tx: PANIC_TX.to_vec().into(),
                ..Default::default()
            });
            assert_eq!((r.code, r.codespace.as_str()), (111_222, "undefined"));
            assert!(r.log.contains("panic in CheckTx"), "{}", r.log);
            // The next request is answered normally (here: nothing is committed yet).
            let r = app.check_tx(RequestCheckTx {
                tx: b"not a tx".to_vec().into(),
                ..Default::default()
            });
            assert_ne!(r.code, 111_222, "{}", r.log);
            assert_ne!(r.code, 0);
            let r = Application::query(
                &app,
                RequestQuery {
                    path: "/cosmos.bank.v1beta1.Query/Params".into(),
                    ..Default::default()
                },
            );
            assert_ne!(r.code, 111_222, "{}", r.log);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
