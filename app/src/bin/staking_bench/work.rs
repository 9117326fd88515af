//! Useful work for the epoch end, through real txs: `--workers` solvers are each paid by
//! `--requesters-per-worker` distinct requesters in every measured epoch. Each requester
//! submits one tiny SAT job per solver it pays (one tx of `MsgSubmitJob`s), each solver commits
//! to its jobs' solution in the next block and reveals it in the one after (one tx of each);
//! every reveal meets the target, so the job settles at the end of that block, pays its solver
//! and records the work with distribution (`record_work`). The epoch's last block closes it
//! (distribution sets the pot aside) and the blocks after it pay the useful-work pool out to
//! every solver, `payout_records_per_block` score and pair records a block, deleting them.
//!
//! Self-dealing: every `--self-every`-th solver's withdraw address is one of its requesters
//! (set once, in setup), so the work that requester pays for is the solver's own party's:
//! counted (`self_dealt`) but never scored, and no pair key is written for it.

use super::chain::{sign_txs, Account, Chain, GLIA};
use anyhow::{ensure, Context, Result};
use glia_client::tx::any;
use glia_modules::address::Address;
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::distribution::state::{self, state_key, WORK_POOL};
use glia_modules::distribution::work;
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

/// One measured epoch: its records before its last block, the payout the close set up, and
/// what the payout paid over the blocks after it.
#[derive(Default)]
pub struct Epoch {
    /// Distribution's number for it.
    pub number: u64,
    /// The height that closed it.
    pub close: u64,
    pub scores: usize,
    pub pairs: usize,
    pub self_dealt: u64,
    /// The pool's balance before the close.
    pub pool: u128,
    /// The pot the close set aside.
    pub pot: u128,
    /// Payouts of older epochs still running when it closed (0 unless the epoch is too
    /// short for a payout).
    pub older_running: usize,
    /// The blocks that paid it (heights).
    pub payout_blocks: Vec<u64>,
    /// The height where its payout completed (`last_payout`).
    pub done: Option<u64>,
    pub workers_paid: u64,
    pub paid: u128,
    pub carried: u128,
    /// Its score and pair records left when its payout completed (0: all deleted).
    pub left: usize,
    /// Whether the figures are from the payout's event, not `last_payout` (which a later
    /// payout completed in the same block overwrote).
    pub from_event: bool,
}

fn coin(n: u128) -> Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin> {
    Some(Coin::new(BASE_DENOM, n).to_proto())
}

/// The epoch's score and pair records in the committed store.
fn records(kv: &mut impl Kv, epoch: u64) -> Result<(usize, usize)> {
    let pairs = format!("{}{epoch:020}/", state_key::WORK_PAIR_PREFIX);
    Ok((
        kv.kv_scan_keys(&state_key::works_of_epoch(epoch))?.len(),
        kv.kv_scan_keys(&pairs)?.len(),
    ))
}

/// The epochs whose payout is running, in the committed store.
pub fn paying(chain: &Chain) -> Result<Vec<u64>> {
    let latest = chain.app.0.store.latest();
    Ok(work::paying(&mut ReadOnly(&latest))?
        .iter()
        .map(|p| p.epoch)
        .collect())
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

    /// The records waiting for the epoch's close, read from the committed store before it.
    pub fn before_close(chain: &Chain) -> Result<Epoch> {
        let latest = chain.app.0.store.latest();
        let mut kv = ReadOnly(&latest);
        let number = work::current_epoch(&mut kv)?;
        let scores = work::scores(&mut kv, number)?;
        let (scores_n, pairs) = records(&mut kv, number)?;
        Ok(Epoch {
            number,
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

    /// The payout the close set up (`work::paying`).
    pub fn after_close(chain: &Chain, e: &mut Epoch) -> Result<()> {
        let latest = chain.app.0.store.latest();
        let mut kv = ReadOnly(&latest);
        ensure!(
            work::current_epoch(&mut kv)? == e.number + 1,
            "the close did not start the next epoch"
        );
        let running = work::paying(&mut kv)?;
        let p = running
            .iter()
            .find(|p| p.epoch == e.number)
            .context("the close set up no payout")?;
        e.close = chain.height;
        e.pot = p.pot.parse()?;
        e.older_running = running.iter().filter(|p| p.epoch < e.number).count();
        Ok(())
    }

    /// After a block that paid the epoch's workers: whether its payout completed there, and
    /// if so what `last_payout` says it paid and the records it left.
    pub fn after_payout_block(chain: &Chain, e: &mut Epoch) -> Result<()> {
        let latest = chain.app.0.store.latest();
        let mut kv = ReadOnly(&latest);
        e.payout_blocks.push(chain.height);
        if work::paying(&mut kv)?.iter().any(|p| p.epoch == e.number) {
            return Ok(());
        }
        e.done = Some(chain.height);
        let (s, pairs) = records(&mut kv, e.number)?;
        e.left = s + pairs;
        match state::last_payout(&mut kv)? {
            Some(p) if p.epoch == e.number => {
                ensure!(
                    p.height == chain.height,
                    "epoch {}'s payout at {}",
                    p.epoch,
                    p.height
                );
                e.workers_paid = p.workers;
                e.paid = p.paid.parse()?;
                e.carried = p.carried.parse()?;
            }
            // A later payout completed in the same block (epochs shorter than a payout):
            // `last_payout` is that one's; this one's figures are in its event.
            _ => {
                let ev = chain
                    .last
                    .events
                    .iter()
                    .filter(|ev| ev.r#type == "useful_work_payout")
                    .find(|ev| attr(ev, "epoch") == e.number.to_string())
                    .context("the payout completed without its event")?;
                e.from_event = true;
                e.workers_paid = attr(ev, "workers").parse()?;
                e.paid = uglia(&attr(ev, "paid"))?;
                e.carried = uglia(&attr(ev, "carried"))?;
            }
        }
        Ok(())
    }
}

fn attr(ev: &tendermint_proto::v0_38::abci::Event, key: &str) -> String {
    ev.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_default()
}

/// An amount of "<n>uglia".
fn uglia(coin: &str) -> Result<u128> {
    Ok(coin.trim_end_matches(BASE_DENOM).parse()?)
}
