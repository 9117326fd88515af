//! The digital memcomputing machine (DMM): the solver behind neuromorphic jobs (../shared/dmm.md).
//!
//! A SAT problem becomes a circuit of self-organising logic gates: each variable a voltage
//! v ∈ [−1, 1], each clause a short-term memory x_s and a long-term memory x_l. Integrating the
//! circuit's equations (Bearden, Pei & Di Ventra 2020) drives the voltages' signs to a
//! satisfying assignment. MaxSAT and QUBO (as weighted 1- and 2-clauses) run the
//! weighted equations until a time or step budget or a target energy, keeping the best
//! assignment seen. Every reported candidate is checked exactly with [`Problem::energy`].
//!
//! [`solve`] runs a population of *chips* (parameter settings and initial states, DynexSolve's
//! practice) on all CPU cores ([`cpu`]) or, with the `cuda` or `dmm-cuda` feature, on a GPU.
//!
//! Each group holds its lowest sign state of a window; the state is then *finished* and checked
//! exactly. SAT: a 1-flip greedy descent ([`cpu::Instance::polish`]), windows ≥ 5 ms and ≥ 20×
//! the finish, so checks cost ≤ ~5%. MaxSAT: tabu search ([`tabu`]), even time split. QUBO:
//! simulated annealing on the variables from 4× cooler than a random start needs ([`anneal`]),
//! then tabu search, with ~90% of the time: the trajectory samples the landscape, the finisher
//! settles each sample. QUBOs are integrated as the Ising-style clause pairs of
//! [`cpu::qubo_clauses`] rather than Dynex's formula 2 (see there for why).
//!
//! Measured (2-core AVX-512 Xeon VM, `gliad solve` in the dev profile with this crate at
//! opt-level 3, defaults: Mixed variant, f32, 2 threads × 16 chips; seconds to the satisfying
//! assignment, 5 planted instances per N from `gliad gen planted-3sat --ratio 4.3 --seed 1..5`):
//!
//! | N | 200 | 500 | 1000 | 2000 | 5000 | 10000 |
//! |---|---|---|---|---|---|---|
//! | median | 0.001 | 0.010 | 0.038 | 0.41 | 1.99 | 3.39 |
//! | worst | 0.003 | 0.017 | 0.105 | 1.02 | 5.60 | 7.96 |
//!
//! On the same N = 1000 instances CaDiCaL (Debian) took 5–58 s (median 22 s) and MiniSat did
//! not finish any within 60 s; CaDiCaL did not finish N = 2000 seed 1 within 60 s.
//! Choices behind the defaults, same instances, median seconds at N = 2000 / 5000 / 10000:
//! Bearden f64 0.80 / 2.60 / –; Bearden f32 0.41 / 2.40 / 10.2; Sipling f32 0.18 / 9.1 (one
//! of five unsolved in 60 s) / –; Mixed f32 0.34 / 2.29 / 4.80. Sipling's equations alone are
//! fastest on small instances and stall on some large ones; alternating groups keeps both.
//! Kernel speed (the `step_speed` test, one thread): ~15–20 ns per clause per 8-chip f64 group,
//! ~1.2 ns per clause per chip in f32.
//!
//! Max-Cut (G(n, 12n), unit weights, `gliad gen maxcut`, seeds 1–3, 10 s, 2 threads; the
//! README has the table from `validator-gpu/bench/dmm.sh`): the circuit alone with greedy
//! finishing reached 6178 at n = 800 and 15441 at n = 2000, 1–1.3% below dwave-samplers'
//! simulated annealing (6251, 15646). With the anneal + tabu finisher, 6251 / 6254 / 6248 and
//! 15656 / 15662 / 15652 against annealing's 6251 / 6254 / 6248 and 15652 / 15661 / 15644. The
//! same finisher from random states (`random_starts`, the ablation) reached the same cuts within
//! ±4: on random Max-Cut the finisher does the work, and the circuit's starts are no better
//! than random ones. Choices tried on the way (G(2000, 24000), 10 s): tabu alone from random
//! states 15648–15656; tenure n/100 + below(10) ~10 short of n/40 + below(n/40); restarting tabu
//! from kicked elite states instead of fresh states ~10 short; anneal 1000 sweeps ~5 short of
//! 3000; with tabu finishing, 75% of the time in the circuit ~15 short of 50%.

pub mod anneal;
pub mod cpu;
#[cfg(feature = "gpu")]
pub mod cuda;
pub mod finish_pool;
pub mod generate;
pub mod tabu;
#[cfg(test)]
mod tests;

use anyhow::Result;
use glia_problem::Problem;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Where the chips run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Cpu,
    /// A CUDA GPU by ordinal (needs the `cuda` or `dmm-cuda` feature).
    Cuda(usize),
}

impl std::str::FromStr for Device {
    type Err = String;
    /// `cpu`, `cuda` (device 0) or `cuda:N`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "cpu" => Ok(Device::Cpu),
            None if s == "cuda" => Ok(Device::Cuda(0)),
            Some(("cuda", n)) => n
                .parse()
                .map(Device::Cuda)
                .map_err(|_| format!("device {s:?}: {n:?} is not a device number")),
            _ => Err(format!("unknown device {s:?}: use cpu, cuda or cuda:N")),
        }
    }
}

/// Which published form of the equations the chips integrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Bearden, Pei, Di Ventra, Sci. Rep. 10:19741 (2020).
    Bearden2020,
    /// The tuned variant of Sipling, Zhang, Di Ventra, Phys. Rev. Applied 25, 014048 (2026).
    Sipling2026,
    /// Even chips Bearden, odd chips Sipling.
    Mixed,
}

/// Arithmetic of the CPU kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// 16 chips per vector group.
    F32,
    /// 8 chips per vector group.
    F64,
}

/// How to run a solve.
#[derive(Clone, Debug)]
pub struct SolveOptions {
    /// Wall-clock budget, set-up included.
    pub time_limit: Duration,
    /// Stop each chip after this many integration steps (tests, reproducible runs).
    pub max_steps: Option<u64>,
    /// Worker threads; 0 = every core.
    pub threads: usize,
    /// Chips in the population, rounded up to whole vector groups; 0 = one group per thread.
    pub chips: usize,
    pub seed: u64,
    /// Stop once an assignment this good (in [`Problem::energy`] units) is found. A SAT problem
    /// always stops at energy 0, and any problem once its clause energy reaches 0 (optimal).
    pub target_energy: Option<i64>,
    pub device: Device,
    pub variant: Variant,
    pub precision: Precision,
    /// Ablation for benchmarks: the finishers of weighted problems start from random states
    /// instead of the circuit's, to measure what the circuit adds.
    pub random_starts: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: Duration::from_secs(60),
            max_steps: None,
            threads: 0,
            chips: 0,
            seed: 0,
            target_energy: None,
            device: Device::Cpu,
            variant: Variant::Mixed,
            precision: Precision::F32,
            random_starts: false,
        }
    }
}

/// An assignment and its exact energy.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Variable i + 1 is `assignment[i]`.
    pub assignment: Vec<bool>,
    /// [`Problem::energy`] of the assignment: lower is better.
    pub energy: i64,
    /// Since the solve began.
    pub elapsed: Duration,
    /// The chip that found it, and after how many of its integration steps.
    pub chip: usize,
    pub steps: u64,
}

/// How a solve ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The best assignment found (for MaxSAT, only assignments with every hard clause
    /// satisfied count).
    pub best: Option<Candidate>,
    /// SAT solved, the target energy reached, or an assignment proved optimal (no weighted
    /// clause left unsatisfied).
    pub solved: bool,
    /// The most integration steps any chip took.
    pub steps: u64,
    pub elapsed: Duration,
    pub chips: usize,
    pub threads: usize,
}

/// Integrates `problem` until it is solved, the target is reached, the time or step budget is
/// spent, or `stop` is set; calls `on_improve` (on this thread) each time a strictly better
/// exact energy is found.
pub fn solve(
    problem: &Problem,
    opts: &SolveOptions,
    stop: &AtomicBool,
    mut on_improve: impl FnMut(&Candidate),
) -> Result<Outcome> {
    let start = Instant::now();
    let inst = cpu::Instance::build(problem);
    if inst.num_clauses() == 0 {
        // Only tautologies (or an all-zero QUBO): every assignment is optimal.
        let assignment = vec![false; problem.num_vars() as usize];
        let energy = problem.energy(&assignment)?;
        let c = Candidate {
            assignment,
            energy,
            elapsed: start.elapsed(),
            chip: 0,
            steps: 0,
        };
        on_improve(&c);
        return Ok(Outcome {
            best: Some(c),
            solved: true,
            steps: 0,
            elapsed: start.elapsed(),
            chips: 0,
            threads: 0,
        });
    }
    match opts.device {
        Device::Cpu => Ok(solve_cpu(
            problem,
            &inst,
            opts,
            stop,
            start,
            &mut on_improve,
        )),
        #[cfg(feature = "gpu")]
        Device::Cuda(ordinal) => {
            cuda::solve(problem, &inst, opts, ordinal, stop, start, &mut on_improve)
        }
        #[cfg(not(feature = "gpu"))]
        Device::Cuda(_) => anyhow::bail!(
            "this build has no CUDA support: rebuild with the glia-validator-gpu feature \
             \"cuda\", or \"dmm-cuda\" for the solver alone (e.g. cargo build -p gliad \
             --features glia-validator-gpu/dmm-cuda)"
        ),
    }
}

/// Whether the CUDA back end was compiled in.
pub fn cuda_available() -> bool {
    cfg!(feature = "gpu")
}

fn solve_cpu(
    problem: &Problem,
    inst: &cpu::Instance,
    opts: &SolveOptions,
    stop: &AtomicBool,
    start: Instant,
    on_improve: &mut dyn FnMut(&Candidate),
) -> Outcome {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if opts.threads == 0 {
        cores
    } else {
        opts.threads
    };
    // Energies are summed in the kernels' precision: f32 is exact only to 2^24.
    let precision = if inst.wraw.iter().sum::<f64>() >= (1u64 << 24) as f64 {
        Precision::F64
    } else {
        opts.precision
    };
    let lanes = cpu::Work::lanes(precision);
    let groups = if opts.chips == 0 {
        threads
    } else {
        opts.chips.div_ceil(lanes)
    };
    let threads = threads.min(groups).max(1);
    let shared = cpu::Shared {
        done: AtomicBool::new(false),
        best: AtomicI64::new(i64::MAX),
        target: opts.target_energy,
        start,
        max_steps: opts.max_steps,
        random_starts: opts.random_starts,
    };
    let deadline = start + opts.time_limit;
    let (tx, rx) = mpsc::channel::<Candidate>();
    let mut best: Option<Candidate> = None;
    let steps = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                // Groups split as evenly as possible, lower threads taking the remainder.
                let first = t * (groups / threads) + t.min(groups % threads);
                let count = groups / threads + usize::from(t < groups % threads);
                let (tx, shared) = (tx.clone(), &shared);
                s.spawn(move || {
                    let mut work = cpu::Work::new(problem, inst, opts, precision, first, count);
                    work.run(inst, problem, shared, &tx)
                })
            })
            .collect();
        drop(tx);
        loop {
            let now = Instant::now();
            if stop.load(Ordering::Relaxed) || now >= deadline {
                shared.done.store(true, Ordering::Relaxed);
            }
            let wait = deadline
                .saturating_duration_since(now)
                .clamp(Duration::from_millis(1), Duration::from_millis(20));
            match rx.recv_timeout(wait) {
                Ok(c) => {
                    if best.as_ref().is_none_or(|b| c.energy < b.energy) {
                        on_improve(&c);
                        best = Some(c);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .max()
            .unwrap_or(0)
    });
    let solved = best.as_ref().is_some_and(|b| {
        inst.clause_energy(b.energy) <= 0 || opts.target_energy.is_some_and(|t| b.energy <= t)
    });
    Outcome {
        best,
        solved,
        steps,
        elapsed: start.elapsed(),
        chips: groups * lanes,
        threads,
    }
}
