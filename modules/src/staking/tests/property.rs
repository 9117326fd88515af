//! Random traffic: thousands of sends, delegations, undelegations, redelegations, cancels,
//! new validators, unjails, reward and commission withdrawals, withdraw addresses, community
//! pool deposits, SAT jobs submitted, solved (commit, then reveal) and paid, image tasks
//! requested and drawn to executors that never answer (timed out, refunded, the executors
//! penalised and jailed), useful work paid
//! for (some of it self-dealt), missed blocks and double signs, through the router with the
//! emission on, with every invariant (pools, shares, power
//! index, distribution's account = what it owes, bank supply) checked after every block.

use super::*;
use crate::component::{Misbehaviour, MisbehaviourKind};
use crate::neuro::msgs::solution_commitment;
use crate::neuro::problem::pack;
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    MsgFundCommunityPool, MsgSetWithdrawAddress, MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
};
use glia_proto::neuro::v1::{
    MsgCommitSolution, MsgSubmitJob, MsgSubmitJobResponse, MsgSubmitSolution, ProblemFormat,
};

/// x1 ∨ ¬x2, x2 ∨ x3, ¬x1 ∨ ¬x3; an assignment's energy is its number of unsatisfied clauses.
const CNF: &str = "p cnf 3 3\n1 -2 0\n2 3 0\n-1 -3 0\n";

fn energy(x: &[bool; 3]) -> i64 {
    let clauses = [(x[0] || !x[1]), (x[1] || x[2]), (!x[0] || !x[2])];
    clauses.iter().filter(|c| !**c).count() as i64
}

/// xorshift64*: a fixed sequence, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

#[test]
fn random_staking_traffic_keeps_every_invariant() {
    let mut net = Net::with_rewards(
        4,
        6,
        3,
        serde_json::json!({}),
        serde_json::json!({"epoch_blocks": 25, "useful_work_tax": "0.2"}),
    );
    let minted = |net: &Net| {
        crate::mint::state::amount(&crate::mint::state::minter(&mut net.kv()).unwrap().minted)
            .unwrap()
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let supply0 = crate::bank::state::supply(&mut net.kv(), "uglia").unwrap();
    let mut ok = [0u32; 15];
    let mut jobs: Vec<u64> = Vec::new();
    let mut reveals = [0u32; 2];
    // Commitments waiting for their reveal in the next block: (solver, job, x).
    let mut committed: Vec<(Address, u64, [bool; 3])> = Vec::new();
    let mut tried = 0u32;
    let mut created = 0usize;
    let mut outage = [0u32; 4];
    for _ in 0..500 {
        let accounts: Vec<Address> = net.users.iter().chain(&net.ops).cloned().collect();
        let validators: Vec<Address> = state::records(&mut net.kv())
            .unwrap()
            .iter()
            .map(|r| validators::operator(r).unwrap())
            .collect();
        let mut msgs = Vec::new();
        let to_reveal = std::mem::take(&mut committed);
        for _ in 0..8 {
            let who = rng.pick(&accounts).clone();
            let v = rng.pick(&validators).clone();
            let w = rng.pick(&validators).clone();
            let amount = 1 + rng.below(30_000_000) as u128;
            let kind = rng.below(15) as usize;
            let m = match kind {
                0 => any(MsgSend {
                    from_address: who.to_bech32(),
                    to_address: rng.pick(&accounts).to_bech32(),
                    amount: vec![coin(amount).unwrap()],
                }),
                1 | 2 => delegate(&who, &v, amount),
                3 => undelegate(&who, &v, amount / 4),
                4 => redelegate(&who, &v, &w, amount / 4),
                5 => {
                    let u = state::ubd(&mut net.kv(), &who, &v).unwrap();
                    let Some(e) = u.and_then(|u| u.entries.first().cloned()) else {
                        continue;
                    };
                    any(glia_proto::cosmos::cosmos::staking::v1beta1::MsgCancelUnbondingDelegation {
                        delegator_address: who.to_bech32(),
                        validator_address: v.to_valoper(),
                        amount: coin(1 + rng.below(state::int_of(&e.balance).unwrap() as u64) as u128),
                        creation_height: e.creation_height,
                    })
                }
                6 => {
                    created += 1;
                    create(
                        &who,
                        cons_key(20 + created),
                        amount,
                        rates("0.05", "0.3", "0.02"),
                    )
                }
                8 => any(MsgWithdrawDelegatorReward {
                    delegator_address: who.to_bech32(),
                    validator_address: v.to_valoper(),
                }),
                9 => {
                    let op = rng.pick(&validators).clone();
                    msgs.push((
                        kind,
                        any(MsgWithdrawValidatorCommission {
                            validator_address: op.to_valoper(),
                        }),
                        op,
                    ));
                    continue;
                }
                10 => any(MsgSetWithdrawAddress {
                    delegator_address: who.to_bech32(),
                    withdraw_address: rng.pick(&accounts).to_bech32(),
                }),
                7 => {
                    // A jailed validator's operator asks, whether or not its time is over.
                    let jailed: Vec<Address> = state::records(&mut net.kv())
                        .unwrap()
                        .iter()
                        .filter(|r| r.jailed)
                        .map(|r| validators::operator(r).unwrap())
                        .collect();
                    if jailed.is_empty() {
                        continue;
                    }
                    let j = rng.pick(&jailed).clone();
                    msgs.push((kind, super::slashing::unjail(&j), j));
                    continue;
                }
                12 => any(MsgSubmitJob {
                    creator: who.to_bech32(),
                    format: ProblemFormat::Cnf as i32,
                    problem: CNF.into(),
                    block_fee: coin(1 + amount / 1000),
                    max_blocks: 2 + rng.below(20),
                    solution_reward: coin(amount / 100),
                    target_energy: String::new(),
                }),
                14 => {
                    if net.ops.contains(&who) {
                        continue; // validators' operators execute; users request
                    }
                    any(glia_proto::inference::v1::MsgGenerateImage {
                        creator: who.to_bech32(),
                        model_id: super::MODEL.into(),
                        prompt: "a lighthouse at dusk".into(),
                        negative_prompt: String::new(),
                        width: 64,
                        height: 64,
                        steps: 4,
                        guidance_scale: "7.5".into(),
                        scheduler: 1,
                        seeds: vec![rng.next()],
                        replicas: 1 + rng.below(2) as u32,
                        max_fee: coin(100_000_000),
                        timeout_blocks: 0,
                    })
                }
                13 => {
                    let Some(&job) = jobs.get(rng.below(jobs.len() as u64) as usize) else {
                        continue;
                    };
                    let x = [rng.below(2) == 1, rng.below(2) == 1, rng.below(2) == 1];
                    let salt = vec![7u8; 16];
                    let c =
                        solution_commitment(job, &who.to_bech32(), energy(&x), &pack(&x), &salt);
                    committed.push((who.clone(), job, x));
                    any(MsgCommitSolution {
                        solver: who.to_bech32(),
                        job_id: job,
                        commitment: c.to_vec(),
                    })
                }
                _ => any(MsgFundCommunityPool {
                    amount: vec![coin(amount / 100 + 1).unwrap()],
                    depositor: who.to_bech32(),
                }),
            };
            let signer = who;
            msgs.push((kind, m, signer));
        }
        // Now and then a validator goes down for a while, or double signs.
        for o in outage.iter_mut() {
            *o = o.saturating_sub(1);
            if *o == 0 && rng.below(60) == 0 {
                *o = 12;
            }
        }
        let absent: Vec<usize> = (0..4).filter(|i| outage[*i] > 0).collect();
        let evidence = if rng.below(40) == 0 {
            let i = rng.below(4) as usize;
            let address = state::consensus_address(&cons_key(i));
            let power = state::validator(&mut net.kv(), &address)
                .unwrap()
                .map_or(0, |v| v.power);
            vec![Misbehaviour {
                kind: MisbehaviourKind::DuplicateVote,
                validator: hex::encode_upper(address),
                power,
                height: net.height.saturating_sub(rng.below(5)),
                time_unix: net.time,
                total_voting_power: 1,
            }]
        } else {
            Vec::new()
        };
        // Useful work paid for by someone (now and then by the worker's own party); the
        // pool pays it out every 25 blocks.
        if rng.below(3) == 0 {
            let worker = rng.pick(&accounts).clone();
            let requester = rng.pick(&accounts).clone();
            let paid = 1 + rng.below(5_000_000) as u128;
            let quality = rng.below(10_001) as u32;
            net.step(|_, ctx, _| {
                crate::distribution::record_work(
                    ctx,
                    crate::distribution::Work {
                        worker: &worker,
                        validator: None,
                        requester: &requester,
                        paid,
                        quality_bps: quality,
                        kind: "image",
                    },
                )
            })
            .unwrap();
        }
        // Last block's commitments are revealed in this one.
        for (solver, job, x) in to_reveal {
            let reveal = any(MsgSubmitSolution {
                solver: solver.to_bech32(),
                job_id: job,
                assignment: pack(&x),
                claimed_energy: energy(&x),
                salt: vec![7u8; 16],
            });
            msgs.push((99, reveal, solver));
        }
        let kinds: Vec<usize> = msgs.iter().map(|(k, _, _)| *k).collect();
        let batch = msgs.into_iter().map(|(_, m, s)| (m, s)).collect();
        // `block_with` checks every invariant after the block and panics if one breaks.
        let (results, _) = net.block_with(batch, &absent, evidence);
        for (k, r) in kinds.iter().zip(&results) {
            if *k == 99 {
                if let Err(e) = r {
                    if reveals[0] < 3 {
                        eprintln!("reveal refused: {}", e.log);
                    }
                }
                reveals[usize::from(r.is_ok())] += 1;
                continue;
            }
            tried += 1;
            if let (14, Err(e)) = (*k, r) {
                if ok[14] == 0 && tried < 200 {
                    eprintln!("image task refused: {}", e.log);
                }
            }
            if r.is_ok() {
                ok[*k] += 1;
                if *k == 12 {
                    let any = r.as_ref().unwrap();
                    jobs.push(
                        MsgSubmitJobResponse::decode(any.value.as_slice())
                            .unwrap()
                            .job_id,
                    );
                }
            }
            if let Err(e) = r {
                assert_ne!(e.code, 1, "an internal error: {}", e.log);
            }
        }
    }
    let supply = crate::bank::state::supply(&mut net.kv(), "uglia").unwrap();
    assert!(
        supply <= supply0 + minted(&net),
        "only the emission adds to the supply, and slashing burns"
    );
    let paid = crate::distribution::state::last_payout(&mut net.kv())
        .unwrap()
        .map_or(0, |p| p.paid.parse::<u128>().unwrap());
    assert!(paid > 0, "the useful-work pool paid out");
    assert!(
        reveals[1] >= 20,
        "solutions revealed (failed, succeeded): {reveals:?}"
    );
    let mut refunded = 0;
    for (_, v) in crate::context::Kv::kv_scan(
        &mut net.kv(),
        crate::inference::state::state_key::TASKS_PREFIX,
    )
    .unwrap()
    {
        let t: glia_proto::inference::v1::Task = crate::value::decode("task", &v).unwrap();
        if t.refunded.as_ref().is_some_and(|c| c.amount != "0") {
            refunded += 1;
        }
    }
    assert!(
        refunded >= 10,
        "image tasks timed out and were refunded: {refunded}"
    );
    let jailed = crate::inference::state::executors(&mut net.kv())
        .unwrap()
        .iter()
        .filter(|(_, e)| e.times_jailed > 0)
        .count();
    assert!(jailed > 0, "silent executors were jailed");
    assert!(tried >= 3000, "{tried} messages");
    eprintln!("succeeded by kind (send, delegate×2, undelegate, redelegate, cancel, create, unjail, withdraw, commission, withdraw address, fund pool, submit job, commit solution, image task): {ok:?} of {tried}; reveals (failed, succeeded) {reveals:?}");
    for (k, n) in ok.iter().enumerate() {
        assert!(*n >= 5, "message kind {k} succeeded only {n} times: {ok:?}");
    }
}
