//! The DMM on CPU cores: a population of chips, K at a time in SIMD lanes.
//!
//! Layout. Every chip integrates the same clauses with its own parameters and initial state, so
//! a *group* of K chips (8 in f64, 16 in f32: one 64-byte cache line) shares the clause arrays
//! and keeps its state lane-interleaved: `v[n]` is the K chips' voltages of variable n, `xs[m]`
//! and `xl[m]` the K chips' memories of clause m. One sequential pass over the clauses (per
//! 3-clause: three cache-line gathers of v and three scatter-adds into dv) computes C, G, R, the
//! memory updates and dv for all K chips with full-width vector instructions; one pass over the
//! variables applies dv, clips, and takes max|dv| for the next step size. Scatter-adding into dv
//! (no variable→clause CSR) keeps each step to two sequential sweeps; a group is owned by one
//! thread, so there are no races. Nothing is allocated in the step loop. The kernels are
//! compiled three times (AVX-512, AVX2+FMA, baseline x86-64) and picked at run time.
//!
//! Arithmetic. Everything is in units of u = ½(1 − q·v) ∈ [0, 1]: C = min u, G_i = q_i·min of
//! the other u, R_i = ½(q_i − v_i) = q_i·C at the minimising literal. Literal signs are stored
//! as −½q so u and the scatter into dv are one fused multiply-add each, and dv is accumulated
//! halved (the variable pass doubles the step), which saves a multiply per literal.
//!
//! Step size. Step k uses dt chosen from max|dv| of step k−1 (the derivative of step k is only
//! known after the clause pass that also advances the memories), so one step uses one dt for
//! v, x_s and x_l, which are clipped after every step as in Bearden et al.
//!
//! Parameters. The first chip of each variant runs the published values; every other chip draws
//! each parameter log-uniformly within a factor [`SPREAD`] of them (keeping δ < γ < ½), seeded
//! per chip, like DynexSolve's population. A group runs one variant, so its kernel is
//! specialised for it; [`Variant::Mixed`](super::Variant::Mixed) alternates variants between groups.
//!
//! Files: `lanes` the vector type, `instance` the clauses as the kernels read them, `params`
//! the chips' constants, `group` one group's state and its two passes, `kernel` the clause
//! pass's arithmetic, `run` the step loop and its per-CPU builds, `finisher` what settles and
//! checks a held state; this file the workers' entry points.
//!
//! Figures (kernel speed, solve times, the choices they decided) are in the `dmm` module doc.

mod finisher;
mod group;
mod instance;
mod kernel;
mod lanes;
mod params;
mod run;

pub use finisher::Finisher;
pub use group::Group;
pub use instance::{qubo_clauses, Block, Instance};
pub use lanes::{Lanes, Real};
pub use params::{chip_params, group_is_sipling, ChipParams, SIPLING_DT0, SPREAD};

use super::{Candidate, Precision, SolveOptions};
use glia_problem::Problem;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::mpsc::Sender;
use std::time::Instant;

/// What the coordinating thread shares with the workers.
pub struct Shared {
    /// Set when the run ends (stop flag, time limit, solved, target reached).
    pub done: AtomicBool,
    /// Best exact clause energy found so far (Problem::energy − constant).
    pub best: AtomicI64,
    pub target: Option<i64>,
    pub start: Instant,
    pub max_steps: Option<u64>,
    /// [`SolveOptions::random_starts`].
    pub random_starts: bool,
}

/// The groups one worker thread integrates.
pub enum Work {
    F32(Vec<Group<f32, 16>>),
    F64(Vec<Group<f64, 8>>),
}

impl Work {
    /// Builds groups `first_group..first_group + groups` of a run.
    pub fn new(
        problem: &Problem,
        inst: &Instance,
        opts: &SolveOptions,
        precision: Precision,
        first_group: usize,
        groups: usize,
    ) -> Work {
        fn make<T: Real, const K: usize>(
            problem: &Problem,
            inst: &Instance,
            opts: &SolveOptions,
            first_group: usize,
            groups: usize,
        ) -> Vec<Group<T, K>> {
            (first_group..first_group + groups)
                .map(|gi| {
                    let params: [ChipParams; K] = std::array::from_fn(|k| {
                        chip_params(opts.variant, inst.ratio, opts.seed, gi, K, k)
                    });
                    let sipling = group_is_sipling(opts.variant, gi);
                    let seed = opts.seed ^ (gi as u64).wrapping_mul(0x9E37_79B9);
                    let finisher = Finisher::for_problem(problem, inst, seed);
                    Group::new(inst, &params, sipling, opts.seed, gi * K, finisher)
                })
                .collect()
        }
        match precision {
            Precision::F32 => Work::F32(make(problem, inst, opts, first_group, groups)),
            Precision::F64 => Work::F64(make(problem, inst, opts, first_group, groups)),
        }
    }

    /// Chips per group for a precision.
    pub fn lanes(precision: Precision) -> usize {
        match precision {
            Precision::F32 => 16,
            Precision::F64 => 8,
        }
    }

    /// Integrates until done; returns the most steps any group took.
    pub fn run(
        &mut self,
        inst: &Instance,
        problem: &Problem,
        shared: &Shared,
        tx: &Sender<Candidate>,
    ) -> u64 {
        match self {
            Work::F32(g) => run::dispatch(g, inst, problem, shared, tx),
            Work::F64(g) => run::dispatch(g, inst, problem, shared, tx),
        }
    }
}
