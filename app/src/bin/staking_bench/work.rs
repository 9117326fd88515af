//! Useful work for the epoch end, through real txs: `--workers` solvers are each paid by
//! `--requesters-per-worker` distinct requesters in every measured epoch. Each requester
//! submits one tiny SAT job per solver it pays (one tx of `MsgSubmitJob`s), each solver commits
//! to its jobs' solution in the next block and reveals it in the one after (one tx of each);
//! every reveal meets the target, so the job settles at the end of that block, pays its solver
//! and records the work with distribution (`record_work`). The epoch end then pays the
//! useful-work pool out to every solver and deletes the epoch's score and pair records.
//!
//! Self-dealing: every `--self-every`-th solver's withdraw address is one of its requesters
//! (set once, in setup), so the work that requester pays for is the solver's own party's:
//! counted (`self_dealt`) but never scored, and no pair key is written for it.

use super::chain::{sign_txs, Account, Chain, GLIA};
use anyhow::{ensure, Context, Result};
use glia_client::tx::any;
use glia_modules::address::Address;
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::distribution::state::{state_key, WORK_POOL};
use glia_modules::neuro::msgs::solution_commitment;
use glia_modules::neuro::problem::pack;
use glia_modules::{Kv, ReadOnly};
use glia_proto::cosmos::cosmos::distribution::v1beta1::MsgSetWithdrawAddress;
use glia_proto::neuro::v1::{MsgCommitSolution, MsgSubmitJob, MsgSubmitSolution, ProblemFormat};

/// x1 ∨ ¬x2, x2 ∨ x3, ¬x1 ∨ ¬x3: the all-false assignment leaves one clause unsatisfied.
const CNF: &str = "p cnf 3 3\n1 -2 0\n2 3 0\n-1 -3 0\n";
/// Satisfies all three clauses: energy 0, the target of a SAT job.
const SOLUTION: [bool; 3] = [true, true, false];
const SALT: [u8; 16] = [7; 16];
/// Gas limit of a work tx of 10 messages (a generous bound; its fee is the minimum price).
const GAS: u64 = 4_000_000;
/// What the useful-work pool holds at genesis, on top of its share of every block.
pub const POOL_GENESIS: u128 = 1_000_000 * GLIA;

pub struct Work {
    solvers: Vec<Account>,
    requesters: Vec<Account>,
    per_worker: usize,
    self_every: usize,
    /// This epoch's jobs: (solver, job id).
    jobs: Vec<(usize, u64)>,
}

/// The epoch's records just before its end, and what the end paid.
#[derive(Default)]
pub struct Epoch {
    pub scores: usize,
    pub pairs: usize,
    pub self_dealt: u64,
    pub pool: u128,
    pub workers_paid: u64,
    pub paid: u128,
    pub carried: u128,
    /// Score and pair records left after the end (0: all deleted).
    pub left: usize,
}

fn coin(n: u128) -> Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin> {
    Some(Coin::new(BASE_DENOM, n).to_proto())
}

/// Score and pair records in the committed store.
fn records(chain: &Chain) -> Result<(usize, usize)> {
    let latest = chain.app.0.store.latest();
    let mut kv = ReadOnly(&latest);
    Ok((
        kv.kv_scan_keys(state_key::WORK_PREFIX)?.len(),
        kv.kv_scan_keys(state_key::WORK_PAIR_PREFIX)?.len(),
    ))
}

impl Work {
    pub fn new(workers: usize, per_worker: usize, self_every: usize) -> Result<Work> {
        ensure!(
            per_worker >= 1 && per_worker <= workers,
            "--requesters-per-worker must be 1 to --workers"
        );
        let keys = |what: &str| -> Vec<Account> {
            (0..workers)
                .map(|i| Account::new(&format!("bench {what} {i}")))
                .collect()
        };
        Ok(Work {
            solvers: keys("solver"),
            requesters: keys("requester"),
            per_worker,
            self_every: self_every.max(1),
            jobs: Vec::new(),
        })
    }

    /// Genesis balances: requesters, solvers (for their fees), the pool.
    pub fn balances(&self) -> Vec<(String, u128)> {
        let to = |a: &Account, n: u128| (a.key.address.to_bech32(), n);
        self.requesters
            .iter()
            .map(|a| to(a, 1_000_000 * GLIA))
            .chain(self.solvers.iter().map(|a| to(a, 1000 * GLIA)))
            .chain([(Address::module(WORK_POOL).to_bech32(), POOL_GENESIS)])
            .collect()
    }

    pub fn numbers(&mut self, chain: &Chain) -> Result<()> {
        chain.numbers(&mut self.solvers)?;
        chain.numbers(&mut self.requesters)
    }

    /// The k-th requester paying solver `w`: requesters w, w + n/per, w + 2n/per, ... (mod n),
    /// so every requester pays `per_worker` distinct solvers and every solver is paid by
    /// `per_worker` distinct requesters.
    fn requester(&self, w: usize, k: usize) -> usize {
        let n = self.requesters.len();
        (w + k * (n / self.per_worker)) % n
    }

    /// Setup: the self-dealing solvers set their withdraw address to their first requester.
    pub fn withdraw_addresses(&mut self) -> Vec<Vec<u8>> {
        let items = (0..self.solvers.len())
            .step_by(self.self_every)
            .map(|w| {
                let r = self.requester(w, 0);
                let m = any(&MsgSetWithdrawAddress {
                    delegator_address: self.solvers[w].key.address.to_bech32(),
                    withdraw_address: self.requesters[r].key.address.to_bech32(),
                });
                (w, vec![m])
            })
            .collect();
        sign_txs(&mut self.solvers, items, GAS)
    }

    /// Every requester's jobs, one per solver it pays; fees vary with the pair.
    pub fn submit_jobs(&mut self) -> Vec<Vec<u8>> {
        let n = self.requesters.len();
        let stride = n / self.per_worker;
        let items = (0..n)
            .map(|r| {
                let creator = self.requesters[r].key.address.to_bech32();
                let msgs = (0..self.per_worker)
                    .map(|k| {
                        let w = (r + n - (k * stride) % n) % n;
                        let fee = (1 + ((w * 31 + r * 17) % 50) as u128) * GLIA / 10;
                        any(&MsgSubmitJob {
                            creator: creator.clone(),
                            format: ProblemFormat::Cnf as i32,
                            problem: CNF.into(),
                            block_fee: coin(fee),
                            max_blocks: 10,
                            solution_reward: coin(fee * 5),
                            target_energy: String::new(),
                        })
                    })
                    .collect();
                (r, msgs)
            })
            .collect();
        sign_txs(&mut self.requesters, items, GAS)
    }

    /// The job ids the last (submission) block assigned, by solver.
    pub fn read_jobs(&mut self, chain: &Chain) -> Result<()> {
        let n = self.requesters.len();
        let stride = n / self.per_worker;
        self.jobs.clear();
        for (r, res) in chain.last.tx_results.iter().enumerate() {
            let ids = res
                .events
                .iter()
                .filter(|e| e.r#type == "submit_job")
                .map(|e| {
                    e.attributes
                        .iter()
                        .find(|a| a.key == "job_id")
                        .context("submit_job without job_id")
                        .and_then(|a| Ok(a.value.parse::<u64>()?))
                });
            for (k, id) in ids.enumerate() {
                self.jobs.push(((r + n - (k * stride) % n) % n, id?));
            }
        }
        ensure!(
            self.jobs.len() == n * self.per_worker,
            "{} jobs submitted, not {}",
            self.jobs.len(),
            n * self.per_worker
        );
        self.jobs.sort_unstable();
        Ok(())
    }

    /// One tx per solver of its jobs' messages.
    fn per_solver(&mut self, msg: impl Fn(&str, u64) -> glia_proto::cosmos::Any) -> Vec<Vec<u8>> {
        let mut items: Vec<(usize, Vec<_>)> = Vec::new();
        for &(w, id) in &self.jobs {
            let solver = self.solvers[w].key.address.to_bech32();
            match items.last_mut() {
                Some((last, msgs)) if *last == w => msgs.push(msg(&solver, id)),
                _ => items.push((w, vec![msg(&solver, id)])),
            }
        }
        sign_txs(&mut self.solvers, items, GAS)
    }

    pub fn commits(&mut self) -> Vec<Vec<u8>> {
        self.per_solver(|solver, job_id| {
            any(&MsgCommitSolution {
                solver: solver.into(),
                job_id,
                commitment: solution_commitment(job_id, solver, 0, &pack(&SOLUTION), &SALT)
                    .to_vec(),
            })
        })
    }

    pub fn reveals(&mut self) -> Vec<Vec<u8>> {
        self.per_solver(|solver, job_id| {
            any(&MsgSubmitSolution {
                solver: solver.into(),
                job_id,
                assignment: pack(&SOLUTION),
                claimed_energy: 0,
                salt: SALT.to_vec(),
            })
        })
    }

    /// The records waiting for the epoch end, read from the committed store before it.
    pub fn before_end(chain: &Chain) -> Result<Epoch> {
        let latest = chain.app.0.store.latest();
        let mut kv = ReadOnly(&latest);
        let epoch = glia_modules::distribution::work::current_epoch(&mut kv)?;
        let scores = glia_modules::distribution::work::scores(&mut kv, epoch)?;
        let (scores_n, pairs) = records(chain)?;
        Ok(Epoch {
            scores: scores_n,
            pairs,
            self_dealt: scores.iter().map(|s| s.self_dealt).sum(),
            pool: glia_modules::bank::api::balance(
                &mut kv,
                &Address::module(WORK_POOL),
                BASE_DENOM,
            )?,
            ..Default::default()
        })
    }

    /// What the epoch end paid (distribution's `last_payout`), and the records it left.
    pub fn after_end(chain: &Chain, e: &mut Epoch) -> Result<()> {
        let latest = chain.app.0.store.latest();
        let p = glia_modules::distribution::state::last_payout(&mut ReadOnly(&latest))?
            .context("no useful-work payout recorded")?;
        ensure!(
            p.height == chain.height,
            "the last payout is from {}",
            p.height
        );
        e.workers_paid = p.workers;
        e.paid = p.paid.parse()?;
        e.carried = p.carried.parse()?;
        let (s, pairs) = records(chain)?;
        e.left = s + pairs;
        Ok(())
    }
}
