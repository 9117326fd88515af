//! The validator's neuromorphic worker: it reads the job board from committed state, takes
//! the best-paying open job it can hold, runs the DMM solver on it and submits every
//! improvement as a `MsgSubmitSolution` signed by the operator account — by itself, like
//! any other solver (the chain pays whoever improves first; a creator's own jobs pay
//! nothing, so the worker skips them).

use crate::app::App;
use crate::client::{any, sign_tx, TxParams};
use crate::keys::Key;
use crate::rpc::Rpc;
use anyhow::{Context, Result};
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::neuro::handler::format_of;
use glia_modules::neuro::problem::{pack, Limits, Problem};
use glia_modules::neuro::{query, state};
use glia_modules::{auth, ReadOnly};
use glia_proto::neuro::v1::{Job, JobStatus, MsgSubmitSolution, QueryJobsRequest};
use glia_validator_gpu::dmm::{self, Candidate, SolveOptions};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct NeuroWorkerConfig {
    /// The account that signs solutions and is paid for them.
    pub operator: Key,
    /// CometBFT RPC for broadcasting.
    pub rpc: String,
    /// Solver threads (0 = every core).
    pub threads: usize,
    /// Wall-clock budget per job; a job not solved in it is left to others.
    pub max_seconds_per_job: u64,
    /// Largest problem (variables) this worker takes.
    pub max_vars: u32,
    pub device: dmm::Device,
}

/// Why a solution was not sent.
enum Refused {
    /// The job is no longer open (solved or closed in the mempool's state).
    Closed(String),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Self {
        Refused::Other(e)
    }
}

pub struct NeuroWorker {
    app: App,
    cfg: NeuroWorkerConfig,
    rpc: Rpc,
    tried: BTreeSet<u64>,
    /// (account number, next sequence) as this worker last used them.
    seq: Option<(u64, u64)>,
}

/// Gas a solution needs: parsing and checking scale with the problem.
fn solution_gas(job: &Job, problem_bytes: usize) -> u64 {
    300_000 + 40 * problem_bytes as u64 + 20 * job.size
}

impl NeuroWorker {
    pub fn new(app: App, cfg: NeuroWorkerConfig) -> Self {
        let rpc = Rpc::new(&cfg.rpc);
        NeuroWorker {
            app,
            cfg,
            rpc,
            tried: BTreeSet::new(),
            seq: None,
        }
    }

    pub fn run(mut self) {
        tracing::info!(operator = %self.cfg.operator.address, threads = self.cfg.threads, "neuro worker ready");
        loop {
            match self.next_job() {
                Ok(Some(job)) => {
                    let id = job.id;
                    if let Err(e) = self.work(job) {
                        tracing::warn!(job = id, "neuro job: {e:#}");
                    }
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(300)),
                Err(e) => {
                    tracing::warn!("neuro worker: {e:#}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    /// The best-paying open job this worker has not tried, can hold and would be paid for.
    fn next_job(&mut self) -> Result<Option<Job>> {
        let latest = self.app.0.store.latest();
        if latest.height() == 0 {
            return Ok(None);
        }
        let kv = &mut ReadOnly(&latest);
        let board = query::jobs(kv, QueryJobsRequest::default())?;
        let me = self.cfg.operator.address.to_bech32();
        Ok(board.jobs.into_iter().find(|j| {
            j.creator != me && j.num_vars <= self.cfg.max_vars && !self.tried.contains(&j.id)
        }))
    }

    fn chain_job(&self, id: u64) -> Result<Option<Job>> {
        let latest = self.app.0.store.latest();
        Ok(state::job(&mut ReadOnly(&latest), id)?)
    }

    fn work(&mut self, job: Job) -> Result<()> {
        self.tried.insert(job.id);
        let text = {
            let latest = self.app.0.store.latest();
            state::problem(&mut ReadOnly(&latest), job.id)?
        };
        let problem = Problem::parse(format_of(job.format)?, &text, &Limits::LOCAL)
            .map_err(|e| anyhow::anyhow!("job {} problem does not parse: {e}", job.id))?;
        tracing::info!(
            job = job.id,
            vars = problem.num_vars(),
            size = job.size,
            "solving neuro job"
        );
        let opts = SolveOptions {
            time_limit: Duration::from_secs(self.cfg.max_seconds_per_job),
            threads: self.cfg.threads,
            seed: job.id ^ u64::from_le_bytes(job.problem_sha256[..8].try_into().unwrap_or([0; 8])),
            target_energy: job.has_target.then_some(job.target_energy),
            device: self.cfg.device,
            ..SolveOptions::default()
        };
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<Candidate>();
        std::thread::scope(|s| -> Result<()> {
            let solver = s.spawn(|| {
                dmm::solve(&problem, &opts, &stop, |c: &Candidate| {
                    let _ = tx.send(c.clone());
                })
            });
            let mut best: Option<Candidate> = None;
            let mut sent: Option<(i64, Instant)> = None;
            loop {
                let finished = solver.is_finished();
                while let Ok(c) = rx.recv_timeout(Duration::from_millis(200)) {
                    if best.as_ref().is_none_or(|b| c.energy < b.energy) {
                        best = Some(c);
                    }
                    if rx.try_recv().is_err() {
                        break;
                    }
                }
                let Some(chain) = self.chain_job(job.id)? else {
                    break;
                };
                if chain.status != JobStatus::Open as i32 {
                    tracing::info!(job = job.id, status = chain.status, "neuro job closed");
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                let chain_best = chain.has_best.then_some(chain.best_energy);
                if let Some(b) = &best {
                    let improves = chain_best.is_none_or(|e| b.energy < e);
                    let meets = chain.has_target && b.energy <= chain.target_energy;
                    // About one submission per block: a better candidate than the one in
                    // flight waits a second (unless it meets the target), and one the chain
                    // has not taken in 3 s is sent again.
                    let due = match sent {
                        None => true,
                        Some((e, t)) => {
                            (b.energy < e && (meets || t.elapsed() >= Duration::from_secs(1)))
                                || t.elapsed() >= Duration::from_secs(3)
                        }
                    };
                    if improves && due {
                        // Whatever the outcome, this energy counts as sent: a refusal means
                        // the mempool already holds something as good (or the job closed),
                        // so only a better candidate, or 3 s without news, sends again.
                        sent = Some((b.energy, Instant::now()));
                        match self.submit(&chain, &text, b) {
                            Ok(()) => {}
                            Err(Refused::Closed(log)) => {
                                tracing::info!(job = job.id, "job closed in the mempool: {log}");
                                stop.store(true, Ordering::Relaxed);
                                break;
                            }
                            Err(Refused::Other(e)) => {
                                tracing::warn!(job = job.id, "submitting solution: {e:#}")
                            }
                        }
                    }
                }
                if finished && rx.try_recv().is_err() {
                    // Give the last submission a moment to land before moving on.
                    if sent.is_some_and(|(_, t)| t.elapsed() < Duration::from_secs(3))
                        && best
                            .as_ref()
                            .is_some_and(|b| chain_best.is_none_or(|c| b.energy < c))
                    {
                        std::thread::sleep(Duration::from_millis(300));
                        continue;
                    }
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
            let outcome = solver
                .join()
                .map_err(|_| anyhow::anyhow!("solver thread panicked"))??;
            tracing::info!(
                job = job.id,
                energy = outcome.best.as_ref().map(|c| c.energy),
                solved = outcome.solved,
                steps = outcome.steps,
                "neuro solver finished"
            );
            Ok(())
        })
    }

    fn submit(&mut self, job: &Job, text: &str, c: &Candidate) -> Result<(), Refused> {
        let (number, seq) = match self.seq {
            Some(s) => s,
            None => self.refresh_seq()?,
        };
        let gas = solution_gas(job, text.len());
        let msg = MsgSubmitSolution {
            solver: self.cfg.operator.address.to_bech32(),
            job_id: job.id,
            assignment: pack(&c.assignment),
            claimed_energy: c.energy,
        };
        let chain_id = {
            let latest = self.app.0.store.latest();
            crate::params::ChainParams::load(&mut ReadOnly(&latest))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .chain_id
        };
        let mut params = TxParams {
            chain_id,
            account_number: number,
            sequence: seq,
            // 0.025uglia per gas, rounded up.
            fee: vec![Coin::new(BASE_DENOM, u128::from(gas).div_ceil(40))],
            gas_limit: gas,
            memo: String::new(),
        };
        let mut b = self
            .rpc
            .broadcast(&sign_tx(&self.cfg.operator, vec![any(&msg)], &params))?;
        if b.code == 32 {
            // Another tx of this account (the executor's registration) moved the sequence.
            let (n, s) = self.refresh_seq()?;
            params.account_number = n;
            params.sequence = s;
            b = self
                .rpc
                .broadcast(&sign_tx(&self.cfg.operator, vec![any(&msg)], &params))?;
        }
        if b.code != 0 {
            // CheckTx refusals do not move the sequence; anything else might have.
            if b.codespace != "neuro" {
                self.seq = None;
            }
            if b.codespace == "neuro" && b.code == 9 {
                return Err(Refused::Closed(b.log));
            }
            return Err(Refused::Other(anyhow::anyhow!(
                "code {} ({}): {}",
                b.code,
                b.codespace,
                b.log
            )));
        }
        self.seq = Some((params.account_number, params.sequence + 1));
        tracing::info!(job = job.id, energy = c.energy, "solution sent");
        Ok(())
    }

    fn refresh_seq(&mut self) -> Result<(u64, u64)> {
        let latest = self.app.0.store.latest();
        let acc = auth::get_account(&mut ReadOnly(&latest), &self.cfg.operator.address)?
            .context("operator account does not exist (fund it first)")?;
        let s = (acc.account_number, acc.sequence);
        self.seq = Some(s);
        Ok(s)
    }
}
