//! The validator's neuromorphic worker: it reads the job board from committed state, takes
//! the best-paying open job it can hold, runs the DMM solver on it and sends every
//! improvement as any solver must: a `MsgCommitSolution` with a salted hash first, then,
//! once that commitment is in a block, the `MsgSubmitSolution` that reveals it — signed by
//! the operator account (the chain pays improvements in commitment order; a creator's own
//! jobs pay nothing, so the worker skips them).

use super::ChainView;
use anyhow::{Context, Result};
use glia_client::keys::Key;
use glia_client::rpc::Rpc;
use glia_client::tx::any;
use glia_modules::neuro::handler::format_of;
use glia_modules::neuro::msgs::solution_commitment;
use glia_modules::neuro::problem::{pack, Limits, Problem};
use glia_modules::neuro::{query, state};
use glia_modules::{auth, ReadOnly};
use glia_proto::cosmos::cosmos::base::query::v1beta1::PageRequest;
use glia_proto::neuro::v1::{
    Job, JobStatus, MsgCommitSolution, MsgSubmitSolution, QueryJobsRequest,
};
use glia_validator_gpu::dmm::{self, Candidate, SolveOptions};
use rand_core::{OsRng, RngCore};
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

/// A simulation's refusal as the worker reads a CheckTx one: a closed job (neuro code 9)
/// moves it on.
fn refusal(e: anyhow::Error) -> Refused {
    match e.downcast_ref::<glia_modules::AppError>() {
        Some(a) if a.codespace == "neuro" && a.code == 9 => Refused::Closed(a.log.clone()),
        _ => Refused::Other(e),
    }
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Self {
        Refused::Other(e)
    }
}

pub struct NeuroWorker {
    chain: ChainView,
    cfg: NeuroWorkerConfig,
    rpc: Rpc,
    tried: BTreeSet<u64>,
    /// (account number, next sequence) as this worker last used them.
    seq: Option<(u64, u64)>,
}

/// A candidate this worker committed to and has yet to reveal.
struct Pending {
    candidate: Candidate,
    salt: Vec<u8>,
    commitment: [u8; 32],
    /// When the commitment (or, once `revealed`, the reveal) was sent.
    sent: Instant,
    revealed: bool,
}

impl NeuroWorker {
    pub fn new(chain: ChainView, cfg: NeuroWorkerConfig) -> Self {
        let rpc = Rpc::new(&cfg.rpc);
        NeuroWorker {
            chain,
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
        let latest = self.chain.latest();
        if latest.height() == 0 {
            return Ok(None);
        }
        let kv = &mut ReadOnly(&latest);
        let me = self.cfg.operator.address.to_bech32();
        // The board from the top, a page at a time: only the pages read are loaded.
        let mut page = PageRequest {
            limit: 32,
            ..Default::default()
        };
        loop {
            let board = query::jobs(
                kv,
                QueryJobsRequest {
                    pagination: Some(page.clone()),
                    ..Default::default()
                },
            )?;
            if let Some(j) = board.jobs.into_iter().find(|j| {
                j.creator != me && j.num_vars <= self.cfg.max_vars && !self.tried.contains(&j.id)
            }) {
                return Ok(Some(j));
            }
            match board.pagination {
                Some(p) if !p.next_key.is_empty() => page.key = p.next_key,
                _ => return Ok(None),
            }
        }
    }

    fn work(&mut self, job: Job) -> Result<()> {
        self.tried.insert(job.id);
        let text = {
            let latest = self.chain.latest();
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
        let run_started = Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let solver = s.spawn(|| {
                dmm::solve(&problem, &opts, &stop, |c: &Candidate| {
                    let _ = tx.send(c.clone());
                })
            });
            let mut best: Option<Candidate> = None;
            let mut pending: Option<Pending> = None;
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
                let (height, Some(chain), mine) = self.chain_view(job.id)? else {
                    break;
                };
                if chain.status != JobStatus::Open as i32 {
                    tracing::info!(job = job.id, status = chain.status, "neuro job closed");
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                let chain_best = chain.has_best.then_some(chain.best_energy);
                // Reveal a commitment once it is in a block; forget one the chain lost or
                // that the board has overtaken.
                if let Some(p) = &mut pending {
                    let committed = mine.as_ref().is_some_and(|c| c.commitment == p.commitment);
                    if !p.revealed && committed {
                        p.revealed = true;
                        p.sent = Instant::now();
                        if let Err(e) = self.send(
                            &chain,
                            any(&MsgSubmitSolution {
                                solver: self.cfg.operator.address.to_bech32(),
                                job_id: chain.id,
                                assignment: pack(&p.candidate.assignment),
                                claimed_energy: p.candidate.energy,
                                salt: p.salt.clone(),
                            }),
                        ) {
                            if self.refused(job.id, e) {
                                stop.store(true, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                    let settled = chain_best.is_some_and(|e| e <= p.candidate.energy);
                    if settled || p.sent.elapsed() >= Duration::from_secs(6) {
                        pending = None;
                    }
                }
                if let Some(b) = &best {
                    let improves = chain_best.is_none_or(|e| b.energy < e)
                        && pending
                            .as_ref()
                            .is_none_or(|p| b.energy < p.candidate.energy);
                    // Commitments execute in the next block, which must not pass the deadline.
                    let can_commit = height < chain.deadline_height;
                    // About one commitment per block: a better candidate waits a second
                    // unless it meets the target.
                    let meets = chain.has_target && b.energy <= chain.target_energy;
                    let due = pending
                        .as_ref()
                        .is_none_or(|p| meets || p.sent.elapsed() >= Duration::from_secs(1));
                    if improves && can_commit && due {
                        let mut salt = vec![0u8; 32];
                        OsRng.fill_bytes(&mut salt);
                        let me = self.cfg.operator.address.to_bech32();
                        let packed = pack(&b.assignment);
                        let commitment =
                            solution_commitment(chain.id, &me, b.energy, &packed, &salt);
                        pending = Some(Pending {
                            candidate: b.clone(),
                            salt,
                            commitment,
                            sent: Instant::now(),
                            revealed: false,
                        });
                        let msg = any(&MsgCommitSolution {
                            solver: me,
                            job_id: chain.id,
                            commitment: commitment.to_vec(),
                        });
                        match self.send(&chain, msg) {
                            Ok(()) => {
                                crate::metrics::global().commitment_sent();
                                tracing::info!(
                                    job = job.id,
                                    energy = b.energy,
                                    "solution committed"
                                )
                            }
                            Err(e) => {
                                if self.refused(job.id, e) {
                                    stop.store(true, Ordering::Relaxed);
                                    break;
                                }
                            }
                        }
                    }
                }
                if finished && rx.try_recv().is_err() && pending.is_none() {
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
            let outcome = solver
                .join()
                .map_err(|_| anyhow::anyhow!("solver thread panicked"))??;
            crate::metrics::global()
                .solver_run(run_started.elapsed().as_secs_f64(), outcome.solved);
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

    /// The committed height, the job and this worker's pending commitment to it.
    #[allow(clippy::type_complexity)]
    fn chain_view(
        &self,
        id: u64,
    ) -> Result<(
        u64,
        Option<Job>,
        Option<glia_proto::neuro::v1::SolutionCommitment>,
    )> {
        let latest = self.chain.latest();
        let kv = &mut ReadOnly(&latest);
        let me = self.cfg.operator.address.to_bech32();
        Ok((
            latest.height(),
            state::job(kv, id)?,
            state::commitment(kv, id, &me)?,
        ))
    }

    /// Logs a refusal; true when the job is closed and the worker should move on.
    fn refused(&self, job: u64, e: Refused) -> bool {
        match e {
            Refused::Closed(log) => {
                tracing::info!(job, "job closed in the mempool: {log}");
                true
            }
            Refused::Other(e) => {
                tracing::warn!(job, "neuro tx: {e:#}");
                false
            }
        }
    }

    /// Sends `msg` from the operator, with gas from Simulate and the chain's minimum gas price.
    fn send(&mut self, job: &Job, msg: glia_proto::cosmos::Any) -> Result<(), Refused> {
        let (number, seq) = match self.seq {
            Some(s) => s,
            None => self.refresh_seq()?,
        };
        let op = &self.cfg.operator;
        let (tx, mut params) = self
            .chain
            .sign(op, vec![msg.clone()], number, seq)
            .map_err(refusal)?;
        let mut b = self.rpc.broadcast(&tx)?;
        if b.code == 32 {
            // Another tx of this account (the executor's registration) moved the sequence.
            let (n, s) = self.refresh_seq()?;
            let (tx, p) = self
                .chain
                .sign(&self.cfg.operator, vec![msg], n, s)
                .map_err(refusal)?;
            params = p;
            b = self.rpc.broadcast(&tx)?;
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
                "job {}: code {} ({}): {}",
                job.id,
                b.code,
                b.codespace,
                b.log
            )));
        }
        self.seq = Some((params.account_number, params.sequence + 1));
        Ok(())
    }

    fn refresh_seq(&mut self) -> Result<(u64, u64)> {
        let latest = self.chain.latest();
        let acc = auth::get_account(&mut ReadOnly(&latest), &self.cfg.operator.address)?
            .context("operator account does not exist (fund it first)")?;
        let s = (acc.account_number, acc.sequence);
        self.seq = Some(s);
        Ok(s)
    }
}
