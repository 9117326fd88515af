//! The inference flow over an in-memory store: escrow, assignment, results from vote
//! extensions, settlement on agreement, outvoting, silence, reassignment and refund — with
//! the escrow conserved at every step.
//!
//! Over 500 lines in one file on purpose: every test drives the one shared in-process network
//! harness (`Net`, below), so splitting the tests would only scatter its users.

use super::lifecycle::{self, Genesis, GenesisModel};
use super::msgs::InferenceMsg;
use super::{capacity, handler, settle, state, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank;
use crate::beacon;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{BlockInfo, Ctx};
use crate::error::AppResult;
use crate::gas::GasMeter;
use crate::staking;
use crate::store::MemStore;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::Any;
use glia_proto::inference::v1::*;
use prost::{Message, Name};

const CHAIN: &str = "glia-test-1";
const PRICE: u64 = 1_000_000; // per step-megapixel: a 64x64, 4-step image costs 16_384
const FUNDS: u128 = 10_000_000_000;

struct Net {
    store: MemStore,
    height: u64,
    keys: Vec<ed25519_consensus::SigningKey>,
    operators: Vec<Address>,
    creator: Address,
    /// Each validator's beacon chain (registered with its executor).
    chains: Vec<beacon::LocalChain>,
    /// The proposer of the block being executed.
    proposer: String,
    /// The throughput executors declare (kilo pixel-steps per block).
    rate: u64,
    /// Events of the steps so far (see `take_events`).
    events: Vec<tendermint_proto::v0_38::abci::Event>,
}

impl Net {
    fn step<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> AppResult<T>) -> AppResult<T> {
        let block = BlockInfo {
            chain_id: CHAIN.into(),
            height: self.height,
            time_unix: 0,
            proposer: self.proposer.clone(),
            ..Default::default()
        };
        let mut ctx = Ctx::new(&self.store, GasMeter::infinite(), &block);
        let out = f(&mut ctx);
        if out.is_ok() {
            let (changes, _, events) = ctx.into_parts();
            self.store.apply(changes);
            self.events.extend(events);
        }
        out
    }

    fn new(validators: usize) -> Net {
        Net::with_params(validators, None)
    }

    fn with_params(validators: usize, params: Option<lifecycle::GenesisParams>) -> Net {
        let keys: Vec<_> = (0..validators)
            .map(|i| ed25519_consensus::SigningKey::from([i as u8 + 1; 32]))
            .collect();
        let operators: Vec<_> = (0..validators)
            .map(|i| Address::module(&format!("operator{i}")))
            .collect();
        let mut net = Net {
            store: MemStore::default(),
            height: 1,
            keys,
            operators,
            creator: Address::module("creator"),
            chains: (0..validators)
                .map(|i| beacon::LocalChain::new([i as u8 + 1; 32], 1, 10_000))
                .collect(),
            proposer: String::new(),
            rate: 20_000,
            events: Vec::new(),
        };
        // The signing set (what staking keeps for CometBFT): bonding is staking's own tests.
        let signing: Vec<staking::Validator> = net
            .keys
            .iter()
            .map(|k| staking::Validator {
                pubkey: k.verification_key().to_bytes().to_vec(),
                power: 10,
            })
            .collect();
        let genesis = Genesis {
            params,
            models: vec![GenesisModel {
                id: "tiny".into(),
                family: "tiny".into(),
                weights_sha256: "ab".repeat(32),
                phash_threshold: 6,
                price_per_step_megapixel: PRICE,
                max_steps: 50,
                max_width: 512,
                max_height: 512,
                size_multiple: None,
                // Most tests here use one replica; the minimum has its own test.
                min_replicas: Some(1),
            }],
        };
        let creator = net.creator.clone();
        net.step(|ctx| {
            for v in &signing {
                staking::state::set_validator(ctx, v)?;
            }
            lifecycle::init_genesis(ctx, &genesis)?;
            bank::mint(ctx, &creator, &[Coin::new(BASE_DENOM, FUNDS)])
        })
        .unwrap();
        for i in 0..validators {
            net.register(i).unwrap();
        }
        net
    }

    fn register(&mut self, i: usize) -> AppResult<()> {
        let op = self.operators[i].clone();
        self.register_as(i, &op)
    }

    /// Validator `i` registers its executor under operator `op`.
    fn register_as(&mut self, i: usize, op: &Address) -> AppResult<()> {
        let op = op.to_bech32();
        let mut msg = MsgRegisterExecutor {
            operator: op,
            validator_pubkey: self.keys[i].verification_key().to_bytes().to_vec(),
            devices: vec![Device {
                name: "cpu".into(),
                memory_bytes: 1 << 30,
                count: 1,
            }],
            models: vec![HeldModel {
                model_id: "tiny".into(),
                weights_sha256: "ab".repeat(32),
            }],
            blob_url: format!("http://127.0.0.1:{}", 1317 + 10 * i),
            beacon_anchor: self.chains[i].anchor().to_vec(),
            beacon_anchor_height: self.chains[i].anchor_height,
            beacon_end_height: self.chains[i].end_height,
            work_per_block: self.rate,
            ..Default::default()
        };
        let sig = self.keys[i].sign(&handler::register_sign_bytes(CHAIN, &msg));
        msg.validator_signature = sig.to_bytes().to_vec();
        self.exec(msg.type_url_any())
    }

    fn exec(&mut self, any: Any) -> AppResult<()> {
        let m = InferenceMsg::decode(&any).expect("inference msg")?;
        self.step(|ctx| handler::execute(ctx, &m, &crate::bank::Escrow::new(super::MODULE_ACCOUNT)))
            .map(|_| ())
    }

    fn request(&self, seeds: Vec<u64>, replicas: u32) -> MsgGenerateImage {
        MsgGenerateImage {
            creator: self.creator.to_bech32(),
            model_id: "tiny".into(),
            prompt: "a lighthouse at dusk".into(),
            negative_prompt: String::new(),
            width: 64,
            height: 64,
            steps: 4,
            guidance_scale: "7.5".into(),
            scheduler: Scheduler::Ddim as i32,
            seeds,
            replicas,
            max_fee: Some(ProtoCoin {
                denom: BASE_DENOM.into(),
                amount: "100000000".into(),
            }),
            timeout_blocks: 0,
        }
    }

    fn generate(&mut self, seeds: Vec<u64>, replicas: u32) -> Task {
        let next = self.step(state::next_task_id).unwrap();
        // next_task_id advanced the counter in that step; put it back.
        self.store.0.insert(
            state::state_key::NEXT_TASK_ID.into(),
            glia_proto::store::v1::Counter { next }.encode_to_vec(),
        );
        self.exec(self.request(seeds, replicas).type_url_any())
            .unwrap();
        assert!(
            self.task(next).assignments.is_empty(),
            "drawn only in the next block"
        );
        self.end_block();
        let all: Vec<usize> = (0..self.keys.len()).collect();
        self.begin_block(None, &all);
        self.task(next)
    }

    fn hex(&self, i: usize) -> String {
        hex::encode_upper(staking::state::consensus_address(
            &self.keys[i].verification_key().to_bytes(),
        ))
    }

    /// Starts the current block, proposed by `proposer`, with the last commit's votes of
    /// validators `sharing` carrying their beacon values.
    fn begin_block(&mut self, proposer: Option<usize>, sharing: &[usize]) {
        self.proposer = proposer.map(|p| self.hex(p)).unwrap_or_default();
        let vote_height = self.height - 1;
        // Each vote's extension is an envelope whose beacon part carries the value; the beacon
        // component mixes them, then inference draws, as the app orders them.
        let vote_extensions: Vec<(String, Vec<u8>)> = sharing
            .iter()
            .map(|&i| {
                let share = glia_proto::abci::v1::BeaconShare {
                    value: self.chains[i]
                        .value(vote_height)
                        .unwrap_or_else(|| panic!("a value for {vote_height}"))
                        .to_vec(),
                };
                let envelope = glia_proto::abci::v1::VoteExtension {
                    parts: vec![glia_proto::abci::v1::VoteExtensionPart {
                        component: beacon::component::NAME.into(),
                        data: share.encode_to_vec(),
                    }],
                };
                (self.hex(i), envelope.encode_to_vec())
            })
            .collect();
        let block = crate::component::BlockContext {
            vote_extensions,
            ..Default::default()
        };
        self.step(|ctx| {
            use crate::component::Component;
            beacon::component::Beacon.begin_block(ctx, &block)?;
            super::component::Inference::default().begin_block(ctx, &block)
        })
        .unwrap();
    }

    fn task(&mut self, id: u64) -> Task {
        self.step(|ctx| state::task(ctx, id)).unwrap().unwrap()
    }

    /// The validator index of each of a task's executors, slot by slot.
    fn executors_of(&self, task: &Task) -> Vec<usize> {
        task.assignments
            .iter()
            .map(|a| self.operator_index(&a.executor))
            .collect()
    }

    fn operator_index(&self, bech: &str) -> usize {
        self.operators
            .iter()
            .position(|o| o.as_str() == bech)
            .unwrap()
    }

    /// Images with these perceptual hashes for the task's seeds.
    fn images(task: &Task, phashes: &[u64]) -> Vec<ImageResult> {
        task.seeds
            .iter()
            .zip(phashes)
            .map(|(s, p)| ImageResult {
                seed: *s,
                output_sha256: p.to_be_bytes().repeat(4),
                phash: *p,
                device_time_ms: 5,
            })
            .collect()
    }

    /// Applies validator `i`'s vote extension in the current block.
    fn extension(&mut self, i: usize, ext: VoteExtension) {
        let addr = self.hex(i);
        self.step(|ctx| lifecycle::apply_vote_extensions(ctx, &[(addr, ext.encode_to_vec())]))
            .unwrap();
    }

    fn salt(i: usize) -> Vec<u8> {
        vec![i as u8 + 1; 32]
    }

    /// Validator `i` commits to images with these perceptual hashes.
    fn commit(&mut self, i: usize, task: &Task, phashes: &[u64]) {
        let op = self.operators[i].to_bech32();
        let c =
            settle::result_commitment(task.id, &op, &Self::images(task, phashes), &Self::salt(i));
        self.extension(
            i,
            VoteExtension {
                commitments: vec![ResultCommitment {
                    task_id: task.id,
                    commitment: c.to_vec(),
                }],
                ..Default::default()
            },
        );
    }

    /// Validator `i` reveals images with these perceptual hashes (and its salt).
    fn reveal(&mut self, i: usize, task: &Task, phashes: &[u64]) {
        self.reveal_as(i, task, &Self::images(task, phashes), &Self::salt(i));
    }

    fn reveal_as(&mut self, i: usize, task: &Task, images: &[ImageResult], salt: &[u8]) {
        self.extension(
            i,
            VoteExtension {
                results: vec![TaskResult {
                    task_id: task.id,
                    images: images.to_vec(),
                    salt: salt.to_vec(),
                }],
                ..Default::default()
            },
        );
    }

    /// Every reporter commits in this block; the block ends (the reveal phase opens once no
    /// slot can still commit) and they reveal in the next.
    fn report_all(&mut self, task: &Task, reports: &[(usize, &[u64])]) {
        for (i, p) in reports {
            self.commit(*i, task, p);
        }
        self.end_block();
        for (i, p) in reports {
            self.reveal(*i, task, p);
        }
    }

    fn end_block(&mut self) {
        self.step(|ctx| {
            lifecycle::end_block(ctx, &crate::bank::Escrow::new(super::MODULE_ACCOUNT))?;
            lifecycle::check_invariants(ctx, &crate::bank::Escrow::new(super::MODULE_ACCOUNT))?;
            bank::invariants::check(ctx)
        })
        .unwrap();
        self.height += 1;
    }

    fn balance(&mut self, a: &Address) -> u128 {
        let a = a.clone();
        self.step(|ctx| bank::state::balance(ctx, &a, BASE_DENOM))
            .unwrap()
    }

    fn quality(&mut self, i: usize) -> u32 {
        let a = self.operators[i].clone();
        self.step(|ctx| state::executor(ctx, &a))
            .unwrap()
            .unwrap()
            .quality_bps
    }

    /// Validator `i`'s executor record.
    fn executor(&mut self, i: usize) -> Executor {
        let a = self.operators[i].clone();
        self.step(|ctx| state::executor(ctx, &a)).unwrap().unwrap()
    }

    /// The attributes of every `kind` event since the last call (which drains all events).
    fn take_events(&mut self, kind: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        std::mem::take(&mut self.events)
            .into_iter()
            .filter(|e| e.r#type == kind)
            .map(|e| e.attributes.into_iter().map(|a| (a.key, a.value)).collect())
            .collect()
    }

    /// Every key and value under `prefix`.
    fn slice(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        self.store
            .0
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A request for `replicas` replicas refused for want of executors (code 7).
    fn refused_for_executors(&mut self, seed: u64, replicas: u32) -> String {
        let e = self
            .exec(self.request(vec![seed], replicas).type_url_any())
            .unwrap_err();
        assert_eq!((e.codespace, e.code), ("inference", 7), "{}", e.log);
        e.log
    }

    /// Ends blocks until the current height is `height` (not yet ended).
    fn run_to(&mut self, height: u64) {
        while self.height < height {
            self.end_block();
        }
    }
}

trait ToAny {
    fn type_url_any(&self) -> Any;
}
impl<T: Message + Name> ToAny for T {
    fn type_url_any(&self) -> Any {
        Any {
            type_url: T::type_url(),
            value: self.encode_to_vec(),
        }
    }
}

fn amount(c: &Option<ProtoCoin>) -> u128 {
    c.as_ref().unwrap().amount.parse().unwrap()
}

#[test]
fn agreeing_replicas_are_paid_exactly_and_images_recorded() {
    let mut net = Net::new(4);
    let task = net.generate(vec![1, 2], 2);
    let per = handler::price_per_result(
        &net.step(|c| state::model(c, "tiny")).unwrap().unwrap(),
        4,
        64,
        64,
    );
    assert_eq!(per, 16_384);
    assert_eq!(amount(&task.escrow), per * 4);
    assert_eq!(net.balance(&net.creator.clone()), FUNDS - per * 4);
    assert_eq!(net.balance(&Address::module(MODULE_ACCOUNT)), per * 4);
    assert_eq!(task.assignments.len(), 2);
    net.end_block();
    let execs = net.executors_of(&task);
    assert_ne!(execs[0], execs[1], "replicas go to distinct executors");
    // Within the threshold (6 bits): both agree.
    net.report_all(
        &task,
        &[(execs[0], &[0xF0F0, 0x1234]), (execs[1], &[0xF0F1, 0x1236])],
    );
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Completed as i32);
    assert_eq!(amount(&t.paid), per * 4);
    assert_eq!(amount(&t.refunded), 0);
    for e in &execs {
        assert_eq!(net.balance(&net.operators[*e].clone()), per * 2);
    }
    assert_eq!(net.balance(&Address::module(MODULE_ACCOUNT)), 0);
    assert_eq!(t.outcomes.len(), 2);
    assert_eq!(t.outcomes[0].agreeing.len(), 2);
    assert!(t.outcomes[0].urls[0].contains("/blobs/"));
}

#[test]
fn a_perturbing_executor_is_outvoted_and_loses_quality() {
    let mut net = Net::new(4);
    let task = net.generate(vec![7], 3);
    let per = amount(&task.price_per_result);
    let execs = net.executors_of(&task);
    net.report_all(
        &task,
        &[
            (execs[0], &[0xAAAA_0000]),
            (execs[1], &[0xAAAA_0001]),
            (execs[2], &[0x5555_FFFF]), // far from the others
        ],
    );
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Completed as i32);
    assert_eq!(t.outcomes[0].phash, 0xAAAA_0000);
    assert_eq!(net.balance(&net.operators[execs[0]].clone()), per);
    assert_eq!(net.balance(&net.operators[execs[1]].clone()), per);
    assert_eq!(net.balance(&net.operators[execs[2]].clone()), 0);
    assert_eq!(
        amount(&t.refunded),
        per,
        "the outvoted share goes back to the creator"
    );
    assert_eq!(net.quality(execs[2]), 8000);
    assert_eq!(net.quality(execs[0]), 10_000);
    assert_eq!(net.balance(&net.creator.clone()), FUNDS - 2 * per);
}

/// An assigned executor that did no work waits for the others' results to copy them (alone,
/// or two colluders outvoting an honest one): nothing is public before every slot has
/// committed, a commitment binds its operator, and a copy matches no commitment made in
/// time. The copiers are not paid and lose quality.
#[test]
fn attack_a_copied_result_is_refused_and_the_copier_loses_quality() {
    let mut net = Net::new(3);
    let task = net.generate(vec![7], 3);
    let per = amount(&task.price_per_result);
    let execs = net.executors_of(&task);
    let (honest, c1, c2) = (execs[0], execs[1], execs[2]);
    net.commit(honest, &task, &[0xAAAA]);
    // A reveal before the others committed is not recorded: results stay private.
    net.reveal(honest, &task, &[0xAAAA]);
    assert!(net.task(task.id).assignments[0].results.is_empty());
    assert_eq!(net.task(task.id).reveal_height, 0);
    // The colluders must commit by their deadline without the honest images: they guess.
    net.commit(c1, &task, &[0x1111]);
    net.commit(c2, &task, &[0x1111]);
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(
        t.reveal_height, net.height,
        "every slot committed: reveals open"
    );
    net.reveal(honest, &t, &[0xAAAA]);
    // The honest images are public now; copies with their own salt, or the honest salt,
    // match no commitment of theirs.
    let seen = net.task(task.id).assignments[0].results.clone();
    assert_eq!(seen.len(), 1);
    net.reveal_as(c1, &t, &seen, &Net::salt(c1));
    net.reveal_as(c2, &t, &seen, &Net::salt(honest));
    // A late commitment to the copy is not taken either.
    net.commit(c1, &t, &[0xAAAA]);
    let t = net.task(task.id);
    assert!(t.assignments[1].results.is_empty() && t.assignments[2].results.is_empty());
    assert_ne!(
        t.assignments[1].commitment,
        settle::result_commitment(
            task.id,
            &net.operators[c1].to_bech32(),
            &seen,
            &Net::salt(c1)
        )
        .to_vec()
    );
    while net.task(task.id).status == TaskStatus::Pending as i32 {
        net.end_block();
    }
    let t = net.task(task.id);
    // One revealed result of three replicas, unopposed: no majority confirms it, but its
    // executor is paid for the work; the copiers, silent in the reveal, are not.
    assert_eq!(t.status, TaskStatus::Partial as i32);
    assert!(t.outcomes[0].unconfirmed);
    assert_eq!(
        t.outcomes[0].agreeing,
        vec![net.operators[honest].to_bech32()]
    );
    assert_eq!(net.balance(&net.operators[honest].clone()), per);
    assert_eq!(net.balance(&net.operators[c1].clone()), 0);
    assert_eq!(net.balance(&net.operators[c2].clone()), 0);
    assert_eq!(net.quality(c1), 9000);
    assert_eq!(net.quality(c2), 9000);
    assert_eq!(net.quality(honest), 10_000);
    assert_eq!(net.balance(&net.creator.clone()), FUNDS - per);
}

/// The proposer of the block that draws a task tries every set of votes it may include (all
/// four, or any three): none puts its own executor on the task, while other validators'
/// executors are drawn. A request's executors are unknown in its own block.
#[test]
fn attack_a_proposer_choosing_votes_never_draws_itself() {
    let mut net = Net::new(4);
    let mut others_drawn = 0;
    for round in 0..12u64 {
        let replicas = 1 + (round % 3) as u32;
        let next = net.step(state::next_task_id).unwrap();
        net.store.0.insert(
            state::state_key::NEXT_TASK_ID.into(),
            glia_proto::store::v1::Counter { next }.encode_to_vec(),
        );
        net.exec(net.request(vec![round], replicas).type_url_any())
            .unwrap();
        assert!(net.task(next).assignments.is_empty());
        net.end_block();
        let proposer = (round % 4) as usize;
        let mut subsets = vec![vec![0, 1, 2, 3]];
        subsets.extend((0..4).map(|drop| (0..4).filter(|i| *i != drop).collect()));
        let before = net.store.0.clone();
        for votes in &subsets {
            net.store.0 = before.clone();
            net.begin_block(Some(proposer), votes);
            let t = net.task(next);
            assert_eq!(t.assignments.len(), replicas as usize);
            let drawn: Vec<usize> = t
                .assignments
                .iter()
                .map(|a| net.operator_index(&a.executor))
                .collect();
            assert!(
                !drawn.contains(&proposer),
                "proposer {proposer} drew itself with votes {votes:?}: {drawn:?}"
            );
            others_drawn += drawn.len();
        }
        net.store.0 = before;
        net.begin_block(Some(proposer), &[0, 1, 2, 3]);
        net.end_block();
    }
    assert!(others_drawn > 0);
}

/// A requester asks far more work than fits a fixed result window: a 512×512, 50-step,
/// 4-replica request on the tiny model every block, for 100 blocks. Before, every executor
/// missed its 10-block window, lost 10% quality a miss and the shares were refunded: the
/// attacker paid gas and the executors fell out of the market. Now a slot's deadline counts
/// its executor's queue at its declared rate, so executors working at that rate miss nothing,
/// keep their quality and are paid, the requester pays for all the work, and requests beyond
/// what the queues hold (`max_queue_blocks`) are refused before they cost anything.
#[test]
fn attack_heavy_requests_do_not_push_executors_out_and_are_paid_for() {
    let mut net = Net::with_params(
        4,
        Some(lifecycle::GenesisParams {
            max_queue_blocks: Some(20),
            ..Default::default()
        }),
    );
    // Each executor declares, and works at, 10 000 kilo pixel-steps a block: 0.76 of a slot
    // (13 108); the attack adds one slot a block to each, and queues hold 15 slots.
    net.rate = 10_000;
    for i in 0..4 {
        net.register(i).unwrap();
    }
    let heavy = |net: &Net| MsgGenerateImage {
        width: 512,
        height: 512,
        steps: 50,
        ..net.request(vec![1], 4)
    };
    let all: Vec<usize> = (0..4).collect();
    let (mut tasks, mut refused) = (Vec::new(), 0);
    let mut budget = [0u64; 4];
    let mut max_wait = 0u64;
    for block in 0..400 {
        if block < 100 {
            let next = net.step(state::next_task_id).unwrap();
            net.store.0.insert(
                state::state_key::NEXT_TASK_ID.into(),
                glia_proto::store::v1::Counter { next }.encode_to_vec(),
            );
            match net.exec(heavy(&net).type_url_any()) {
                Ok(()) => tasks.push(next),
                Err(e) => {
                    assert_eq!((e.codespace, e.code), ("inference", 7), "{}", e.log);
                    assert!(e.log.contains("room in their queues"), "{}", e.log);
                    refused += 1;
                }
            }
        }
        // Executors work through their queues at the rate they declared, oldest first.
        for (i, b) in budget.iter_mut().enumerate() {
            *b += net.rate;
            let op = net.operators[i].to_bech32();
            let mut busy = false;
            for id in &tasks {
                let t = net.task(*id);
                let Some(slot) = t.assignments.iter().find(|a| a.executor == op) else {
                    continue;
                };
                if !slot.commitment.is_empty() {
                    continue;
                }
                busy = true;
                if *b < slot.work {
                    break;
                }
                *b -= slot.work;
                max_wait = max_wait.max(net.height - slot.assigned_height);
                net.commit(i, &t, &[0xAAAA]);
            }
            if !busy {
                *b = 0;
            }
        }
        for id in &tasks {
            let t = net.task(*id);
            if t.reveal_height > 0 && t.status == TaskStatus::Pending as i32 {
                for a in t.assignments.iter().filter(|a| settle::awaits_reveal(a)) {
                    let i = net.operator_index(&a.executor);
                    net.reveal(i, &t, &[0xAAAA]);
                }
            }
        }
        net.end_block();
        net.begin_block(None, &all);
        if block >= 100
            && tasks
                .iter()
                .all(|id| net.task(*id).status != TaskStatus::Pending as i32)
        {
            break;
        }
    }
    assert!(refused > 0, "the queues filled and turned requests away");
    assert!(
        max_wait > 10,
        "slots waited {max_wait} blocks: a fixed window was too short"
    );
    let per = amount(&net.task(tasks[0]).price_per_result);
    for id in &tasks {
        assert_eq!(
            net.task(*id).status,
            TaskStatus::Completed as i32,
            "task {id}"
        );
    }
    let n = tasks.len() as u128;
    for i in 0..4 {
        assert_eq!(net.quality(i), 10_000, "executor {i} missed nothing");
        assert_eq!(net.balance(&net.operators[i].clone()), n * per);
        let op = net.operators[i].clone();
        let e = net.step(|ctx| state::executor(ctx, &op)).unwrap().unwrap();
        assert_eq!(e.queued_work, 0, "every slot left the queue");
    }
    assert_eq!(net.balance(&net.creator.clone()), FUNDS - 4 * n * per);
    eprintln!(
        "{} requests accepted, {refused} refused, longest wait {max_wait} blocks",
        n
    );
}

/// A missed slot costs 10% quality, and it comes back at 0.1% a block.
#[test]
fn a_penalty_recovers_over_time() {
    let mut net = Net::new(3);
    let task = net.generate(vec![7], 1);
    let first = net.operator_index(&task.assignments[0].executor);
    while net.height <= task.assignments[0].deadline_height {
        net.end_block();
    }
    net.end_block();
    assert_eq!(net.quality(first), 9000);
    let since = net.height;
    for _ in 0..100 {
        net.end_block();
    }
    let op = net.operators[first].clone();
    let height = net.height;
    let q = net
        .step(|ctx| {
            let p = state::params(ctx)?;
            let e = state::executor(ctx, &op)?.unwrap();
            Ok(capacity::quality_at(&e, height, &p))
        })
        .unwrap();
    assert_eq!(q, 10_000, "{} blocks after the penalty", height - since);
}

/// A chain started by an older gliad stored params without the newer fields: they read as
/// their defaults, not as 0 (which would refuse every vote extension and every request).
#[test]
fn params_stored_before_a_field_existed_read_its_default() {
    let mut net = Net::new(1);
    let old = Params {
        max_vote_extension_bytes: 0,
        max_queue_blocks: 0,
        default_work_per_block: 0,
        executor_jail_blocks: 0,
        ..state::default_params()
    };
    net.step(|ctx| state::set_params(ctx, &old)).unwrap();
    let read = net.step(|ctx| state::params(ctx)).unwrap();
    assert_eq!(read, state::default_params());
}

/// With one replica, whatever hash its executor reports is paid: a model's `min_replicas`
/// (2 unless genesis says otherwise) refuses such requests before anything is charged.
#[test]
fn attack_a_request_below_the_models_minimum_replicas_is_refused() {
    let mut net = Net::new(4);
    let mut model = net.step(|c| state::model(c, "tiny")).unwrap().unwrap();
    model.min_replicas = lifecycle::DEFAULT_MIN_REPLICAS;
    net.step(|c| state::set_model(c, &model)).unwrap();
    let before = net.store.0.clone();
    let e = net
        .exec(net.request(vec![1], 1).type_url_any())
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 9), "{}", e.log);
    assert!(
        e.log.contains("below model tiny's minimum of 2"),
        "{}",
        e.log
    );
    assert_eq!(net.store.0, before);
    net.generate(vec![1], 2);
}

#[test]
fn no_agreement_refunds_everything() {
    let mut net = Net::new(4);
    let task = net.generate(vec![7], 2);
    let execs = net.executors_of(&task);
    net.report_all(&task, &[(execs[0], &[0]), (execs[1], &[u64::MAX])]);
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Refunded as i32);
    assert_eq!(net.balance(&net.creator.clone()), FUNDS);
    assert_eq!(net.balance(&Address::module(MODULE_ACCOUNT)), 0);
}

#[test]
fn a_silent_executor_is_replaced_once_then_the_slot_is_refunded() {
    let mut net = Net::new(3);
    let task = net.generate(vec![7], 1);
    let first = net.operator_index(&task.assignments[0].executor);
    let deadline = task.assignments[0].deadline_height;
    while net.height <= deadline {
        net.end_block();
    }
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Pending as i32);
    assert_eq!(t.assignments.len(), 2, "one replacement");
    let second = net.operator_index(&t.assignments[1].executor);
    assert_ne!(first, second);
    assert!(t.assignments[1].replacement);
    assert_eq!(net.quality(first), 9000);
    // The first executor answering late is ignored.
    net.commit(first, &t, &[1]);
    assert!(net.task(task.id).assignments[0].commitment.is_empty());
    let deadline = t.assignments[1].deadline_height;
    while net.height <= deadline + 1 {
        net.end_block();
    }
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Refunded as i32);
    assert_eq!(t.assignments.len(), 2, "replaced only once");
    assert_eq!(net.balance(&net.creator.clone()), FUNDS);
}

#[test]
fn a_replacement_that_answers_is_paid() {
    let mut net = Net::new(3);
    let task = net.generate(vec![7], 1);
    let deadline = task.assignments[0].deadline_height;
    while net.height <= deadline + 1 {
        net.end_block();
    }
    let t = net.task(task.id);
    let second = net.operator_index(&t.assignments[1].executor);
    net.report_all(&t, &[(second, &[42])]);
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Completed as i32);
    assert_eq!(
        net.balance(&net.operators[second].clone()),
        amount(&t.price_per_result)
    );
}

#[test]
fn bad_requests_are_refused_with_their_own_codes_and_nothing_changes() {
    let mut net = Net::new(2);
    let before = net.store.0.clone();
    let base = net.request(vec![1], 1);
    type Case = (
        &'static str,
        Box<dyn Fn(&mut MsgGenerateImage)>,
        u32,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "unknown model",
            Box::new(|m| m.model_id = "sd-9".into()),
            2,
            "not registered",
        ),
        ("zero steps", Box::new(|m| m.steps = 0), 3, "at least 1"),
        (
            "too many steps",
            Box::new(|m| m.steps = 51),
            3,
            "above the maximum 50",
        ),
        (
            "width not /8",
            Box::new(|m| m.width = 65),
            4,
            "multiple of 8",
        ),
        (
            "width not /16 (tiny)",
            Box::new(|m| m.width = 72),
            4,
            "not a multiple of 16",
        ),
        (
            "height too big",
            Box::new(|m| m.height = 1024),
            4,
            "above the maximum",
        ),
        (
            "empty prompt",
            Box::new(|m| m.prompt = " ".into()),
            5,
            "empty",
        ),
        (
            "long prompt",
            Box::new(|m| m.prompt = "x".repeat(1025)),
            5,
            "above the maximum 1024",
        ),
        (
            "fee below price",
            Box::new(|m| m.max_fee.as_mut().unwrap().amount = "16383".into()),
            6,
            "below the price 16384uglia",
        ),
        (
            "replicas > executors",
            Box::new(|m| m.replicas = 3),
            7,
            "only 2 executors",
        ),
        ("zero seeds", Box::new(|m| m.seeds.clear()), 8, "no seeds"),
        (
            "duplicate seeds",
            Box::new(|m| m.seeds = vec![3, 3]),
            8,
            "twice",
        ),
        (
            "zero replicas",
            Box::new(|m| m.replicas = 0),
            9,
            "at least 1",
        ),
        (
            "bad guidance",
            Box::new(|m| m.guidance_scale = "7,5".into()),
            10,
            "decimal",
        ),
        (
            "no scheduler",
            Box::new(|m| m.scheduler = 0),
            11,
            "scheduler",
        ),
    ];
    for (name, edit, code, log) in cases {
        let mut m = base.clone();
        edit(&mut m);
        let e = net.exec(m.type_url_any()).unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            ("inference", code),
            "{name}: {}",
            e.log
        );
        assert!(e.log.contains(log), "{name}: {:?} lacks {log:?}", e.log);
    }
    assert_eq!(net.store.0, before, "refused requests changed state");
}

#[test]
fn registration_needs_the_validators_own_signature_and_the_registry_hash() {
    let mut net = Net::new(2);
    let op = net.operators[0].to_bech32();
    let mut msg = MsgRegisterExecutor {
        operator: op.clone(),
        validator_pubkey: net.keys[1].verification_key().to_bytes().to_vec(),
        devices: vec![],
        models: vec![],
        blob_url: "http://x".into(),
        ..Default::default()
    };
    msg.validator_signature = net.keys[0]
        .sign(&handler::register_sign_bytes(CHAIN, &msg))
        .to_bytes()
        .to_vec();
    let e = net.exec(msg.type_url_any()).unwrap_err();
    assert_eq!(e.code, 14, "{}", e.log);
    msg.validator_pubkey = net.keys[0].verification_key().to_bytes().to_vec();
    msg.models = vec![HeldModel {
        model_id: "tiny".into(),
        weights_sha256: "cd".repeat(32),
    }];
    let e = net.exec(msg.type_url_any()).unwrap_err();
    assert_eq!(e.code, 15, "{}", e.log);
    let stranger = ed25519_consensus::SigningKey::from([99u8; 32]);
    msg.validator_pubkey = stranger.verification_key().to_bytes().to_vec();
    msg.validator_signature = stranger
        .sign(&handler::register_sign_bytes(CHAIN, &msg))
        .to_bytes()
        .to_vec();
    msg.models.clear();
    let e = net.exec(msg.type_url_any()).unwrap_err();
    assert_eq!(e.code, 13, "{}", e.log);
}

#[test]
fn the_creator_never_executes_its_own_task() {
    let mut net = Net::new(2);
    // The creator is operator 0: only operator 1 may take the task.
    net.creator = net.operators[0].clone();
    let c = net.creator.clone();
    net.step(|ctx| bank::mint(ctx, &c, &[Coin::new(BASE_DENOM, FUNDS)]))
        .unwrap();
    for _ in 0..5 {
        let t = net.generate(vec![1], 1);
        assert_eq!(t.assignments[0].executor, net.operators[1].as_str());
    }
    let e = net
        .exec(net.request(vec![1], 2).type_url_any())
        .unwrap_err();
    assert_eq!(e.code, 7, "{}", e.log);
}

/// A validator moves its executor to a new operator account (a lost or compromised operator
/// key): refused while a task waits on the old operator, then the record moves whole, quality
/// included, so rotating escapes no penalty, and the new operator is the one assigned and paid.
#[test]
fn attack_a_validator_rotates_its_executor_operator_and_keeps_its_record() {
    let mut net = Net::new(4);
    // Validator 0 is outvoted once: quality 8000.
    let task = net.generate(vec![7], 4);
    let i0 = 0;
    let reports: Vec<(usize, [u64; 1])> = task
        .assignments
        .iter()
        .map(|a| {
            let i = net.operator_index(&a.executor);
            (i, [if i == i0 { 0x5555_FFFF } else { 0xAAAA_0000 }])
        })
        .collect();
    let reports: Vec<(usize, &[u64])> = reports.iter().map(|(i, p)| (*i, &p[..])).collect();
    net.report_all(&task, &reports);
    net.end_block();
    assert_eq!(net.quality(i0), 8000);

    // A task waits on validator 0's executor: no rotation yet.
    let pending = net.generate(vec![8], 4);
    let new_op = Address::module("rotated operator");
    let e = net.register_as(i0, &new_op).unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 16), "{}", e.log);
    assert!(e.log.contains("1 open task"), "{}", e.log);
    // Answered, but the task is still open: a replacement drawn for another slot could be this
    // validator again under its new operator, so still no rotation.
    net.commit(i0, &pending, &[0xAAAA_0000]);
    let e = net.register_as(i0, &new_op).unwrap_err();
    assert!(e.log.contains("1 open task"), "{}", e.log);
    let others: Vec<usize> = pending
        .assignments
        .iter()
        .map(|a| net.operator_index(&a.executor))
        .filter(|i| *i != i0)
        .collect();
    let mut reports: Vec<(usize, &[u64])> =
        others.iter().map(|i| (*i, &[0xAAAA_0000][..])).collect();
    net.report_all(&pending, &reports);
    net.reveal(i0, &pending, &[0xAAAA_0000]);
    reports.clear();
    net.end_block();
    let q = net.quality(i0);
    assert!(q < 10_000);

    net.register_as(i0, &new_op).unwrap();
    let old = net.operators[i0].clone();
    assert!(net
        .step(|ctx| state::executor(ctx, &old))
        .unwrap()
        .is_none());
    net.operators[i0] = new_op.clone();
    assert_eq!(net.quality(i0), q, "the penalty moved with the executor");
    let e = net
        .step(|ctx| state::executor(ctx, &new_op))
        .unwrap()
        .unwrap();
    assert_eq!((e.results_outvoted, e.results_accepted), (1, 1));
    // The new operator serves and is paid.
    let task = net.generate(vec![9], 4);
    assert!(task
        .assignments
        .iter()
        .any(|a| a.executor == new_op.to_bech32()));
    assert!(!task
        .assignments
        .iter()
        .any(|a| a.executor == old.to_bech32()));
    let before = net.balance(&new_op);
    let all: Vec<usize> = task
        .assignments
        .iter()
        .map(|a| net.operator_index(&a.executor))
        .collect();
    let reports: Vec<(usize, &[u64])> = all.iter().map(|i| (*i, &[0xAAAA_0000][..])).collect();
    net.report_all(&task, &reports);
    net.end_block();
    assert_eq!(
        net.balance(&new_op),
        before + amount(&task.price_per_result)
    );
}

/// Extensions that would cost FinalizeBlock a state read per result beyond reason are refused
/// by every validator before any state is read: a task reported twice, or more results than
/// one extension may carry. Within the bounds, an extension is accepted.
#[test]
fn attack_vote_extensions_with_repeated_or_too_many_results_are_refused() {
    let r = |task_id: u64| TaskResult {
        task_id,
        images: vec![],
        salt: vec![1; 32],
    };
    let c = |task_id: u64| ResultCommitment {
        task_id,
        commitment: vec![2; 32],
    };
    let half = lifecycle::MAX_RESULTS_PER_EXTENSION as u64 / 2;
    let ok = VoteExtension {
        results: (1..=half).map(r).collect(),
        commitments: (1..=half).map(c).collect(),
    };
    assert!(lifecycle::check_vote_extension(
        &ok.encode_to_vec(),
        lifecycle::MAX_VOTE_EXTENSION_BYTES
    )
    .is_ok());
    let too_many = VoteExtension {
        results: (1..=half).map(r).collect(),
        commitments: (1..=half + 1).map(c).collect(),
    };
    let e = lifecycle::check_vote_extension(
        &too_many.encode_to_vec(),
        lifecycle::MAX_VOTE_EXTENSION_BYTES,
    )
    .unwrap_err();
    assert!(
        e.log.contains("results and commitments in one extension"),
        "{}",
        e.log
    );
    let bad = |ext: VoteExtension| {
        lifecycle::check_vote_extension(&ext.encode_to_vec(), lifecycle::MAX_VOTE_EXTENSION_BYTES)
            .unwrap_err()
            .log
    };
    let log = bad(VoteExtension {
        commitments: vec![c(5), c(5)],
        ..Default::default()
    });
    assert!(log.contains("task 5 is committed to twice"), "{log}");
    let log = bad(VoteExtension {
        commitments: vec![ResultCommitment {
            task_id: 5,
            commitment: vec![1; 31],
        }],
        ..Default::default()
    });
    assert!(log.contains("not 32"), "{log}");
    let log = bad(VoteExtension {
        results: vec![TaskResult {
            salt: vec![0; 65],
            ..r(5)
        }],
        ..Default::default()
    });
    assert!(log.contains("salt of 65 bytes"), "{log}");
    let twice = VoteExtension {
        results: vec![r(5), r(6), r(5)],
        ..Default::default()
    };
    let e = lifecycle::check_vote_extension(
        &twice.encode_to_vec(),
        lifecycle::MAX_VOTE_EXTENSION_BYTES,
    )
    .unwrap_err();
    assert!(e.log.contains("task 5 is reported twice"), "{}", e.log);
}

/// One operator cannot serve as the executor of two validators: a task's slots go to distinct
/// operators, so one account never holds a majority of a task's slots through two validators.
#[test]
fn attack_one_operator_cannot_be_the_executor_of_two_validators() {
    let mut net = Net::new(2);
    let op0 = net.operators[0].clone();
    let e = net.register_as(1, &op0).unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 16), "{}", e.log);
    assert!(
        e.log.contains("is already the executor of validator"),
        "{}",
        e.log
    );
    let t = net.generate(vec![1], 2);
    assert_ne!(t.assignments[0].executor, t.assignments[1].executor);
}

/// The attributes of one event, as `Net::take_events` gives them.
fn attrs(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Params that jail after one or two penalties, for a short term.
fn quick_jail() -> Option<lifecycle::GenesisParams> {
    Some(lifecycle::GenesisParams {
        executor_jail_quality_bps: Some(8_500),
        executor_jail_blocks: Some(40),
        ..Default::default()
    })
}

/// One 4-replica task on a 4-validator net where validator `bad` is outvoted; settled.
fn outvote(net: &mut Net, bad: usize, seed: u64) {
    let task = net.generate(vec![seed], 4);
    assert_eq!(task.assignments.len(), 4);
    let hashes: Vec<(usize, [u64; 1])> = net
        .executors_of(&task)
        .into_iter()
        .map(|i| (i, [if i == bad { 0x5555_FFFF } else { 0xAAAA_0000 }]))
        .collect();
    let reports: Vec<(usize, &[u64])> = hashes.iter().map(|(i, p)| (*i, &p[..])).collect();
    net.report_all(&task, &reports);
    net.end_block();
    assert_eq!(net.task(task.id).status, TaskStatus::Completed as i32);
}

/// An executor that keeps returning wrong results is outvoted and loses quality each time; the
/// penalty that leaves it below `executor_jail_quality_bps` (5000 by default) jails it, with an
/// `executor_jailed` event. Jailed, it is drawn for nothing and its quality does not recover,
/// while its validator's stake and signing-set entry stay exactly as they were (it still signs
/// blocks). `executor_jail_blocks` (600) later it is released at the threshold, recovers from
/// there and is drawn again.
#[test]
fn attack_an_executor_returning_wrong_results_is_jailed_but_keeps_its_stake() {
    let mut net = Net::new(4);
    let bad = 0;
    let addr = staking::state::consensus_address(&net.keys[bad].verification_key().to_bytes());
    let signing = net
        .step(|ctx| staking::state::validator(ctx, &addr))
        .unwrap()
        .unwrap();
    let staking_state = net.slice("staking/");
    assert!(!staking_state.is_empty());
    let op = net.operators[bad].to_bech32();
    let hex = net.hex(bad);
    net.take_events("");

    // Settled at heights 3 and 6: 10 000 − 2000, then + 3 blocks' recovery − 2000.
    outvote(&mut net, bad, 1);
    assert_eq!(net.quality(bad), 8_000);
    outvote(&mut net, bad, 2);
    assert_eq!(net.quality(bad), 6_030);
    assert_eq!(net.take_events("executor_jailed"), vec![]);
    // Settled at height 9: 6060 − 2000 is below 5000.
    outvote(&mut net, bad, 3);
    assert_eq!(
        net.take_events("executor_jailed"),
        vec![attrs(&[
            ("operator", &op),
            ("validator", &hex),
            ("quality_bps", "4060"),
            ("jailed_until", "609"),
            ("reason", "outvoted"),
            ("times_jailed", "1"),
        ])]
    );
    let e = net.executor(bad);
    assert_eq!(
        (
            e.jailed_until,
            e.times_jailed,
            e.quality_bps,
            e.results_outvoted
        ),
        (609, 1, 4_060, 3)
    );
    // The executors query shows the jail.
    let listed = net
        .step(|ctx| super::query::executors(ctx, QueryExecutorsRequest::default()))
        .unwrap();
    let listed = listed.executors.iter().find(|x| x.operator == op).unwrap();
    assert_eq!((listed.jailed_until, listed.times_jailed), (609, 1));

    // Jailed: no request may count on it, no draw picks it, its quality stays put.
    let log = net.refused_for_executors(10, 4);
    assert!(log.contains("only 3 executors"), "{log}");
    for seed in 11..=15u64 {
        let task = net.generate(vec![seed], 3);
        let execs = net.executors_of(&task);
        assert_eq!(execs.len(), 3);
        assert!(!execs.contains(&bad), "jailed {bad} drawn: {execs:?}");
        let reports: Vec<(usize, &[u64])> =
            execs.iter().map(|i| (*i, &[0xAAAA_0000][..])).collect();
        net.report_all(&task, &reports);
        net.end_block();
        assert_eq!(net.task(task.id).status, TaskStatus::Completed as i32);
    }
    net.run_to(609);
    let e = net.executor(bad);
    let p = state::default_params();
    assert_eq!(
        (
            e.jailed_until,
            e.quality_bps,
            capacity::quality_at(&e, 609, &p)
        ),
        (609, 4_060, 4_060),
        "600 blocks jailed and no recovery"
    );
    // Still jailed through height 609's transactions.
    net.refused_for_executors(20, 4);
    assert_eq!(net.take_events("executor_released"), vec![]);

    // Released at the end of block 609.
    net.end_block();
    assert_eq!(
        net.take_events("executor_released"),
        vec![attrs(&[
            ("operator", &op),
            ("validator", &hex),
            ("quality_bps", "5000"),
            ("times_jailed", "1"),
        ])]
    );
    let e = net.executor(bad);
    assert_eq!(
        (
            e.jailed_until,
            e.times_jailed,
            e.quality_bps,
            e.quality_height
        ),
        (0, 1, 5_000, 609)
    );
    assert_eq!(capacity::quality_at(&e, 709, &p), 6_000, "recovers again");
    assert!(net.slice(state::state_key::JAIL_PREFIX).is_empty());
    let task = net.generate(vec![21], 4);
    assert!(net.executors_of(&task).contains(&bad), "drawn again");

    // Its validator was never touched: same signing-set entry (power 10), same staking state.
    let after = net
        .step(|ctx| staking::state::validator(ctx, &addr))
        .unwrap()
        .unwrap();
    assert_eq!(after, signing);
    assert_eq!(after.power, 10);
    assert_eq!(net.slice("staking/"), staking_state);
}

/// An executor that keeps missing is jailed with reason `missed`. A slot it already held runs
/// its course (it commits after the jail and is paid); a jailed executor is never a silent
/// slot's replacement (here it is the only other executor, so the slot is refunded instead).
/// Released at the threshold, one more miss jails it again.
#[test]
fn a_silent_executor_is_jailed_keeps_its_open_slots_and_replaces_nobody() {
    let mut net = Net::with_params(2, quick_jail());
    let (a, b) = (0, 1);
    let op = net.operators[a].to_bech32();
    let hex = net.hex(a);
    // Round 1: `a` silent once, 9000: not jailed.
    let t1 = net.generate(vec![1], 2);
    net.commit(b, &t1, &[0xAAAA]);
    while net.task(t1.id).reveal_height == 0 {
        net.end_block();
    }
    net.reveal(b, &t1, &[0xAAAA]);
    net.end_block();
    assert_eq!(net.task(t1.id).status, TaskStatus::Partial as i32);
    assert_eq!(net.quality(a), 9_000);
    assert_eq!(net.take_events("executor_jailed"), vec![]);

    // Round 2: silent on t2 while it holds a slot on t3, drawn two blocks later.
    let t2 = net.generate(vec![2], 2);
    net.end_block();
    net.end_block();
    let t3 = net.generate(vec![3], 2);
    net.commit(b, &t2, &[0xAAAA]);
    net.commit(b, &t3, &[0xBBBB]);
    let jailed_at = loop {
        let h = net.height;
        net.end_block();
        let jailed = net.take_events("executor_jailed");
        if !jailed.is_empty() {
            let e = net.executor(a);
            assert_eq!(e.jailed_until, h + 40);
            assert_eq!(
                jailed,
                vec![attrs(&[
                    ("operator", &op),
                    ("validator", &hex),
                    ("quality_bps", &e.quality_bps.to_string()),
                    ("jailed_until", &(h + 40).to_string()),
                    ("reason", "missed"),
                    ("times_jailed", "1"),
                ])]
            );
            // 9000 at height 14, 15 blocks' recovery, − 1000.
            assert_eq!((h, e.quality_bps), (29, 8_150));
            break h;
        }
        assert!(h < 100, "never jailed");
    };
    assert_eq!(jailed_at, t2.assignments[0].deadline_height + 1);
    // Its t3 slot is still open: it commits now, jailed, and is paid.
    let slot = net
        .task(t3.id)
        .assignments
        .iter()
        .find(|s| s.executor == op)
        .cloned()
        .unwrap();
    assert!(settle::open_at(&slot, net.height));
    let before = net.balance(&net.operators[a].clone());
    net.commit(a, &t3, &[0xBBBB]);
    net.reveal(b, &t2, &[0xAAAA]);
    net.end_block();
    net.reveal(a, &t3, &[0xBBBB]);
    net.reveal(b, &t3, &[0xBBBB]);
    net.end_block();
    assert_eq!(net.task(t2.id).status, TaskStatus::Partial as i32);
    assert_eq!(net.task(t3.id).status, TaskStatus::Completed as i32);
    assert_eq!(
        net.balance(&net.operators[a].clone()),
        before + amount(&t3.price_per_result)
    );
    assert_eq!(net.executor(a).jailed_until, jailed_at + 40);

    // Jailed: `b` is the only executor; its silent slot gets no replacement and is refunded.
    net.refused_for_executors(4, 2);
    let t5 = net.generate(vec![5], 1);
    assert_eq!(net.executors_of(&t5), vec![b]);
    net.take_events("");
    net.run_to(t5.assignments[0].deadline_height + 1);
    net.end_block();
    let t = net.task(t5.id);
    assert_eq!(
        t.assignments.len(),
        1,
        "no replacement: {:?}",
        t.assignments
    );
    assert_eq!(t.status, TaskStatus::Refunded as i32);
    let reassigned = net.take_events("task_reassigned");
    assert_eq!(reassigned.len(), 1);
    assert_eq!(reassigned[0]["replacement"], "");
    assert!(net.executor(b).jailed_until == 0);

    // Released at the threshold; on probation, one more miss jails it again.
    net.run_to(jailed_at + 40);
    net.end_block();
    let released = net.take_events("executor_released");
    assert_eq!(released.len(), 1);
    assert_eq!(released[0]["quality_bps"], "8500");
    let t6 = net.generate(vec![6], 2);
    net.commit(b, &t6, &[0xAAAA]);
    while net.task(t6.id).reveal_height == 0 {
        net.end_block();
    }
    net.reveal(b, &t6, &[0xAAAA]);
    net.end_block();
    let jailed = net.take_events("executor_jailed");
    assert_eq!(jailed.len(), 1, "{jailed:?}");
    assert_eq!(
        (
            jailed[0]["reason"].as_str(),
            jailed[0]["times_jailed"].as_str()
        ),
        ("missed", "2")
    );
    let e = net.executor(a);
    assert_eq!(
        (e.times_jailed, e.results_missed),
        (2, 3),
        "missed t1, t2 and t6"
    );
    assert_eq!(net.task(t6.id).status, TaskStatus::Partial as i32);
}

/// Moving a jailed executor to another operator, or registering it again, keeps the jail:
/// the new operator is drawn for nothing until the same height, and is the one released.
#[test]
fn attack_rotating_a_jailed_executor_does_not_free_it() {
    let mut net = Net::with_params(4, quick_jail());
    outvote(&mut net, 0, 1);
    let jailed = net.take_events("executor_jailed");
    assert_eq!(jailed.len(), 1);
    assert_eq!(jailed[0]["jailed_until"], "43");
    let old = net.operators[0].clone();
    let new_op = Address::module("rotated operator");
    net.register_as(0, &new_op).unwrap();
    assert!(net
        .step(|ctx| state::executor(ctx, &old))
        .unwrap()
        .is_none());
    net.operators[0] = new_op.clone();
    let e = net.executor(0);
    assert_eq!(
        (
            e.jailed_until,
            e.times_jailed,
            e.quality_bps,
            e.results_outvoted
        ),
        (43, 1, 8_000, 1)
    );
    let keys = |net: &Net| -> Vec<String> {
        net.slice(state::state_key::JAIL_PREFIX)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(
        keys(&net),
        vec![state::state_key::jail(43, new_op.as_str())]
    );
    // Registering again under the same operator changes nothing either.
    net.register_as(0, &new_op).unwrap();
    assert_eq!(net.executor(0).jailed_until, 43);
    assert_eq!(
        keys(&net),
        vec![state::state_key::jail(43, new_op.as_str())]
    );
    net.refused_for_executors(2, 4);
    net.run_to(43);
    net.take_events("");
    net.end_block();
    let released = net.take_events("executor_released");
    assert_eq!(released.len(), 1);
    assert_eq!(released[0]["operator"], new_op.to_bech32());
    assert_eq!(net.executor(0).jailed_until, 0);
    assert!(keys(&net).is_empty());
    let task = net.generate(vec![3], 4);
    assert!(net.executors_of(&task).contains(&0));
}

#[test]
fn jail_params_have_defaults_are_checked_and_exported() {
    let d = state::default_params();
    assert_eq!(
        (d.executor_jail_quality_bps, d.executor_jail_blocks),
        (5_000, 600)
    );
    let init = |gp: lifecycle::GenesisParams| {
        let store = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        lifecycle::init_genesis(
            &mut ctx,
            &Genesis {
                params: Some(gp),
                models: vec![],
            },
        )
    };
    let e = init(lifecycle::GenesisParams {
        executor_jail_quality_bps: Some(10_001),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        e.log
            .contains("executor_jail_quality_bps must be 0 to 10000"),
        "{}",
        e.log
    );
    let e = init(lifecycle::GenesisParams {
        executor_jail_blocks: Some(0),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        e.log.contains("executor_jail_blocks must be positive"),
        "{}",
        e.log
    );
    for q in [0, 10_000] {
        init(lifecycle::GenesisParams {
            executor_jail_quality_bps: Some(q),
            ..Default::default()
        })
        .unwrap();
    }
    let net = Net::with_params(
        1,
        Some(lifecycle::GenesisParams {
            executor_jail_quality_bps: Some(7_000),
            executor_jail_blocks: Some(33),
            ..Default::default()
        }),
    );
    use crate::component::Component;
    let g = super::component::Inference::default()
        .export_genesis(&mut crate::context::ReadOnly(&net.store))
        .unwrap()
        .unwrap();
    assert_eq!(g["params"]["executor_jail_quality_bps"], 7_000);
    assert_eq!(g["params"]["executor_jail_blocks"], 33);
}

/// Trading with yourself earns nothing from the useful-work pool: an executor whose own
/// withdraw address requests a task is paid the task's fee (its own money back) but its work
/// is recorded as self-dealt, never scored; the other executor of the same task, paid by a
/// party that is not its own, is credited its fee.
#[test]
fn attack_self_dealing_through_a_withdraw_address_scores_nothing() {
    use crate::distribution::work;
    let mut net = Net::new(2);
    let (op0, op1, creator) = (
        net.operators[0].clone(),
        net.operators[1].clone(),
        net.creator.clone(),
    );
    net.step(|ctx| crate::distribution::state::set_withdraw_address(ctx, &op0, &creator))
        .unwrap();
    let task = net.generate(vec![1], 2);
    net.end_block();
    net.report_all(&task, &[(0, &[0xAB]), (1, &[0xAB])]);
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Completed as i32);
    let per = amount(&t.paid) / 2;
    let own = net.step(|c| work::current(c, &op0)).unwrap().unwrap();
    assert_eq!((own.self_dealt, own.items), (1, 0));
    assert_eq!(own.self_dealt_fees, per.to_string());
    assert!(
        own.fees.is_empty() && own.score.is_empty(),
        "nothing scored: {own:?}"
    );
    let other = net.step(|c| work::current(c, &op1)).unwrap().unwrap();
    assert_eq!((other.items, other.requesters, other.self_dealt), (1, 1, 0));
    assert_eq!(other.fees, per.to_string());
}

/// Earnings without chores: an executor's pay goes to its operator's withdraw address (a cold
/// wallet), not to the hot operator key the executor signs with, and the worker's all-time
/// earnings from images are kept for the query.
#[test]
fn executor_pay_goes_to_the_withdraw_address_and_is_counted() {
    use crate::distribution::work;
    let mut net = Net::new(2);
    let (op0, op1) = (net.operators[0].clone(), net.operators[1].clone());
    let cold = Address::module("op0's cold wallet");
    net.step(|ctx| crate::distribution::state::set_withdraw_address(ctx, &op0, &cold))
        .unwrap();
    let (hot0, hot1) = (net.balance(&op0), net.balance(&op1));
    let task = net.generate(vec![1], 2);
    net.end_block();
    net.report_all(&task, &[(0, &[0xAB]), (1, &[0xAB])]);
    net.end_block();
    let t = net.task(task.id);
    assert_eq!(t.status, TaskStatus::Completed as i32);
    let per = amount(&t.paid) / 2;
    assert!(per > 0);
    assert_eq!(net.balance(&op0), hot0, "nothing to op0's hot key");
    assert_eq!(net.balance(&cold), per, "op0's pay at its withdraw address");
    assert_eq!(net.balance(&op1), hot1 + per, "op1 set none: paid itself");
    for (op, want) in [(&op0, per), (&op1, per)] {
        let got = net.step(|c| work::earned_from(c, "image", op)).unwrap();
        assert_eq!(got, want);
        assert_eq!(net.step(|c| work::earned_from(c, "job", op)).unwrap(), 0);
    }
}

/// A voucher simd's `uatom` becomes when it crosses Glia's first channel, accepted at 3 units
/// for 2 uglia.
const TRACE: &str = "transfer/channel-0/uatom";

fn voucher_params() -> Option<lifecycle::GenesisParams> {
    Some(lifecycle::GenesisParams {
        fee_denoms: Some(vec![crate::coins::GenesisFeeDenom {
            denom: TRACE.into(),
            units: 3,
            uglia: 2,
        }]),
        ..Default::default()
    })
}

impl Net {
    fn balance_of(&mut self, a: &Address, denom: &str) -> u128 {
        let (a, d) = (a.clone(), denom.to_string());
        self.step(|ctx| bank::state::balance(ctx, &a, &d)).unwrap()
    }

    fn request_in(&self, seeds: Vec<u64>, replicas: u32, fee: Coin) -> MsgGenerateImage {
        MsgGenerateImage {
            max_fee: Some(fee.to_proto()),
            ..self.request(seeds, replicas)
        }
    }
}

/// Earnings without chores, for requesters: a request paid in an IBC voucher the params accept
/// escrows the voucher at the rate (rounded up), pays executors and refunds the requester in
/// it, and counts the executors' work at its uglia worth (rounded down). The escrow invariant
/// holds denom by denom at every block (Net::end_block checks it).
#[test]
fn a_request_paid_in_an_accepted_voucher_is_escrowed_paid_and_refunded_in_it() {
    use crate::distribution::work;
    let voucher = crate::coins::bank_denom_of(TRACE);
    assert!(voucher.starts_with("ibc/"), "{voucher}");
    let mut net = Net::with_params(3, voucher_params());
    let creator = net.creator.clone();
    net.step(|ctx| bank::mint(ctx, &creator, &[Coin::new(&voucher, 1_000_000)]))
        .unwrap();
    let uglia_before = net.balance(&creator);
    let next = net.step(state::next_task_id).unwrap();
    net.store.0.insert(
        state::state_key::NEXT_TASK_ID.into(),
        glia_proto::store::v1::Counter { next }.encode_to_vec(),
    );
    // 16,384 uglia per image per replica is 24,576 of the voucher; 2 seeds × 2 replicas.
    let per = 16_384u128 * 3 / 2;
    net.exec(
        net.request_in(vec![1, 2], 2, Coin::new(&voucher, 4 * per))
            .type_url_any(),
    )
    .unwrap();
    let t = net.task(next);
    assert_eq!(t.escrow.as_ref().unwrap().denom, voucher);
    assert_eq!(amount(&t.escrow), 4 * per);
    assert_eq!(amount(&t.price_per_result), per);
    assert_eq!(net.balance_of(&creator, &voucher), 1_000_000 - 4 * per);
    assert_eq!(net.balance(&creator), uglia_before, "no uglia taken");
    net.end_block();
    let all: Vec<usize> = (0..3).collect();
    net.begin_block(None, &all);
    let task = net.task(next);
    net.end_block();
    let execs = net.executors_of(&task);
    // Seed 1 agreed; seed 2 contradicted (no majority): refunded.
    net.report_all(
        &task,
        &[(execs[0], &[0xAB, 0]), (execs[1], &[0xAB, u64::MAX])],
    );
    net.end_block();
    let t = net.task(next);
    assert_eq!(t.status, TaskStatus::Partial as i32);
    assert_eq!(t.paid.as_ref().unwrap().denom, voucher);
    assert_eq!(amount(&t.paid), 2 * per);
    assert_eq!(amount(&t.refunded), 2 * per);
    assert_eq!(net.balance_of(&creator, &voucher), 1_000_000 - 2 * per);
    let module = Address::module(MODULE_ACCOUNT);
    assert_eq!(net.balance_of(&module, &voucher), 0);
    for e in &execs {
        let op = net.operators[*e].clone();
        assert_eq!(net.balance_of(&op, &voucher), per);
        // 24,576 voucher units are worth 16,384 uglia to the useful-work pool.
        let earned = net.step(|c| work::earned_from(c, "image", &op)).unwrap();
        assert_eq!(earned, 16_384);
        let score = net.step(|c| work::current(c, &op)).unwrap().unwrap();
        assert_eq!(score.fees, "16384");
    }
    let settled = net.take_events("task_settled");
    assert!(
        settled
            .iter()
            .any(|e| e.get("paid") == Some(&format!("{}{voucher}", 2 * per))),
        "{settled:?}"
    );
}

/// Attacks on the fee denom: paying in a denom the params do not list (a worthless token
/// someone minted elsewhere), or in an accepted voucher but at its uglia amount (below the
/// rate), is refused with its own code, and nothing moves.
#[test]
fn attack_paying_in_an_unaccepted_denom_or_below_the_rate_is_refused() {
    let voucher = crate::coins::bank_denom_of(TRACE);
    let junk = crate::coins::bank_denom_of("transfer/channel-9/ujunk");
    let mut net = Net::with_params(3, voucher_params());
    let creator = net.creator.clone();
    net.step(|ctx| {
        bank::mint(
            ctx,
            &creator,
            &[Coin::new(&voucher, 1_000_000), Coin::new(&junk, 1_000_000)],
        )
    })
    .unwrap();
    let before = net.slice("");
    let e = net
        .exec(
            net.request_in(vec![1], 2, Coin::new(&junk, 1_000_000))
                .type_url_any(),
        )
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 19), "{}", e.log);
    assert!(
        e.log.contains(&voucher) && e.log.contains("uglia"),
        "{}",
        e.log
    );
    // 2 × 16,384 uglia is 49,152 of the voucher: 32,768 (the uglia figure) is not enough.
    let e = net
        .exec(
            net.request_in(vec![1], 2, Coin::new(&voucher, 32_768))
                .type_url_any(),
        )
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 6), "{}", e.log);
    assert!(e.log.contains("49152"), "{}", e.log);
    assert_eq!(net.slice(""), before, "nothing changed");
    // Without vouchers in params, a voucher is refused too.
    let mut plain = Net::new(3);
    let creator = plain.creator.clone();
    plain
        .step(|ctx| bank::mint(ctx, &creator, &[Coin::new(&voucher, 1_000_000)]))
        .unwrap();
    let e = plain
        .exec(
            plain
                .request_in(vec![1], 2, Coin::new(&voucher, 1_000_000))
                .type_url_any(),
        )
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("inference", 19), "{}", e.log);
}

/// Genesis refuses fee denoms that would make prices meaningless (a zero rate, uglia itself, a
/// denom twice, a malformed one) and exports what it stored: the voucher's hash for a trace.
#[test]
fn fee_denoms_are_checked_at_genesis_and_exported_by_hash() {
    let fd = |denom: &str, units, uglia| crate::coins::GenesisFeeDenom {
        denom: denom.into(),
        units,
        uglia,
    };
    for (bad, why) in [
        (vec![fd(TRACE, 0, 1)], "positive"),
        (vec![fd(TRACE, 1, 0)], "positive"),
        (vec![fd("uglia", 1, 1)], "always accepted"),
        (vec![fd(TRACE, 1, 1), fd(TRACE, 2, 2)], "twice"),
        (vec![fd("1bad", 1, 1)], "invalid denom"),
    ] {
        let g = Genesis {
            params: Some(lifecycle::GenesisParams {
                fee_denoms: Some(bad),
                ..Default::default()
            }),
            models: vec![],
        };
        let store = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        let e = lifecycle::init_genesis(&mut ctx, &g).unwrap_err();
        assert!(e.log.contains(why), "{why}: {}", e.log);
    }
    let mut net = Net::with_params(1, voucher_params());
    let p = net.step(|c| state::params(c)).unwrap();
    assert_eq!(p.fee_denoms.len(), 1);
    assert_eq!(p.fee_denoms[0].denom, crate::coins::bank_denom_of(TRACE));
    assert_eq!((p.fee_denoms[0].units, p.fee_denoms[0].uglia), (3, 2));
}
