//! The job market over an in-memory store: escrow, exact verification, block fees for
//! improvements, the reward, cancellation, the review committee and deadlines — with the
//! escrow invariant and the total supply checked after every block.
//!
//! Over 500 lines in one file on purpose: every test drives the one shared in-process network
//! harness (`Net`, below), so splitting the tests would only scatter its users.

use super::lifecycle::{self, Genesis, GenesisParams};
use super::msgs::{solution_commitment, NeuroMsg};
use super::problem::pack;
use super::{handler, state, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{BlockInfo, Ctx};
use crate::error::{AppError, AppResult};
use crate::gas::GasMeter;
use crate::store::MemStore;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::Any;
use glia_proto::neuro::v1::*;
use prost::{Message, Name};

const FUNDS: u128 = 1_000_000_000;
/// x1 ∨ ¬x2, x2 ∨ x3, ¬x1 ∨ ¬x3: satisfied by (1, 1, 0).
const CNF: &str = "p cnf 3 3\n1 -2 0\n2 3 0\n-1 -3 0\n";
/// Minimise -x0 - x1 + 2 x0 x1 + 0.5 x2 + 1: optimum -0 (one of x0, x1 set, x2 clear) = 0.
const QUBO: &str = "p qubo 3 4 1\n0 0 -1\n1 1 -1\n0 1 2\n2 2 0.5\n";

struct Net {
    store: MemStore,
    height: u64,
    creator: Address,
    solvers: Vec<Address>,
    committee: Vec<Address>,
}

fn uglia(a: u128) -> Option<ProtoCoin> {
    Some(Coin::new(BASE_DENOM, a).to_proto())
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

impl Net {
    fn new(committee: usize, quorum: u32, threshold: u64) -> Net {
        let mut net = Net {
            store: MemStore::default(),
            height: 1,
            creator: Address::module("creator"),
            solvers: (0..3)
                .map(|i| Address::module(&format!("solver{i}")))
                .collect(),
            committee: (0..committee)
                .map(|i| Address::module(&format!("member{i}")))
                .collect(),
        };
        let genesis = Genesis {
            params: Some(GenesisParams {
                committee: Some(net.committee.iter().map(|a| a.to_bech32()).collect()),
                quorum: Some(quorum),
                review_size_threshold: Some(threshold),
                review_timeout_blocks: Some(5),
                ..Default::default()
            }),
        };
        let funded: Vec<Address> = std::iter::once(net.creator.clone())
            .chain(net.solvers.clone())
            .collect();
        net.block(|ctx| {
            lifecycle::init_genesis(ctx, &genesis)?;
            for a in &funded {
                bank::mint(ctx, a, &[Coin::new(BASE_DENOM, FUNDS)])?;
            }
            Ok(())
        })
        .unwrap();
        net
    }

    fn ctx_step<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> AppResult<T>) -> AppResult<T> {
        let block = BlockInfo {
            chain_id: "glia-test-1".into(),
            height: self.height,
            time_unix: 0,
            ..Default::default()
        };
        let mut ctx = Ctx::new(&self.store, GasMeter::infinite(), &block);
        let out = ctx.atomic(f);
        let (changes, _, _) = ctx.into_parts();
        self.store.apply(changes);
        out
    }

    /// Runs `f` as a block's body, then end of block and the invariants.
    fn block<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> AppResult<T>) -> AppResult<T> {
        let out = self.ctx_step(f);
        self.end_block();
        out
    }

    fn end_block(&mut self) {
        self.ctx_step(|ctx| {
            lifecycle::end_block(ctx, &crate::bank::Escrow::new(super::MODULE_ACCOUNT))?;
            lifecycle::check_invariants(ctx, &crate::bank::Escrow::new(super::MODULE_ACCOUNT))?;
            bank::invariants::check(ctx)
        })
        .unwrap();
        self.height += 1;
    }

    /// Executes one message in the current block (no end of block).
    fn tx(&mut self, msg: Any) -> AppResult<Any> {
        let m = NeuroMsg::decode(&msg).expect("a neuro message")?;
        self.ctx_step(|ctx| {
            handler::execute(ctx, &m, &crate::bank::Escrow::new(super::MODULE_ACCOUNT))
        })
    }

    fn balance(&mut self, a: &Address) -> u128 {
        self.ctx_step(|ctx| bank::state::balance(ctx, a, BASE_DENOM))
            .unwrap()
    }

    fn job(&mut self, id: u64) -> Job {
        self.ctx_step(|ctx| state::job(ctx, id)).unwrap().unwrap()
    }

    fn submit(
        &mut self,
        format: ProblemFormat,
        problem: &str,
        fee: u128,
        blocks: u64,
        reward: u128,
        target: &str,
    ) -> AppResult<u64> {
        let r = self.tx(any(&MsgSubmitJob {
            creator: self.creator.to_bech32(),
            format: format as i32,
            problem: problem.into(),
            block_fee: uglia(fee),
            max_blocks: blocks,
            solution_reward: uglia(reward),
            target_energy: target.into(),
        }))?;
        Ok(MsgSubmitJobResponse::decode(r.value.as_slice())
            .unwrap()
            .job_id)
    }

    /// Commits `who` to (x, energy) in the current block, with a salt `reveal` rebuilds.
    fn commit(&mut self, who: &Address, job: u64, x: &[bool], energy: i64) -> AppResult<Any> {
        let c = solution_commitment(job, &who.to_bech32(), energy, &pack(x), &salt(who, x));
        self.tx(any(&MsgCommitSolution {
            solver: who.to_bech32(),
            job_id: job,
            commitment: c.to_vec(),
        }))
    }

    /// Reveals what `commit` committed to (from a later block).
    fn reveal(&mut self, who: &Address, job: u64, x: &[bool], energy: i64) -> AppResult<Any> {
        self.reveal_with(who, job, x, energy, salt(who, x))
    }

    /// A reveal by `who` with any salt (a wrong one, or another solver's).
    fn reveal_with(
        &mut self,
        who: &Address,
        job: u64,
        x: &[bool],
        energy: i64,
        salt: Vec<u8>,
    ) -> AppResult<Any> {
        self.tx(any(&MsgSubmitSolution {
            solver: who.to_bech32(),
            job_id: job,
            assignment: pack(x),
            claimed_energy: energy,
            salt,
        }))
    }

    /// Commit in this block, reveal in the next (ending this block in between).
    fn solve(&mut self, who: &Address, job: u64, x: &[bool], energy: i64) -> AppResult<Any> {
        self.commit(who, job, x, energy)?;
        self.end_block();
        self.reveal(who, job, x, energy)
    }

    fn review(&mut self, member: usize, job: u64, approve: bool) -> AppResult<Any> {
        self.tx(any(&MsgReviewJob {
            reviewer: self.committee[member].to_bech32(),
            job_id: job,
            approve,
            reason: "test".into(),
        }))
    }
}

fn salt(who: &Address, x: &[bool]) -> Vec<u8> {
    let mut s = who.to_bech32().into_bytes();
    s.extend(x.iter().map(|&b| u8::from(b)));
    s.resize(s.len().max(16), 7);
    s.truncate(64);
    s
}

fn code(r: AppResult<impl std::fmt::Debug>) -> (u32, String) {
    let e: AppError = r.expect_err("should fail");
    assert_eq!(e.codespace, "neuro", "{}", e.log);
    (e.code, e.log)
}

#[test]
fn sat_job_settles_by_improvement_and_reveals_must_match_an_earlier_commitment() {
    let mut n = Net::new(0, 1, 1_000_000);
    let module = Address::module(MODULE_ACCOUNT);
    let id = n
        .submit(ProblemFormat::Cnf, CNF, 100, 10, 5_000, "")
        .unwrap();
    assert_eq!(n.balance(&n.creator.clone()), FUNDS - 6_000);
    assert_eq!(n.balance(&module), 6_000);
    let job = n.job(id);
    assert_eq!(
        (
            job.status,
            job.start_height,
            job.deadline_height,
            job.settle_height
        ),
        (JobStatus::Open as i32, 2, 11, 14)
    );
    assert!(job.has_target && job.target_energy == 0);
    // All false: only x2 ∨ x3 fails.
    assert_eq!(job.baseline_energy, 1);
    n.end_block();

    let (s0, s1, s2) = (
        n.solvers[0].clone(),
        n.solvers[1].clone(),
        n.solvers[2].clone(),
    );
    // Block 3: three commitments; none can be revealed in the block that made it.
    n.commit(&s0, id, &[true, false, true], 1).unwrap();
    n.commit(&s1, id, &[true, true, false], 0).unwrap();
    n.commit(&s2, id, &[true, true, false], 1).unwrap(); // a false claim
    let (c, log) = code(n.reveal(&s0, id, &[true, false, true], 1));
    assert_eq!(c, 23, "{log}");
    assert!(log.contains("reveal it from block 4 on"), "{log}");
    n.end_block();

    // Block 4.
    let (c, log) = code(n.reveal(&s2, id, &[true, true, false], 1));
    assert_eq!(c, 11);
    assert!(
        log.contains("claimed energy 1 but the assignment's energy is 0"),
        "{log}"
    );
    n.reveal(&s0, id, &[true, false, true], 1).unwrap();
    let (c, log) = code(n.reveal_with(&s2, id, &[true, true, false], 0, vec![1; 16]));
    assert_eq!(c, 22, "{log}");
    let (c, log) = code(n.reveal_with(&s2, id, &[true, true, false], 0, vec![1; 15]));
    assert_eq!(c, 24, "{log}");
    let (c, log) = code(n.tx(any(&MsgCommitSolution {
        solver: s2.to_bech32(),
        job_id: id,
        commitment: vec![0; 31],
    })));
    assert_eq!(c, 20, "{log}");
    n.reveal(&s1, id, &[true, true, false], 0).unwrap();
    let (c, _) = code(n.commit(&s2, id, &[true, true, false], 0));
    assert_eq!(c, 9, "a solved job takes no more commitments");
    n.end_block();
    let job = n.job(id);
    assert_eq!(job.status, JobStatus::Solved as i32);
    assert_eq!(job.winner, s1.to_bech32());
    // Pot: block fees of blocks 2..=4 and the reward. s0 was no better than all-false.
    assert_eq!(n.balance(&s0), FUNDS);
    assert_eq!(n.balance(&s1), FUNDS + 300 + 5_000);
    assert_eq!(n.balance(&n.creator.clone()), FUNDS - 6_000 + 700);
    assert_eq!(n.balance(&module), 0);
    assert_eq!(handler::amount(&job.refunded).unwrap(), 700);
    assert_eq!(handler::amount(&job.fees_paid).unwrap(), 300);
    assert_eq!(handler::amount(&job.reward_paid).unwrap(), 5_000);
    assert_eq!(job.solutions, 2);
    let (c, _) = code(n.tx(any(&MsgCancelJob {
        creator: n.creator.to_bech32(),
        job_id: id,
    })));
    assert_eq!(c, 9);
    // The settled job's commitments are gone.
    let left = n
        .ctx_step(|ctx| ctx.scan(&state::state_key::commitments_prefix(id)))
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Four independent bits, each worth -1: baseline 0, optimum -4.
const BITS: &str = "p qubo 4 4 0\n0 0 -1\n1 1 -1\n2 2 -1\n3 3 -1\n";

fn bits(k: usize) -> Vec<bool> {
    (0..4).map(|i| i < k).collect()
}

#[test]
fn attack_a_latecomer_flipping_one_bit_of_the_public_best_earns_only_that_bit() {
    let mut n = Net::new(0, 1, 1_000_000);
    let (honest, late) = (n.solvers[0].clone(), n.solvers[1].clone());
    // Blocks 2..=7 open, reveals until 10; pot = 6 × 100 + 4_000.
    let id = n
        .submit(ProblemFormat::Qubo, BITS, 100, 6, 4_000, "")
        .unwrap();
    n.end_block();
    n.solve(&honest, id, &bits(3), -3).unwrap(); // commit 3, reveal 4
    n.end_block();
    while n.height < 7 {
        n.end_block();
    }
    // At the deadline the latecomer copies the public best and sets the last bit.
    n.commit(&late, id, &bits(4), -4).unwrap();
    n.end_block();
    let (c, _) = code(n.commit(&late, id, &bits(4), -4));
    assert_eq!(c, 9, "no commitments after the deadline");
    n.reveal(&late, id, &bits(4), -4).unwrap();
    while n.job(id).status == JobStatus::Open as i32 {
        n.end_block();
    }
    let job = n.job(id);
    assert_eq!(job.status, JobStatus::Expired as i32);
    assert_eq!(job.closed_height, 10);
    assert_eq!(job.winner, late.to_bech32(), "the best at the close");
    // Improvements 3 and 1 of 4.
    assert_eq!(n.balance(&honest), FUNDS + 4_600 * 3 / 4);
    assert_eq!(n.balance(&late), FUNDS + 4_600 / 4);
}

#[test]
fn attack_dripping_an_improvement_earns_no_more_than_revealing_it_at_once() {
    let mut n = Net::new(0, 1, 1_000_000);
    let (once, drip) = (n.solvers[0].clone(), n.solvers[1].clone());
    let a = n
        .submit(ProblemFormat::Qubo, BITS, 100, 8, 1_000, "")
        .unwrap();
    let b = n
        .submit(ProblemFormat::Qubo, BITS, 100, 8, 1_000, "")
        .unwrap();
    n.end_block();
    n.commit(&once, a, &bits(4), -4).unwrap();
    n.commit(&drip, b, &bits(1), -1).unwrap();
    n.end_block();
    n.reveal(&once, a, &bits(4), -4).unwrap();
    n.reveal(&drip, b, &bits(1), -1).unwrap();
    for k in 2..=4 {
        n.commit(&drip, b, &bits(k), -(k as i64)).unwrap();
        n.end_block();
        n.reveal(&drip, b, &bits(k), -(k as i64)).unwrap();
    }
    while n.job(a).status == JobStatus::Open as i32 || n.job(b).status == JobStatus::Open as i32 {
        n.end_block();
    }
    assert_eq!(n.job(b).solutions, 4);
    assert_eq!(n.balance(&once), FUNDS + 800 + 1_000);
    assert_eq!(
        n.balance(&drip),
        n.balance(&once),
        "four drips of 1 are paid as one improvement of 4"
    );
}

#[test]
fn attack_a_copied_reveal_earns_nothing_even_when_the_copy_lands_first() {
    let mut n = Net::new(0, 1, 1_000_000);
    let (honest, copier) = (n.solvers[0].clone(), n.solvers[1].clone());
    let creator = n.creator.clone();
    let id = n
        .submit(ProblemFormat::Qubo, BITS, 10, 5, 1_000, "")
        .unwrap();
    n.end_block();
    n.commit(&honest, id, &bits(4), -4).unwrap();
    // The creator, seeing a commitment, can no longer cancel and keep what is revealed.
    let (c, log) = code(n.tx(any(&MsgCancelJob {
        creator: creator.to_bech32(),
        job_id: id,
    })));
    assert_eq!(c, 14, "{log}");
    n.end_block();
    // The honest reveal is in the mempool: a proposer copies it. Revealing it under its own
    // name needs a commitment of its own; copying the honest commitment does not help (it
    // binds the solver).
    let (c, _) = code(n.reveal_with(&copier, id, &bits(4), -4, salt(&honest, &bits(4))));
    assert_eq!(c, 21);
    let honest_commitment = solution_commitment(
        id,
        &honest.to_bech32(),
        -4,
        &pack(&bits(4)),
        &salt(&honest, &bits(4)),
    );
    n.tx(any(&MsgCommitSolution {
        solver: copier.to_bech32(),
        job_id: id,
        commitment: honest_commitment.to_vec(),
    }))
    .unwrap();
    n.end_block();
    let (c, _) = code(n.reveal_with(&copier, id, &bits(4), -4, salt(&honest, &bits(4))));
    assert_eq!(c, 22, "the commitment binds its solver");
    // The proposer censored the honest reveal and commits the copy (as the creator would to
    // refund itself), revealing it first in the next block.
    n.commit(&copier, id, &bits(4), -4).unwrap();
    n.commit(&creator, id, &bits(4), -4).unwrap();
    n.end_block();
    n.reveal(&copier, id, &bits(4), -4).unwrap();
    n.reveal(&honest, id, &bits(4), -4).unwrap();
    let (c, _) = code(n.reveal(&creator, id, &bits(4), -4));
    assert_eq!(c, 12, "as good as the best but committed later");
    while n.job(id).status == JobStatus::Open as i32 {
        n.end_block();
    }
    let job = n.job(id);
    assert_eq!(job.best_solver, honest.to_bech32());
    assert_eq!(
        n.balance(&copier),
        FUNDS,
        "the copy ranks after the original"
    );
    assert_eq!(n.balance(&honest), FUNDS + 50 + 1_000);
    assert_eq!(n.balance(&creator), FUNDS - 1_050);
}

#[test]
fn attack_the_creator_earns_nothing_from_its_own_job_and_its_share_comes_back() {
    let mut n = Net::new(0, 1, 1_000_000);
    let (s0, creator) = (n.solvers[0].clone(), n.creator.clone());
    let id = n
        .submit(ProblemFormat::Qubo, BITS, 0, 3, 1_000, "")
        .unwrap();
    n.end_block();
    n.commit(&creator, id, &bits(1), -1).unwrap();
    n.commit(&s0, id, &bits(4), -4).unwrap();
    n.end_block();
    n.reveal(&creator, id, &bits(1), -1).unwrap();
    n.reveal(&s0, id, &bits(4), -4).unwrap();
    while n.job(id).status == JobStatus::Open as i32 {
        n.end_block();
    }
    assert_eq!(n.balance(&s0), FUNDS + 750);
    assert_eq!(n.balance(&creator), FUNDS - 750);
    let sols = n.ctx_step(|ctx| state::solutions(ctx, id)).unwrap();
    let paid: Vec<(String, u64, String)> = sols
        .into_iter()
        .map(|(_, s)| (s.solver, s.improvement, s.paid))
        .collect();
    assert_eq!(
        paid,
        vec![
            (creator.to_bech32(), 1, "0".into()),
            (s0.to_bech32(), 3, "750".into()),
        ]
    );
}

#[test]
fn an_optimisation_target_ends_the_job_and_an_unmet_one_refunds_the_reward() {
    let mut n = Net::new(0, 1, 1_000_000);
    let s0 = n.solvers[0].clone();
    let creator = n.creator.clone();
    let hit = n.submit(ProblemFormat::Qubo, QUBO, 0, 5, 700, "0").unwrap();
    let miss = n
        .submit(ProblemFormat::Qubo, QUBO, 0, 2, 900, "-1")
        .unwrap();
    assert_eq!(n.job(miss).target_energy, -10);
    n.end_block();
    n.commit(&s0, hit, &[true, false, false], 0).unwrap();
    n.commit(&s0, miss, &[true, false, false], 0).unwrap();
    n.end_block();
    n.reveal(&s0, hit, &[true, false, false], 0).unwrap();
    n.reveal(&s0, miss, &[true, false, false], 0).unwrap();
    while n.job(miss).status == JobStatus::Open as i32 {
        n.end_block();
    }
    assert_eq!(n.job(hit).status, JobStatus::Solved as i32);
    assert_eq!(n.job(miss).status, JobStatus::Expired as i32);
    assert_eq!(n.job(miss).winner, "");
    assert_eq!(n.balance(&s0), FUNDS + 700);
    assert_eq!(n.balance(&creator), FUNDS - 700);
    // Bad targets are refused.
    let (c, log) = code(n.submit(ProblemFormat::Qubo, QUBO, 1, 1, 0, "0.25"));
    assert_eq!(c, 7, "{log}");
    let (c, _) = code(n.submit(ProblemFormat::Cnf, CNF, 1, 1, 0, "0"));
    assert_eq!(c, 7);
}

#[test]
fn attack_cancel_refunds_everything_until_a_solution_is_committed() {
    let mut n = Net::new(0, 1, 1_000_000);
    let creator = n.creator.clone();
    let s0 = n.solvers[0].clone();
    let a = n.submit(ProblemFormat::Cnf, CNF, 10, 10, 100, "").unwrap();
    let b = n.submit(ProblemFormat::Cnf, CNF, 10, 10, 100, "").unwrap();
    n.end_block();
    let (c, _) = code(n.tx(any(&MsgCancelJob {
        creator: s0.to_bech32(),
        job_id: a,
    })));
    assert_eq!(c, 13);
    n.tx(any(&MsgCancelJob {
        creator: creator.to_bech32(),
        job_id: a,
    }))
    .unwrap();
    n.commit(&s0, b, &[true, false, true], 1).unwrap();
    let (c, log) = code(n.tx(any(&MsgCancelJob {
        creator: creator.to_bech32(),
        job_id: b,
    })));
    assert_eq!(c, 14, "{log}");
    n.end_block();
    assert_eq!(n.job(a).status, JobStatus::Cancelled as i32);
    assert_eq!(handler::amount(&n.job(a).refunded).unwrap(), 200);
    assert_eq!(
        n.balance(&creator),
        FUNDS - 200,
        "job b still holds its escrow"
    );
    let (c, _) = code(n.tx(any(&MsgCancelJob {
        creator: creator.to_bech32(),
        job_id: 99,
    })));
    assert_eq!(c, 8);
}

#[test]
fn the_committee_approves_rejects_or_lets_large_jobs_expire() {
    // Size of CNF is 7 literals + 3 clauses = 10; the threshold 5 sends it to review.
    let mut n = Net::new(3, 2, 5);
    let creator = n.creator.clone();
    let approved = n.submit(ProblemFormat::Cnf, CNF, 10, 4, 100, "").unwrap();
    let rejected = n.submit(ProblemFormat::Cnf, CNF, 10, 4, 100, "").unwrap();
    let ignored = n.submit(ProblemFormat::Cnf, CNF, 10, 4, 100, "").unwrap();
    let small = n
        .submit(
            ProblemFormat::Qubo,
            "p qubo 1 1 0\n0 0 -1\n",
            10,
            4,
            100,
            "",
        )
        .unwrap();
    assert_eq!(n.job(approved).status, JobStatus::AwaitingReview as i32);
    assert_eq!(
        n.job(small).status,
        JobStatus::Open as i32,
        "below the threshold: no review"
    );
    let (c, _) = code(n.commit(&n.solvers[0].clone(), approved, &[true, true, false], 0));
    assert_eq!(c, 9, "no solutions before approval");
    n.end_block();

    n.review(0, approved, true).unwrap();
    let (c, _) = code(n.review(0, approved, true));
    assert_eq!(c, 16);
    let (c, _) = code(n.tx(any(&MsgReviewJob {
        reviewer: creator.to_bech32(),
        job_id: approved,
        approve: true,
        reason: String::new(),
    })));
    assert_eq!(c, 15);
    n.review(1, approved, true).unwrap();
    let j = n.job(approved);
    assert_eq!(
        (j.status, j.start_height, j.deadline_height),
        (JobStatus::Open as i32, 3, 6)
    );
    n.review(0, rejected, false).unwrap();
    assert_eq!(
        n.job(rejected).status,
        JobStatus::AwaitingReview as i32,
        "one no of three, quorum 2"
    );
    n.review(1, rejected, false).unwrap();
    assert_eq!(n.job(rejected).status, JobStatus::Rejected as i32);
    let (c, _) = code(n.review(2, rejected, true));
    assert_eq!(c, 17);
    n.end_block();
    assert_eq!(handler::amount(&n.job(rejected).refunded).unwrap(), 140);
    for _ in 0..4 {
        n.end_block();
    }
    // Review deadline 2 + 5 = 7 has passed.
    assert_eq!(n.job(ignored).status, JobStatus::ReviewExpired as i32);
    assert_eq!(handler::amount(&n.job(ignored).refunded).unwrap(), 140);
    // The approved job's reveal window (3 blocks past its deadline) closes.
    for _ in 0..3 {
        n.end_block();
    }
    assert_eq!(n.job(approved).status, JobStatus::Expired as i32);
}

#[test]
fn bad_jobs_are_refused_with_their_own_codes_and_charge_nothing() {
    let mut n = Net::new(0, 1, 1_000_000);
    let creator = n.creator.clone();
    let cases: Vec<(MsgSubmitJob, u32, &str)> = vec![
        (
            MsgSubmitJob {
                format: 0,
                ..job(CNF)
            },
            2,
            "format 0",
        ),
        (
            MsgSubmitJob {
                problem: "p cnf 3 1\n1 4 0\n".into(),
                ..job(CNF)
            },
            3,
            "literal 4 is out of range",
        ),
        (
            MsgSubmitJob {
                problem: "p cnf 3 2\n1 0\n".into(),
                ..job(CNF)
            },
            3,
            "declares 2 clauses",
        ),
        (
            MsgSubmitJob {
                problem: "   ".into(),
                ..job(CNF)
            },
            3,
            "empty",
        ),
        (
            MsgSubmitJob {
                problem: "c\n".repeat(40_000),
                ..job(CNF)
            },
            4,
            "above the maximum",
        ),
        (
            MsgSubmitJob {
                block_fee: None,
                solution_reward: None,
                ..job(CNF)
            },
            5,
            "both zero",
        ),
        (
            MsgSubmitJob {
                block_fee: Some(ProtoCoin {
                    denom: "atom".into(),
                    amount: "5".into(),
                }),
                ..job(CNF)
            },
            5,
            "uglia",
        ),
        (
            MsgSubmitJob {
                max_blocks: 0,
                ..job(CNF)
            },
            6,
            "at least 1",
        ),
        (
            MsgSubmitJob {
                max_blocks: 10_000_000,
                ..job(CNF)
            },
            6,
            "above the maximum",
        ),
        (
            MsgSubmitJob {
                solution_reward: uglia(FUNDS * 2),
                ..job(CNF)
            },
            5,
            "",
        ),
    ];
    for (m, want, text) in cases {
        let msg = MsgSubmitJob {
            creator: creator.to_bech32(),
            ..m
        };
        let r = n.tx(any(&msg));
        let e = r.expect_err(text);
        if want == 5 && text.is_empty() {
            assert_eq!(e.codespace, "sdk", "overspend is bank's error: {}", e.log);
        } else {
            assert_eq!((e.codespace, e.code), ("neuro", want), "{}", e.log);
            assert!(e.log.contains(text), "{:?} lacks {text:?}", e.log);
        }
    }
    assert_eq!(n.balance(&creator), FUNDS);
    n.end_block();
}

fn job(problem: &str) -> MsgSubmitJob {
    MsgSubmitJob {
        creator: String::new(),
        format: ProblemFormat::Cnf as i32,
        problem: problem.into(),
        block_fee: uglia(1),
        max_blocks: 5,
        solution_reward: uglia(10),
        target_energy: String::new(),
    }
}

/// Bank learns every component's module accounts when the app is built, and refuses user
/// sends into them through the message router.
#[test]
fn nobody_can_send_coins_into_an_escrow_account() {
    use crate::component::AppBuilder;
    use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
    let app = AppBuilder::new()
        .with(bank::component::Bank::default())
        .with(crate::inference::component::Inference::default())
        .with(super::component::Neuro::default())
        .build()
        .unwrap();
    let mut n = Net::new(0, 1, 1_000_000);
    let creator = n.creator.clone();
    for module in [MODULE_ACCOUNT, crate::inference::MODULE_ACCOUNT] {
        let send = MsgSend {
            from_address: creator.to_bech32(),
            to_address: Address::module(module).to_bech32(),
            amount: vec![Coin::new(BASE_DENOM, 5).to_proto()],
        };
        let any = glia_proto::cosmos::Any {
            type_url: <MsgSend as prost::Name>::type_url(),
            value: prost::Message::encode_to_vec(&send),
        };
        let e = n
            .ctx_step(|ctx| app.dispatch(ctx, &any, &creator))
            .expect_err("escrow accounts are blocked");
        assert!(e.log.contains("not allowed to receive funds"), "{}", e.log);
    }
    n.end_block();
}

/// The board lists open jobs best paying first from its index keys, a page at a time, and a
/// job leaves it when it closes; other statuses list newest first.
#[test]
fn the_board_is_ordered_by_pay_and_paged_from_its_index() {
    use super::query;
    use glia_proto::cosmos::cosmos::base::query::v1beta1::PageRequest;
    let mut n = Net::new(0, 1, 1_000_000);
    let cheap = n.submit(ProblemFormat::Cnf, CNF, 1, 10, 100, "").unwrap();
    let rich = n.submit(ProblemFormat::Cnf, CNF, 100, 10, 100, "").unwrap();
    let mid = n.submit(ProblemFormat::Cnf, CNF, 10, 10, 100, "").unwrap();
    n.end_block();
    let page = |n: &mut Net, req: QueryJobsRequest| {
        let r = n.ctx_step(|ctx| query::jobs(ctx, req)).unwrap();
        let ids: Vec<u64> = r.jobs.iter().map(|j| j.id).collect();
        (ids, r.pagination.unwrap().next_key)
    };
    let first = QueryJobsRequest {
        pagination: Some(PageRequest {
            limit: 2,
            ..Default::default()
        }),
        ..Default::default()
    };
    let (ids, next) = page(&mut n, first);
    assert_eq!(ids, vec![rich, mid]);
    let (ids, _) = page(
        &mut n,
        QueryJobsRequest {
            pagination: Some(PageRequest {
                key: next,
                limit: 2,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(ids, vec![cheap]);
    n.tx(any(&MsgCancelJob {
        creator: n.creator.to_bech32(),
        job_id: rich,
    }))
    .unwrap();
    n.end_block();
    let (ids, _) = page(&mut n, QueryJobsRequest::default());
    assert_eq!(ids, vec![mid, cheap], "a cancelled job leaves the board");
    let (ids, _) = page(
        &mut n,
        QueryJobsRequest {
            status: JobStatus::Cancelled as i32,
            ..Default::default()
        },
    );
    assert_eq!(ids, vec![rich]);
}

/// A reveal refused in CheckTx costs its sender nothing, so a node must not parse a large
/// problem for each: the parsed problem is cached per job (and the same gas is charged).
#[test]
fn attack_repeated_reveals_do_not_parse_the_problem_again() {
    let mut n = Net::new(0, 1, 1_000_000);
    let id = n.submit(ProblemFormat::Qubo, BITS, 1, 5, 10, "").unwrap();
    n.end_block();
    let job = n.job(id);
    let params = n.ctx_step(|ctx| state::params(ctx)).unwrap();
    let (a, gas_a) = n
        .ctx_step(|ctx| {
            let p = handler::parsed_problem(ctx, &params, &job)?;
            Ok((p, ctx.gas.used()))
        })
        .unwrap();
    let (b, gas_b) = n
        .ctx_step(|ctx| {
            let p = handler::parsed_problem(ctx, &params, &job)?;
            Ok((p, ctx.gas.used()))
        })
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b), "parsed once");
    assert_eq!(gas_a, gas_b, "the same gas with or without the cache");
}

/// A solver's pay goes to its withdraw address (a cold wallet), not to the key it commits and
/// reveals with, and its all-time earnings from jobs are kept for the query.
#[test]
fn solver_pay_goes_to_the_withdraw_address_and_is_counted() {
    use crate::distribution::work;
    let mut n = Net::new(0, 1, 1_000_000);
    let s1 = n.solvers[1].clone();
    let cold = Address::module("s1's cold wallet");
    n.ctx_step(|ctx| crate::distribution::state::set_withdraw_address(ctx, &s1, &cold))
        .unwrap();
    let id = n
        .submit(ProblemFormat::Cnf, CNF, 100, 10, 5_000, "")
        .unwrap();
    n.end_block();
    n.commit(&s1, id, &[true, true, false], 0).unwrap();
    n.end_block();
    n.reveal(&s1, id, &[true, true, false], 0).unwrap();
    n.end_block();
    assert_eq!(n.job(id).winner, s1.to_bech32());
    assert_eq!(n.balance(&s1), FUNDS, "nothing to the solver's own key");
    let paid = n.balance(&cold);
    assert!(
        paid >= 5_000,
        "the reward and fees at the withdraw address: {paid}"
    );
    let earned = n.ctx_step(|c| work::earned_from(c, "job", &s1)).unwrap();
    assert_eq!(earned, paid);
}

/// simd's uatom over Glia's first channel, accepted for jobs at 3 units for 2 uglia.
const TRACE: &str = "transfer/channel-0/uatom";

impl Net {
    /// Jobs may pay in TRACE's voucher; the creator holds FUNDS of it. Returns its denom.
    fn accept_voucher(&mut self) -> String {
        let voucher = crate::coins::bank_denom_of(TRACE);
        let creator = self.creator.clone();
        let v = voucher.clone();
        self.ctx_step(|ctx| {
            let mut p = state::params(ctx)?;
            p.fee_denoms =
                crate::coins::fee_denoms_from_genesis(&[crate::coins::GenesisFeeDenom {
                    denom: TRACE.into(),
                    units: 3,
                    uglia: 2,
                }]);
            state::set_params(ctx, &p)?;
            bank::mint(ctx, &creator, &[Coin::new(&v, FUNDS)])
        })
        .unwrap();
        voucher
    }

    fn balance_of(&mut self, a: &Address, denom: &str) -> u128 {
        self.ctx_step(|ctx| bank::state::balance(ctx, a, denom))
            .unwrap()
    }

    fn submit_in(&mut self, fee: Coin, blocks: u64, reward: Coin) -> AppResult<u64> {
        let r = self.tx(any(&MsgSubmitJob {
            creator: self.creator.to_bech32(),
            block_fee: Some(fee.to_proto()),
            max_blocks: blocks,
            solution_reward: Some(reward.to_proto()),
            ..job(CNF)
        }))?;
        Ok(MsgSubmitJobResponse::decode(r.value.as_slice())
            .unwrap()
            .job_id)
    }
}

/// A job paid in an accepted voucher: escrow, block fees, reward and refund all move in it;
/// the board ranks it by its pay's uglia worth; the solver's work counts at that worth. The
/// escrow invariant holds denom by denom at every block.
#[test]
fn a_job_paid_in_an_accepted_voucher_is_escrowed_paid_and_refunded_in_it() {
    use crate::distribution::work;
    let mut n = Net::new(0, 1, 1_000_000);
    let voucher = n.accept_voucher();
    let module = Address::module(MODULE_ACCOUNT);
    let creator = n.creator.clone();
    let id = n
        .submit_in(Coin::new(&voucher, 100), 10, Coin::new(&voucher, 5_000))
        .unwrap();
    // The same pay in uglia ranks above it: 6,000 voucher units are worth 4,000 uglia.
    let plain = n
        .submit(ProblemFormat::Cnf, CNF, 100, 10, 5_000, "")
        .unwrap();
    let (j, p) = (n.job(id), n.job(plain));
    assert_eq!(j.escrow.as_ref().unwrap().denom, voucher);
    assert_eq!(handler::amount(&j.escrow).unwrap(), 6_000);
    assert_eq!(j.pay_per_unit_micro * 3, p.pay_per_unit_micro * 2);
    assert_eq!(n.balance_of(&creator, &voucher), FUNDS - 6_000);
    assert_eq!(n.balance_of(&module, &voucher), 6_000);
    n.end_block();
    let s1 = n.solvers[1].clone();
    n.commit(&s1, id, &[true, true, false], 0).unwrap();
    n.end_block();
    n.reveal(&s1, id, &[true, true, false], 0).unwrap();
    n.end_block();
    let j = n.job(id);
    assert_eq!(j.status, JobStatus::Solved as i32);
    // Block fees of blocks 2..=4 and the reward, in the voucher; the rest refunded in it.
    assert_eq!(n.balance_of(&s1, &voucher), 300 + 5_000);
    assert_eq!(n.balance(&s1), FUNDS, "no uglia paid");
    assert_eq!(n.balance_of(&creator, &voucher), FUNDS - 6_000 + 700);
    assert_eq!(j.refunded.as_ref().unwrap().denom, voucher);
    assert_eq!(handler::amount(&j.refunded).unwrap(), 700);
    assert_eq!(j.fees_paid.as_ref().unwrap().denom, voucher);
    let earned = n.ctx_step(|c| work::earned_from(c, "job", &s1)).unwrap();
    assert_eq!(earned, 5_300 * 2 / 3, "the pay's uglia worth, rounded down");
    // The uglia job is still open with its own escrow beside it.
    assert_eq!(n.balance_of(&module, &voucher), 0);
    assert_eq!(n.balance(&module), 6_000);
}

/// Attacks on a job's denom: a token the params do not list (code 25), or a fee in one denom
/// and a reward in another (code 5), are refused and nothing moves.
#[test]
fn attack_a_job_in_an_unaccepted_or_mixed_denom_is_refused() {
    let mut n = Net::new(0, 1, 1_000_000);
    let junk = crate::coins::bank_denom_of("transfer/channel-9/ujunk");
    let creator = n.creator.clone();
    n.ctx_step(|ctx| bank::mint(ctx, &creator, &[Coin::new(&junk, FUNDS)]))
        .unwrap();
    let before: Vec<_> = n.ctx_step(|ctx| ctx.scan("")).unwrap();
    let (c, log) = code(n.submit_in(Coin::new(&junk, 100), 10, Coin::new(&junk, 5_000)));
    assert_eq!(c, 25, "{log}");
    assert!(
        log.contains(&junk) && log.contains("accepted: uglia"),
        "{log}"
    );
    let voucher = crate::coins::bank_denom_of(TRACE);
    let (c, log) = code(n.submit_in(Coin::new(&voucher, 100), 10, Coin::new(BASE_DENOM, 5_000)));
    assert_eq!(c, 5, "{log}");
    assert!(log.contains("one denom"), "{log}");
    let after: Vec<_> = n.ctx_step(|ctx| ctx.scan("")).unwrap();
    assert_eq!(before, after, "nothing changed");
}
