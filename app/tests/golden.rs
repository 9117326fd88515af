//! The golden chain: a fixed, seeded sequence of blocks run through the in-process app (real
//! store, no CometBFT) — sends and a failing one, executors registering with their beacon
//! chains, an image task drawn, committed, revealed and paid, a neuromorphic job with a
//! committed and revealed solution, its settlement — recording the app hash at every height
//! and every listed query's answer. Structural changes (issue 15's component work) must keep
//! `tests/golden/chain.txt` as it is; a deliberate state change re-records it in a commit of
//! its own:
//!
//!   GLIA_GOLDEN_RECORD=1 cargo test -p gliad --test golden
//!
//! Every proposal also passes ProcessProposal, so the injected votes are what a real
//! validator set would sign.

use glia_client::keys::Key;
use glia_client::tx::{any, msg_send, sign_tx, TxParams};
use glia_modules::beacon::LocalChain;
use glia_modules::coins::Coin;
use glia_modules::inference::{handler::register_sign_bytes, settle, state as istate};
use glia_modules::neuro::msgs::solution_commitment;
use glia_modules::neuro::problem::pack;
use glia_modules::ReadOnly;
use glia_proto::abci::v1::{BeaconShare, VoteExtension as Envelope, VoteExtensionPart};
use glia_proto::cosmos::cosmos::bank::v1beta1::QueryAllBalancesRequest;
use glia_proto::inference::v1::{
    HeldModel, ImageResult, MsgGenerateImage, MsgRegisterExecutor, QueryExecutorsRequest,
    QueryTasksRequest, ResultCommitment, Scheduler, TaskResult, TaskStatus, VoteExtension,
};
use glia_proto::neuro::v1::{
    JobStatus, MsgCommitSolution, MsgSubmitJob, MsgSubmitSolution, ProblemFormat, QueryJobsRequest,
    QuerySolutionsRequest,
};
use gliad::app::{App, NodeConfig};
use gliad::storage::Store;
use prost::Message;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    response_process_proposal::ProposalStatus, ExtendedCommitInfo, ExtendedVoteInfo,
    RequestCheckTx, RequestFinalizeBlock, RequestInitChain, RequestProcessProposal,
    ValidatorUpdate,
};
use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};
use tendermint_proto::v0_38::types::{
    AbciParams, BlockIdFlag, BlockParams, ConsensusParams, EvidenceParams,
};

const CHAIN: &str = "glia-golden-1";
const DENOM: &str = "uglia";
const VALIDATORS: usize = 4;
/// Four independent bits, each worth -1.
const QUBO: &str = "p qubo 4 4 0\n0 0 -1\n1 1 -1\n2 2 -1\n3 3 -1\n";

struct Chain {
    app: App,
    height: u64,
    record: String,
    validators: Vec<ed25519_consensus::SigningKey>,
    chains: Vec<LocalChain>,
    operators: Vec<Key>,
    /// (account number, next sequence) of each signer, by bech32 address.
    accounts: std::collections::BTreeMap<String, (u64, u64)>,
    /// The nanoseconds of every next block's time (0 in the golden chain).
    nanos: i32,
    _rt: tokio::runtime::Runtime,
    dir: std::path::PathBuf,
}

fn val_address(k: &ed25519_consensus::SigningKey) -> Vec<u8> {
    Sha256::digest(k.verification_key().to_bytes())[..20].to_vec()
}

impl Chain {
    fn new(funded: &[&Key]) -> Chain {
        Chain::named("golden", funded)
    }

    fn named(name: &str, funded: &[&Key]) -> Chain {
        let dir = std::env::temp_dir().join(format!("glia-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = App::new(
            Store::open(&dir, rt.handle().clone()).unwrap(),
            NodeConfig::default(),
        );
        let validators: Vec<_> = (0..VALIDATORS)
            .map(|i| ed25519_consensus::SigningKey::from([i as u8 + 11; 32]))
            .collect();
        let operators: Vec<Key> = (0..VALIDATORS)
            .map(|i| Key::from_seed(format!("golden operator {i}").as_bytes()))
            .collect();
        let mut holders: Vec<Key> = funded.iter().map(|k| (*k).clone()).collect();
        holders.extend(operators.iter().cloned());
        let mut balances: Vec<_> = holders
            .iter()
            .map(|k| {
                serde_json::json!({"address": k.address.to_bech32(),
                    "coins": [{"denom": DENOM, "amount": "1000000000"}]})
            })
            .collect();
        balances.sort_by_key(|b| b["address"].as_str().unwrap().to_string());
        // Each operator bonds its validator's key at genesis: 10^7 uglia, power 10.
        let gentxs: Vec<_> = validators
            .iter()
            .zip(&operators)
            .enumerate()
            .map(|(i, (k, op))| {
                use base64::Engine;
                serde_json::json!({"operator": op.address.to_bech32(),
                    "consensus_pubkey": base64::engine::general_purpose::STANDARD
                        .encode(k.verification_key().to_bytes()),
                    "self_bond": "10000000", "moniker": format!("golden{i}"),
                    "commission_rate": "0.1", "commission_max_rate": "0.2",
                    "commission_max_change_rate": "0.01"})
            })
            .collect();
        let genesis = serde_json::json!({
            "bank": {"balances": balances},
            // Blocks of 4 MiB hold ten validators' vote extensions beside a largest tx.
            "staking": {"params": {"max_validators": 10}, "validators": gentxs},
            "inference": {"models": [{"id": "tiny", "family": "tiny",
                "weights_sha256": "ab".repeat(32), "phash_threshold": 10,
                "price_per_step_megapixel": 1000000, "max_steps": 50,
                "max_width": 512, "max_height": 512, "min_replicas": 2}]},
        });
        // The genesis file may list the validators too, if they are the set staking bonds.
        let init = app.init_chain(RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: genesis.to_string().into_bytes().into(),
            validators: validators
                .iter()
                .map(|k| ValidatorUpdate {
                    pub_key: Some(PublicKey {
                        sum: Some(Sum::Ed25519(k.verification_key().to_bytes().to_vec())),
                    }),
                    power: 10,
                })
                .collect(),
            consensus_params: Some(ConsensusParams {
                block: Some(BlockParams {
                    max_bytes: 4 << 20,
                    max_gas: 1_000_000_000,
                }),
                evidence: Some(EvidenceParams {
                    max_bytes: 1 << 20,
                    ..Default::default()
                }),
                abci: Some(AbciParams {
                    vote_extensions_enable_height: 1,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(init.validators.len(), VALIDATORS);
        assert!(init.validators.iter().all(|v| v.power == 10));
        // Account numbers: the fee collector and module accounts come first at genesis, then
        // the balances in address order; read them back rather than guess.
        let mut chain = Chain {
            app,
            height: 0,
            record: String::new(),
            chains: (0..VALIDATORS)
                .map(|i| LocalChain::new([i as u8 + 21; 32], 1, 10_000))
                .collect(),
            validators,
            operators,
            accounts: Default::default(),
            nanos: 0,
            _rt: rt,
            dir,
        };
        chain.block(vec![], None);
        for k in holders {
            let acc = glia_modules::auth::get_account(
                &mut ReadOnly(&chain.app.0.store.latest()),
                &k.address,
            )
            .unwrap()
            .expect("funded at genesis");
            chain
                .accounts
                .insert(k.address.to_bech32(), (acc.account_number, 0));
        }
        chain
    }

    fn sign(&mut self, key: &Key, msgs: Vec<glia_proto::cosmos::Any>) -> Vec<u8> {
        let entry = self.accounts.get_mut(&key.address.to_bech32()).unwrap();
        let p = TxParams {
            chain_id: CHAIN.into(),
            account_number: entry.0,
            sequence: entry.1,
            fee: vec![Coin::new(DENOM, 50_000)],
            gas_limit: 2_000_000,
            memo: String::new(),
        };
        entry.1 += 1;
        sign_tx(key, msgs, &p)
    }

    /// Validator `i`'s extension for the vote at `height`, as its executor would make it.
    fn extension(&self, i: usize, height: u64) -> Vec<u8> {
        let latest = self.app.0.store.latest();
        let kv = &mut ReadOnly(&latest);
        let op = self.operators[i].address.to_bech32();
        let share = BeaconShare {
            value: self.chains[i].value(height).unwrap().to_vec(),
        };
        let mut ext = VoteExtension::default();
        for id in istate::open_task_ids(kv).unwrap() {
            let task = istate::task(kv, id).unwrap().unwrap();
            let Some(slot) = task.assignments.iter().find(|a| a.executor == op) else {
                continue;
            };
            let images = images(&task.seeds, i);
            let salt = vec![i as u8 + 1; 32];
            if settle::open_for_vote(slot, height) {
                ext.commitments.push(ResultCommitment {
                    task_id: id,
                    commitment: settle::result_commitment(id, &op, &images, &salt).to_vec(),
                });
            } else if settle::reveal_for_vote(&task, slot, height) {
                ext.results.push(TaskResult {
                    task_id: id,
                    images,
                    salt,
                });
            }
        }
        let mut parts = vec![VoteExtensionPart {
            component: "beacon".into(),
            data: share.encode_to_vec(),
        }];
        if ext != VoteExtension::default() {
            parts.push(VoteExtensionPart {
                component: "inference".into(),
                data: ext.encode_to_vec(),
            });
        }
        Envelope { parts }.encode_to_vec()
    }

    /// One block: the last commit's signed extensions first (from block 2), then `txs`,
    /// proposed by validator `proposer`. Checked by ProcessProposal, executed, committed, and
    /// its app hash and tx codes recorded.
    fn block(&mut self, txs: Vec<Vec<u8>>, proposer: Option<usize>) -> Vec<u32> {
        self.height += 1;
        let h = self.height;
        let mut all: Vec<bytes::Bytes> = Vec::new();
        if h > 1 {
            let votes = (0..VALIDATORS)
                .map(|i| {
                    let ext = self.extension(i, h - 1);
                    let sig = self.validators[i].sign(&gliad::votes::sign_bytes(
                        CHAIN,
                        (h - 1) as i64,
                        0,
                        &ext,
                    ));
                    ExtendedVoteInfo {
                        validator: Some(tendermint_proto::v0_38::abci::Validator {
                            address: val_address(&self.validators[i]).into(),
                            power: 10,
                        }),
                        vote_extension: ext.into(),
                        extension_signature: sig.to_bytes().to_vec().into(),
                        block_id_flag: BlockIdFlag::Commit as i32,
                    }
                })
                .collect();
            let commit = ExtendedCommitInfo { round: 0, votes };
            all.push(gliad::votes::build(&commit, h as i64).into());
        }
        all.extend(txs.into_iter().map(bytes::Bytes::from));
        let proposer_address: bytes::Bytes = proposer
            .map(|p| val_address(&self.validators[p]))
            .unwrap_or_default()
            .into();
        let time = Some(Timestamp {
            seconds: 1_700_000_000 + h as i64,
            nanos: self.nanos,
        });
        let verdict = self.app.process_proposal(RequestProcessProposal {
            txs: all.clone(),
            height: h as i64,
            time,
            proposer_address: proposer_address.clone(),
            ..Default::default()
        });
        assert_eq!(verdict.status, ProposalStatus::Accept as i32, "block {h}");
        let r = self.app.finalize_block(RequestFinalizeBlock {
            txs: all,
            height: h as i64,
            time,
            proposer_address,
            ..Default::default()
        });
        self.app.commit();
        let codes: Vec<u32> = r.tx_results.iter().map(|t| t.code).collect();
        writeln!(
            self.record,
            "height {h} app_hash {} codes {codes:?}",
            hex::encode(&r.app_hash)
        )
        .unwrap();
        codes
    }

    /// Records a query's answer at the latest height (its sha256 and length).
    fn query(&mut self, path: &str, req: impl Message) {
        let (value, _) = self
            .app
            .query(path, &req.encode_to_vec(), 0)
            .unwrap_or_else(|e| panic!("{path}: {}", e.log));
        writeln!(
            self.record,
            "query {path} {} bytes sha256 {}",
            value.len(),
            hex::encode(Sha256::digest(&value))
        )
        .unwrap();
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The images executor `i` reports: one per seed, the same perceptual hash for every executor
/// (so replicas agree), a hash of its own.
fn images(seeds: &[u64], i: usize) -> Vec<ImageResult> {
    seeds
        .iter()
        .map(|s| ImageResult {
            seed: *s,
            output_sha256: Sha256::digest(format!("png {s}")).to_vec(),
            phash: 0xF0F0_0000 | *s,
            device_time_ms: 10 + i as u64,
        })
        .collect()
}

#[test]
fn the_golden_chain_keeps_its_app_hashes_and_answers() {
    let alice = Key::from_seed(b"golden alice");
    let bob = Key::from_seed(b"golden bob");
    let solver = Key::from_seed(b"golden solver");
    let mut c = Chain::new(&[&alice, &bob, &solver]);

    // Block 2: executors register with their beacon chains; sends, one with a stale sequence.
    let mut txs = Vec::new();
    for i in 0..VALIDATORS {
        let mut msg = MsgRegisterExecutor {
            operator: c.operators[i].address.to_bech32(),
            validator_pubkey: c.validators[i].verification_key().to_bytes().to_vec(),
            models: vec![HeldModel {
                model_id: "tiny".into(),
                weights_sha256: "ab".repeat(32),
            }],
            blob_url: format!("http://127.0.0.1:{}", 1317 + 10 * i),
            beacon_anchor: c.chains[i].anchor().to_vec(),
            beacon_anchor_height: 1,
            beacon_end_height: 10_000,
            work_per_block: 5_000,
            ..Default::default()
        };
        msg.validator_signature = c.validators[i]
            .sign(&register_sign_bytes(CHAIN, &msg))
            .to_bytes()
            .to_vec();
        let op = c.operators[i].clone();
        txs.push(c.sign(&op, vec![any(&msg)]));
    }
    let send = |n: u128| msg_send(&alice, &bob.address.to_bech32(), &[Coin::new(DENOM, n)]);
    txs.push(c.sign(&alice, vec![send(1234)]));
    // The same sequence again: refused with code 32, and it moves nothing.
    c.accounts.get_mut(&alice.address.to_bech32()).unwrap().1 -= 1;
    txs.push(c.sign(&alice, vec![send(99)]));
    let job = MsgSubmitJob {
        creator: alice.address.to_bech32(),
        format: ProblemFormat::Qubo as i32,
        problem: QUBO.into(),
        block_fee: Some(Coin::new(DENOM, 10).to_proto()),
        max_blocks: 6,
        solution_reward: Some(Coin::new(DENOM, 1_000).to_proto()),
        target_energy: String::new(),
    };
    txs.push(c.sign(&alice, vec![any(&job)]));
    let codes = c.block(txs, Some(0));
    assert_eq!(codes[1..5], [0, 0, 0, 0], "registrations");
    assert_eq!(codes[5..7], [0, 32], "a send, then the same sequence again");

    // Block 3: an image request; the solver commits to the optimum.
    let request = MsgGenerateImage {
        creator: bob.address.to_bech32(),
        model_id: "tiny".into(),
        prompt: "a lighthouse at dusk".into(),
        negative_prompt: String::new(),
        width: 64,
        height: 64,
        steps: 4,
        guidance_scale: "7.5".into(),
        scheduler: Scheduler::Ddim as i32,
        seeds: vec![1, 2],
        replicas: 3,
        max_fee: Some(Coin::new(DENOM, 1_000_000).to_proto()),
        timeout_blocks: 0,
    };
    let x = pack(&[true; 4]);
    let salt = vec![5u8; 32];
    let commit = MsgCommitSolution {
        solver: solver.address.to_bech32(),
        job_id: 1,
        commitment: solution_commitment(1, &solver.address.to_bech32(), -4, &x, &salt).to_vec(),
    };
    let txs = vec![
        c.sign(&bob, vec![any(&request)]),
        c.sign(&solver, vec![any(&commit)]),
    ];
    assert_eq!(c.block(txs, Some(1))[1..], [0, 0]);

    // Block 4: the task is drawn; the solver reveals.
    let reveal = MsgSubmitSolution {
        solver: solver.address.to_bech32(),
        job_id: 1,
        assignment: x,
        claimed_energy: -4,
        salt,
    };
    let tx = c.sign(&solver, vec![any(&reveal)]);
    assert_eq!(c.block(vec![tx], Some(2))[1..], [0]);

    // Executors commit, the task reveals and settles; the job settles after its window.
    for b in 0..12 {
        c.block(vec![], Some(b % VALIDATORS));
    }
    let latest = c.app.0.store.latest();
    let task = istate::task(&mut ReadOnly(&latest), 1).unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed as i32, "{task:?}");
    let job = glia_modules::neuro::state::job(&mut ReadOnly(&latest), 1)
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Expired as i32, "{job:?}");
    drop(latest);

    for k in [&alice, &bob, &solver]
        .into_iter()
        .chain(c.operators.clone().iter())
    {
        c.query(
            "/cosmos.bank.v1beta1.Query/AllBalances",
            QueryAllBalancesRequest {
                address: k.address.to_bech32(),
                ..Default::default()
            },
        );
    }
    c.query(
        "/glia.inference.v1.Query/Tasks",
        QueryTasksRequest::default(),
    );
    c.query(
        "/glia.inference.v1.Query/Executors",
        QueryExecutorsRequest::default(),
    );
    c.query(
        "/glia.neuro.v1.Query/Jobs",
        QueryJobsRequest {
            status: JobStatus::Expired as i32,
            ..Default::default()
        },
    );
    c.query(
        "/glia.neuro.v1.Query/Solutions",
        QuerySolutionsRequest {
            job_id: 1,
            pagination: None,
        },
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/chain.txt");
    if std::env::var("GLIA_GOLDEN_RECORD").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &c.record).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("tests/golden/chain.txt (record it first)");
    for (i, (got, want)) in c.record.lines().zip(want.lines()).enumerate() {
        assert_eq!(got, want, "line {} of tests/golden/chain.txt", i + 1);
    }
    assert_eq!(c.record.lines().count(), want.lines().count());
}

/// Simulate reads the mempool's state, as the Cosmos SDK's check state: a tx that spends what
/// a tx admitted by CheckTx (not yet in a block) brings simulates as it will run. Relayers
/// depend on it: Hermes sends a client update and the packets it proves as two txs and
/// simulates the second while the first waits in the mempool. Nothing simulated is kept.
#[test]
fn simulate_sees_the_txs_admitted_to_the_mempool() {
    use glia_proto::cosmos::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
    let alice = Key::from_seed(b"mempool alice");
    let bob = Key::from_seed(b"mempool bob");
    let mut c = Chain::named("simulate-mempool", &[&alice, &bob]);
    let simulate = |c: &Chain, tx: Vec<u8>| {
        c.app
            .query(
                "/cosmos.tx.v1beta1.Service/Simulate",
                &SimulateRequest {
                    tx_bytes: tx,
                    ..Default::default()
                }
                .encode_to_vec(),
                0,
            )
            .map(|(v, _)| SimulateResponse::decode(v.as_slice()).unwrap())
    };
    // Bob spends more than his committed balance (10^9): only Alice's pending send covers it.
    let bobs = c.sign(
        &bob,
        vec![msg_send(
            &bob,
            &alice.address.to_bech32(),
            &[Coin::new(DENOM, 1_500_000_000)],
        )],
    );
    let e = simulate(&c, bobs.clone()).unwrap_err();
    assert!(e.log.contains("insufficient"), "{}", e.log);
    let alices = c.sign(
        &alice,
        vec![msg_send(
            &alice,
            &bob.address.to_bech32(),
            &[Coin::new(DENOM, 900_000_000)],
        )],
    );
    let r = c.app.check_tx(RequestCheckTx {
        tx: alices.clone().into(),
        ..Default::default()
    });
    assert_eq!(r.code, 0, "{}", r.log);
    let sim = simulate(&c, bobs.clone()).unwrap_or_else(|e| panic!("{}", e.log));
    assert!(sim.gas_info.unwrap().gas_used > 0);
    // Simulating kept nothing: the same tx simulates the same, and Bob's committed balance
    // is unchanged until a block includes Alice's send.
    simulate(&c, bobs).unwrap();
    let bal = glia_modules::bank::state::balance(
        &mut ReadOnly(&c.app.0.store.latest()),
        &bob.address,
        DENOM,
    )
    .unwrap();
    assert_eq!(bal, 1_000_000_000);
}

/// CheckTx and Simulate run at the last committed block's whole time, nanoseconds included.
/// An IBC client update in that block records its full time, and a receipt checked in the
/// mempool compares the two (ICS-03's delay check: now >= processed time + delay): with the
/// time cut to the second, Hermes's second tx of a batch and its packet clearing were refused
/// "insufficient time elapsed" until the next block.
#[test]
fn the_mempool_runs_at_the_last_blocks_full_time() {
    let alice = Key::from_seed(b"mempool time alice");
    let mut c = Chain::named("mempool-time", &[&alice]);
    c.nanos = 620_000_000;
    c.block(vec![], None);
    let latest = c.app.0.store.latest();
    let b = gliad::mempool::mempool_block(&latest, c.height, CHAIN).unwrap();
    assert_eq!(
        (b.height, b.time_unix, b.time_nanos),
        (c.height + 1, 1_700_000_000 + c.height as i64, 620_000_000)
    );
}
