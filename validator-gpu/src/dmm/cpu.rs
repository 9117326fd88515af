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
//! specialised for it; [`Variant::Mixed`] alternates variants between groups.
//!
//! Figures (kernel speed, solve times, the choices they decided) are in the `dmm` module doc.

use super::anneal::QuboAnneal;
use super::generate::SplitMix64;
use super::tabu::Tabu;
use super::{Candidate, Precision, SolveOptions, Variant};
use glia_problem::{Clauses, Problem};
use std::ops::{Add, Mul, Sub};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::Sender;
use std::time::Instant;

/// How far (multiplicatively) a chip's parameters stray from the published ones.
pub const SPREAD: f64 = 1.5;

/// Kernel flags, folded in at compile time.
const WEIGHTED: u8 = 1;
const SIPLING: u8 = 2;
const FMA: u8 = 4;

/// f32 or f64, for the kernels.
pub trait Real:
    Copy
    + Default
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + 'static
{
    fn of(x: f64) -> Self;
    fn f64(self) -> f64;
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The block's negated literal signs (−½ q) in this precision.
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]];
}

impl Real for f32 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]] {
        &b.signs32
    }
}

impl Real for f64 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]] {
        &b.signs64
    }
}

/// K chips' values of one variable or clause: one cache line, and the kernels' vector type.
/// Every operation is one loop over the lanes, which LLVM turns into one vector instruction.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Lanes<T, const K: usize>(pub [T; K]);

impl<T: Real, const K: usize> Lanes<T, K> {
    #[inline(always)]
    fn splat(x: T) -> Self {
        Lanes([x; K])
    }

    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(T, T) -> T) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = f(self.0[k], o.0[k]);
        }
        r
    }

    // `a < b ? a : b` is exactly the x86 min instruction (no NaN fix-ups).
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        self.zip(o, |a, b| if a < b { a } else { b })
    }

    #[inline(always)]
    fn max(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { a } else { b })
    }

    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }

    /// b − self·a, fused when the kernel is compiled for FMA.
    #[inline(always)]
    fn neg_mul_add<const F: u8>(self, a: Self, b: Self) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = if F & FMA != 0 {
                (T::default() - self.0[k]).mul_add(a.0[k], b.0[k])
            } else {
                b.0[k] - self.0[k] * a.0[k]
            };
        }
        r
    }

    /// self·a + b, fused when the kernel is compiled for FMA.
    #[inline(always)]
    fn mul_add<const F: u8>(self, a: Self, b: Self) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = if F & FMA != 0 {
                self.0[k].mul_add(a.0[k], b.0[k])
            } else {
                self.0[k] * a.0[k] + b.0[k]
            };
        }
        r
    }

    /// Per lane: `x` where `a <= b`, else `y`.
    #[inline(always)]
    fn le_select(a: Self, b: Self, x: Self, y: Self) -> Self {
        let mut r = y;
        for k in 0..K {
            if a.0[k] <= b.0[k] {
                r.0[k] = x.0[k];
            }
        }
        r
    }
}

impl<T: Real, const K: usize> Add for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
}

impl<T: Real, const K: usize> Sub for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }
}

impl<T: Real, const K: usize> Mul for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }
}

/// Clauses of L literals: variable indices (0-based) and negated signs −½ q (q = ±1 for a
/// positive or negated literal) in both precisions.
#[derive(Default)]
pub struct Block<const L: usize> {
    pub vars: Vec<[u32; L]>,
    pub signs32: Vec<[f32; L]>,
    pub signs64: Vec<[f64; L]>,
}

impl<const L: usize> Block<L> {
    fn push(&mut self, lits: &[(u32, bool)]) {
        let mut vars = [0; L];
        let (mut s32, mut s64) = ([0.0; L], [0.0; L]);
        for (i, &(var, neg)) in lits.iter().enumerate() {
            vars[i] = var;
            s64[i] = if neg { 0.5 } else { -0.5 };
            s32[i] = s64[i] as f32;
        }
        self.vars.push(vars);
        self.signs32.push(s32);
        self.signs64.push(s64);
    }

    pub fn len(&self) -> usize {
        self.vars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

/// The clauses as the kernels read them, shared by every thread. Clauses are regrouped by
/// length (1, 2, 3, longer) so the common lengths run specialised loops; tautologies are dropped
/// and repeated literals merged (neither changes any energy).
pub struct Instance {
    pub num_vars: usize,
    pub b1: Block<1>,
    pub b2: Block<2>,
    pub b3: Block<3>,
    /// Clauses of 4 or more literals, one literal per entry: clause i is entries
    /// `long_starts[i]..long_starts[i + 1]`.
    pub long: Block<1>,
    pub long_starts: Vec<u32>,
    /// Exact weight of each clause (in block order), for the running energy.
    pub wraw: Vec<f64>,
    /// Weight in the dynamics (weighted problems): soft weights over their mean; hard clauses
    /// twice the largest soft one.
    pub wdyn: Vec<f64>,
    pub weighted: bool,
    /// Clauses per variable: picks ζ.
    pub ratio: f64,
    pub max_len: usize,
    /// The clauses' energy is `scale · Problem::energy(x) − constant` (see [`Instance::build`]).
    pub scale: i64,
    pub constant: i128,
    /// Variable → (clause, literal is positive), for [`Instance::polish`].
    occ_start: Vec<u32>,
    occ: Vec<(u32, bool)>,
    /// Clause → (variable, literal is positive), for the local searches.
    lit_start: Vec<u32>,
    lits: Vec<(u32, bool)>,
}

impl Instance {
    /// The clauses of a SAT or MaxSAT problem as they are; a QUBO as the Ising-style clauses of
    /// [`qubo_clauses`].
    pub fn build(problem: &Problem) -> Instance {
        let (c, scale, constant) = match problem {
            Problem::Qubo(q) => {
                let (c, constant) = qubo_clauses(q);
                (std::borrow::Cow::Owned(c), 2, constant)
            }
            _ => (problem.clauses().0, 1, 0),
        };
        let weighted = !matches!(problem, Problem::Sat(_));
        let mut inst = Instance {
            num_vars: c.num_vars as usize,
            b1: Block::default(),
            b2: Block::default(),
            b3: Block::default(),
            long: Block::default(),
            long_starts: vec![0],
            wraw: Vec::new(),
            wdyn: Vec::new(),
            weighted,
            ratio: c.num_clauses() as f64 / f64::from(c.num_vars.max(1)),
            max_len: 3,
            scale,
            constant,
            occ_start: Vec::new(),
            occ: Vec::new(),
            lit_start: vec![0],
            lits: Vec::new(),
        };
        let mut order: [Vec<usize>; 4] = Default::default();
        let mut buf: Vec<(u32, bool)> = Vec::new();
        'clauses: for m in 0..c.num_clauses() {
            buf.clear();
            for &l in c.clause(m) {
                let lit = (l.unsigned_abs() - 1, l < 0);
                if buf.contains(&(lit.0, !lit.1)) {
                    continue 'clauses; // x ∨ ¬x: always satisfied
                }
                if !buf.contains(&lit) {
                    buf.push(lit);
                }
            }
            match buf.len() {
                1 => inst.b1.push(&buf),
                2 => inst.b2.push(&buf),
                3 => inst.b3.push(&buf),
                _ => {
                    for &lit in &buf {
                        inst.long.push(&[lit]);
                    }
                    inst.long_starts.push(inst.long.len() as u32);
                    inst.max_len = inst.max_len.max(buf.len());
                }
            }
            order[buf.len().min(4) - 1].push(m);
        }
        let all: Vec<usize> = order.iter().flatten().copied().collect();
        inst.wraw = all.iter().map(|&m| c.weights[m] as f64).collect();
        let soft: Vec<f64> = all
            .iter()
            .filter(|&&m| !c.hard[m])
            .map(|&m| c.weights[m] as f64)
            .collect();
        let mean = if soft.is_empty() {
            1.0
        } else {
            soft.iter().sum::<f64>() / soft.len() as f64
        };
        let hard_w = soft.iter().fold(1.0f64, |a, &w| a.max(2.0 * w / mean));
        inst.wdyn = all
            .iter()
            .map(|&m| {
                if c.hard[m] {
                    hard_w
                } else {
                    c.weights[m] as f64 / mean
                }
            })
            .collect();
        let mut count = vec![0u32; inst.num_vars + 1];
        let clauses: Vec<Vec<(u32, f64)>> =
            (0..inst.num_clauses()).map(|j| inst.clause(j)).collect();
        for &(var, _) in clauses.iter().flatten() {
            count[var as usize + 1] += 1;
        }
        for i in 0..inst.num_vars {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        inst.occ = vec![(0, false); count[inst.num_vars] as usize];
        for (j, lits) in clauses.iter().enumerate() {
            for &(var, nq) in lits {
                inst.occ[fill[var as usize] as usize] = (j as u32, nq < 0.0);
                fill[var as usize] += 1;
            }
        }
        inst.occ_start = count;
        for lits in &clauses {
            inst.lits
                .extend(lits.iter().map(|&(var, nq)| (var, nq < 0.0)));
            inst.lit_start.push(inst.lits.len() as u32);
        }
        inst
    }

    /// Greedy descent: flips single variables while that lowers the clause energy, i.e. to a
    /// local minimum of the exact objective (a hard clause, heavier than all soft ones
    /// together, is never traded away). `true_count` is scratch of one entry per clause.
    pub fn polish(&self, x: &mut [bool], true_count: &mut [u32]) {
        true_count.fill(0);
        for (var, &xv) in x.iter().enumerate() {
            for &(j, pos) in self.occurrences(var) {
                true_count[j as usize] += u32::from(xv == pos);
            }
        }
        // Each flip lowers the energy, so this ends; the cap bounds the time on huge inputs.
        for _ in 0..20 {
            let mut flipped = false;
            for (var, xv) in x.iter_mut().enumerate() {
                let mut gain = 0.0;
                for &(j, pos) in self.occurrences(var) {
                    let (t, w) = (true_count[j as usize], self.wraw[j as usize]);
                    if *xv == pos {
                        if t == 1 {
                            gain -= w; // the only true literal: flipping breaks the clause
                        }
                    } else if t == 0 {
                        gain += w; // an unsatisfied clause the flip satisfies
                    }
                }
                if gain > 0.0 {
                    for &(j, pos) in self.occurrences(var) {
                        if *xv == pos {
                            true_count[j as usize] -= 1;
                        } else {
                            true_count[j as usize] += 1;
                        }
                    }
                    *xv = !*xv;
                    flipped = true;
                }
            }
            if !flipped {
                break;
            }
        }
    }

    /// The clauses variable `var` occurs in: (clause, its literal is positive).
    pub(crate) fn occurrences(&self, var: usize) -> &[(u32, bool)] {
        &self.occ[self.occ_start[var] as usize..self.occ_start[var + 1] as usize]
    }

    /// The literals of clause `m` (block order): (variable, literal is positive).
    pub(crate) fn literals(&self, m: usize) -> &[(u32, bool)] {
        &self.lits[self.lit_start[m] as usize..self.lit_start[m + 1] as usize]
    }

    pub fn num_clauses(&self) -> usize {
        self.wraw.len()
    }

    /// Literals (variable, −½ q) of clause `m` in block order: set-up only.
    pub(crate) fn clause(&self, m: usize) -> Vec<(u32, f64)> {
        fn of<const L: usize>(b: &Block<L>, i: usize) -> Vec<(u32, f64)> {
            b.vars[i].iter().copied().zip(b.signs64[i]).collect()
        }
        let (n1, n2, n3) = (self.b1.len(), self.b2.len(), self.b3.len());
        if m < n1 {
            of(&self.b1, m)
        } else if m < n1 + n2 {
            of(&self.b2, m - n1)
        } else if m < n1 + n2 + n3 {
            of(&self.b3, m - n1 - n2)
        } else {
            let i = m - n1 - n2 - n3;
            (self.long_starts[i] as usize..self.long_starts[i + 1] as usize)
                .map(|e| (self.long.vars[e][0], self.long.signs64[e][0]))
                .collect()
        }
    }
}

impl Instance {
    /// The clause energy of an assignment whose exact energy is `energy` (saturating).
    pub fn clause_energy(&self, energy: i64) -> i64 {
        let ce = i128::from(self.scale) * i128::from(energy) - self.constant;
        ce.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// A QUBO as weighted clauses, doubled so every weight is an integer: returns the clauses and
/// `k` with 2·E(x) = clause energy(x) + k.
///
/// Each coupling b·x_i·x_j becomes the two 2-clauses of its Ising term, weight |b| each, of
/// which an assignment violates at most one: (¬x_i ∨ ¬x_j), (x_i ∨ x_j) for b > 0 (violated
/// when x_i = x_j) and (¬x_i ∨ x_j), (x_i ∨ ¬x_j) for b < 0 (violated when they differ); the
/// rest of the term, b/2 on x_i and on x_j (and −b/2 for b > 0), joins the linear terms, which
/// become unit clauses as in the Dynex SDK. Dynex's own mapping (formula 2, what
/// `Problem::clauses` gives) turns every positive coupling into a clause that a good assignment
/// must often violate and loads the linear terms into heavy unit clauses; the memories then
/// fight clauses that are meant to stay violated. On random Max-Cut (G(800, 4000), 4 s on 2
/// cores) the best cut went from ~2630 with it to ~2800 with this mapping, where Max-Cut has
/// no unit clauses at all.
pub fn qubo_clauses(q: &glia_problem::Qubo) -> (Clauses, i128) {
    let mut c = Clauses {
        num_vars: q.num_vars,
        lits: Vec::with_capacity(q.terms.len() * 4),
        starts: vec![0],
        weights: Vec::with_capacity(q.terms.len() * 2),
        hard: Vec::new(),
    };
    let push = |c: &mut Clauses, lits: &[i32], w: u64| {
        c.lits.extend_from_slice(lits);
        c.starts.push(c.lits.len() as u32);
        c.weights.push(w);
    };
    let mut linear = vec![0i128; q.num_vars as usize];
    let mut k: i128 = 2 * i128::from(q.offset);
    for &(i, j, w) in &q.terms {
        let (a, b) = (i as i32 + 1, j as i32 + 1);
        let w = i128::from(w);
        if i == j {
            linear[i as usize] += 2 * w;
            continue;
        }
        // 2·b·x_i·x_j = (pair clauses of weight |b|) + b·x_i + b·x_j (− b if b > 0).
        let mag = w.unsigned_abs() as u64;
        if w > 0 {
            push(&mut c, &[-a, -b], mag);
            push(&mut c, &[a, b], mag);
            k -= w;
        } else {
            push(&mut c, &[-a, b], mag);
            push(&mut c, &[a, -b], mag);
        }
        linear[i as usize] += w;
        linear[j as usize] += w;
    }
    for (i, &h) in linear.iter().enumerate() {
        let v = i as i32 + 1;
        // h·x_i: (¬x_i) of weight h when h > 0; (x_i) of weight |h|, plus h, when h < 0.
        if h > 0 {
            push(&mut c, &[-v], h as u64);
        } else if h < 0 {
            push(&mut c, &[v], h.unsigned_abs() as u64);
            k += h;
        }
    }
    c.hard = vec![false; c.weights.len()];
    (c, k)
}

/// One chip's constants.
#[derive(Clone, Copy, Debug)]
pub struct ChipParams {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub delta: f64,
    /// Bearden only: x_s' = β (x_s + ε)(C − γ).
    pub eps: f64,
    pub zeta: f64,
    /// dt = clamp(dt0 / (max|dv| + 1e-6), dt_min, dt_max).
    pub dt0: f64,
    pub dt_min: f64,
    pub dt_max: f64,
    /// x_l's bound: on reaching it x_l restarts from 1 (Bearden et al., supplement).
    /// The group caps it at 10^4·M.
    pub xl_max: f64,
}

impl ChipParams {
    /// Bearden, Pei, Di Ventra 2020, with ζ chosen by clause ratio (10^-3 at 4.3, 10^-2 at 5,
    /// 10^-1 at 6 and above; log-linear between).
    pub fn bearden(ratio: f64) -> ChipParams {
        let lz = if ratio <= 4.3 {
            -3.0
        } else if ratio <= 5.0 {
            -3.0 + (ratio - 4.3) / 0.7
        } else {
            (-2.0 + (ratio - 5.0)).min(-1.0)
        };
        ChipParams {
            alpha: 5.0,
            beta: 20.0,
            gamma: 0.25,
            delta: 0.05,
            eps: 1e-3,
            zeta: 10f64.powf(lz),
            dt0: 1.0,
            dt_min: 1.0 / 128.0,
            dt_max: 1e3,
            xl_max: f64::INFINITY,
        }
    }

    /// Sipling, Zhang, Di Ventra 2026: {α/β, β, γ, δ, ζ} = {0.45, 79, 0.36, 0.080, 0.063};
    /// x_s' = β (C − γ); below δ, x_l' = α (C − δ)(x_l − 1); dt capped at 0.1.
    pub fn sipling() -> ChipParams {
        ChipParams {
            alpha: 0.45 * 79.0,
            beta: 79.0,
            gamma: 0.36,
            delta: 0.080,
            eps: 0.0,
            zeta: 0.063,
            dt0: SIPLING_DT0,
            dt_min: 0.0,
            dt_max: 0.1,
            xl_max: f64::INFINITY,
        }
    }

    /// The same family, each constant scaled by a log-uniform factor in [1/SPREAD, SPREAD].
    fn perturbed(self, rng: &mut SplitMix64) -> ChipParams {
        let mut f = || SPREAD.powf(2.0 * rng.unit() - 1.0);
        let mut p = self;
        p.alpha *= f();
        p.beta *= f();
        p.gamma *= f();
        p.delta *= f();
        p.zeta *= f();
        p.dt0 *= f();
        p.gamma = p.gamma.min(0.45);
        p.delta = p.delta.min(0.8 * p.gamma);
        p
    }
}

/// Sipling et al. give dt = dt0 / max|dv| without dt0's value; 1 is our choice (untuned; the
/// cap of 0.1 binds most of the time).
pub const SIPLING_DT0: f64 = 1.0;

/// Whether group `group` of a run integrates the Sipling equations.
pub fn group_is_sipling(variant: Variant, group: usize) -> bool {
    match variant {
        Variant::Bearden2020 => false,
        Variant::Sipling2026 => true,
        Variant::Mixed => group % 2 == 1,
    }
}

/// The parameters of chip `k` of group `group` (K chips per group).
pub fn chip_params(
    variant: Variant,
    ratio: f64,
    seed: u64,
    group: usize,
    lanes: usize,
    k: usize,
) -> ChipParams {
    let sipling = group_is_sipling(variant, group);
    let base = if sipling {
        ChipParams::sipling()
    } else {
        ChipParams::bearden(ratio)
    };
    // The first group of each variant leads with the published constants.
    let first_group = match variant {
        Variant::Mixed => group < 2,
        _ => group == 0,
    };
    if first_group && k == 0 {
        base
    } else {
        let chip = group * lanes + k;
        base.perturbed(&mut SplitMix64::stream(seed, 1 + chip as u64))
    }
}

/// Per-lane constants of a group.
#[derive(Clone, Copy)]
struct Consts<T, const K: usize> {
    alpha: Lanes<T, K>,
    beta: Lanes<T, K>,
    gamma: Lanes<T, K>,
    delta: Lanes<T, K>,
    eps: Lanes<T, K>,
    zeta: Lanes<T, K>,
    dt0: Lanes<T, K>,
    dt_min: Lanes<T, K>,
    dt_max: Lanes<T, K>,
    xl_max: Lanes<T, K>,
}

/// What a clause pass needs each step.
struct StepConsts<T, const K: usize> {
    dt_alpha: Lanes<T, K>,
    dt_beta: Lanes<T, K>,
    gamma: Lanes<T, K>,
    delta: Lanes<T, K>,
    eps: Lanes<T, K>,
    zeta: Lanes<T, K>,
    xl_max: Lanes<T, K>,
}

/// K chips integrating the same clauses with the same variant of the equations.
pub struct Group<T: Real, const K: usize> {
    v: Vec<Lanes<T, K>>,
    /// Half of dv.
    dv: Vec<Lanes<T, K>>,
    xs: Vec<Lanes<T, K>>,
    xl: Vec<Lanes<T, K>>,
    /// Per clause: weight in the dynamics, and exact weight (weighted problems only).
    wdyn: Vec<T>,
    wraw: Vec<T>,
    c: Consts<T, K>,
    dt: Lanes<T, K>,
    /// Each lane's energy at the state the current step started from (the weight of clauses
    /// with C_m ≥ ½, i.e. left unsatisfied by sign(v)).
    energy: Lanes<T, K>,
    scratch: Vec<Lanes<T, K>>,
    /// The best assignment seen since the last exact check, with its running energy, chip and
    /// step: checking exactly costs a pass over every clause, so it waits (see `FLUSH`).
    pending: Option<(f64, usize, u64)>,
    pending_x: Vec<bool>,
    true_count: Vec<u32>,
    /// What settles each held state before it is checked.
    finisher: Finisher,
    last_flush: Instant,
    /// The current window: at least FLUSH, and 20 times the last check's cost, so polishing
    /// and checking take at most ~5% of the run.
    window: std::time::Duration,
    sipling: bool,
    pub steps: u64,
    pub first_chip: usize,
}

impl<T: Real, const K: usize> Group<T, K> {
    pub fn new(
        inst: &Instance,
        params: &[ChipParams; K],
        sipling: bool,
        seed: u64,
        first_chip: usize,
        finisher: Finisher,
    ) -> Self {
        let n = inst.num_vars;
        let m = inst.num_clauses();
        let lane = |f: &dyn Fn(&ChipParams) -> f64| -> Lanes<T, K> {
            let mut l = Lanes([T::default(); K]);
            for (x, p) in l.0.iter_mut().zip(params) {
                *x = T::of(f(p));
            }
            l
        };
        let c = Consts {
            alpha: lane(&|p| p.alpha),
            beta: lane(&|p| p.beta),
            gamma: lane(&|p| p.gamma),
            delta: lane(&|p| p.delta),
            eps: lane(&|p| p.eps),
            zeta: lane(&|p| p.zeta),
            dt0: lane(&|p| p.dt0),
            dt_min: lane(&|p| p.dt_min),
            dt_max: lane(&|p| p.dt_max),
            xl_max: lane(&|p| p.xl_max.min(1e4 * m.max(1) as f64)),
        };
        // Start: v uniform in [-1, 1] and x_s = C (Bearden); v = ±1 and x_s = ½ (Sipling).
        let zero = Lanes([T::default(); K]);
        let mut v = vec![zero; n];
        for k in 0..K {
            let mut rng = SplitMix64::stream(seed ^ 0x7EA1_57A7, (first_chip + k) as u64);
            for vn in v.iter_mut() {
                vn.0[k] = T::of(if !sipling {
                    2.0 * rng.unit() - 1.0
                } else if rng.bit() {
                    1.0
                } else {
                    -1.0
                });
            }
        }
        let mut xs = vec![zero; m];
        let mut xl = vec![zero; m];
        for j in 0..m {
            let lits = inst.clause(j);
            let w = if inst.weighted { inst.wdyn[j] } else { 0.0 };
            for k in 0..K {
                let cm = lits
                    .iter()
                    .map(|&(var, nq)| 0.5 + nq * v[var as usize].0[k].f64())
                    .fold(1.0f64, f64::min);
                xs[j].0[k] = T::of(if sipling { 0.5 } else { cm });
                xl[j].0[k] = T::of(1.0 + w);
            }
        }
        let dt = lane(&|p| (1.0 / 128.0f64).clamp(p.dt_min, p.dt_max));
        Group {
            v,
            dv: vec![zero; n],
            xs,
            xl,
            wdyn: inst.wdyn.iter().map(|&w| T::of(w)).collect(),
            wraw: inst.wraw.iter().map(|&w| T::of(w)).collect(),
            c,
            dt,
            energy: zero,
            scratch: vec![zero; inst.max_len],
            pending: None,
            pending_x: vec![false; n],
            true_count: vec![0; m],
            finisher,
            last_flush: Instant::now(),
            window: FLUSH,
            sipling,
            steps: 0,
            first_chip,
        }
    }

    /// The clause pass of one step: C, G, R at the current state, dv accumulated, memories
    /// advanced, and `energy` set for the state the step started from.
    #[inline(always)]
    fn clause_pass<const F: u8>(&mut self, inst: &Instance) {
        let c = &self.c;
        let sc = StepConsts {
            dt_alpha: self.dt * c.alpha,
            dt_beta: self.dt * c.beta,
            gamma: c.gamma,
            delta: c.delta,
            eps: c.eps,
            zeta: c.zeta,
            xl_max: c.xl_max,
        };
        let mut e = Lanes::splat(T::default());
        let (n1, n2, n3) = (inst.b1.len(), inst.b2.len(), inst.b3.len());
        let (xs1, rest) = self.xs.split_at_mut(n1);
        let (xs2, rest) = rest.split_at_mut(n2);
        let (xs3, xs4) = rest.split_at_mut(n3);
        let (xl1, rest) = self.xl.split_at_mut(n1);
        let (xl2, rest) = rest.split_at_mut(n2);
        let (xl3, xl4) = rest.split_at_mut(n3);
        let w = Weights {
            dynamics: &self.wdyn,
            exact: &self.wraw,
        };
        let (v, dv) = (&self.v[..], &mut self.dv[..]);
        fixed::<T, K, 1, F>(&inst.b1, w.at(0), xs1, xl1, v, dv, &sc, &mut e);
        fixed::<T, K, 2, F>(&inst.b2, w.at(n1), xs2, xl2, v, dv, &sc, &mut e);
        fixed::<T, K, 3, F>(&inst.b3, w.at(n1 + n2), xs3, xl3, v, dv, &sc, &mut e);
        if !xs4.is_empty() {
            let w = w.at(n1 + n2 + n3);
            long::<T, K, F>(inst, w, xs4, xl4, v, dv, &sc, &mut e, &mut self.scratch);
        }
        self.energy = e;
    }

    /// Applies dv with the step's dt, clips v, and picks the next dt from max|dv|.
    #[inline(always)]
    fn variable_pass<const F: u8>(&mut self) {
        let (lo, hi) = (Lanes::splat(T::of(-1.0)), Lanes::splat(T::of(1.0)));
        let zero = Lanes::splat(T::default());
        let dt2 = self.dt + self.dt; // dv is stored halved
        let mut mx = zero;
        for (vn, dn) in self.v.iter_mut().zip(self.dv.iter_mut()) {
            let d = *dn;
            mx = mx.max(d.max(zero - d));
            *vn = d.mul_add::<F>(dt2, *vn).clamp(lo, hi);
            *dn = zero;
        }
        let c = &self.c;
        let mut dt = self.dt;
        for k in 0..K {
            let d = c.dt0.0[k] / (mx.0[k] + mx.0[k] + T::of(1e-6));
            dt.0[k] = if d < c.dt_min.0[k] {
                c.dt_min.0[k]
            } else if d > c.dt_max.0[k] {
                c.dt_max.0[k]
            } else {
                d
            };
        }
        self.dt = dt;
        self.steps += 1;
    }

    /// Keeps lane k's current assignment as the one to check next.
    fn hold(&mut self, k: usize, energy: f64) {
        for (x, vn) in self.pending_x.iter_mut().zip(&self.v) {
            *x = vn.0[k] > T::default();
        }
        self.pending = Some((energy, self.first_chip + k, self.steps));
    }
}

/// A block's clause weights (only read by the weighted kernels).
#[derive(Clone, Copy)]
struct Weights<'a, T> {
    dynamics: &'a [T],
    exact: &'a [T],
}

impl<'a, T> Weights<'a, T> {
    fn at(self, first: usize) -> Weights<'a, T> {
        Weights {
            dynamics: &self.dynamics[first..],
            exact: &self.exact[first..],
        }
    }
}

/// For each literal the smallest u among the *other* literals (a unit clause uses its own, so
/// its gradient term vanishes once satisfied), and the clause's C = min u.
#[inline(always)]
fn mins<T: Real, const K: usize, const L: usize>(
    u: &[Lanes<T, K>; L],
) -> ([Lanes<T, K>; L], Lanes<T, K>) {
    let us: &[Lanes<T, K>] = u;
    let mut other = *u;
    let os: &mut [Lanes<T, K>] = &mut other;
    let c = match L {
        1 => {
            // No other literal: the gradient of a unit clause is a constant pull.
            os[0] = Lanes::splat(T::of(1.0));
            us[0]
        }
        2 => {
            os[0] = us[1];
            os[1] = us[0];
            us[0].min(us[1])
        }
        3 => {
            os[0] = us[1].min(us[2]);
            os[1] = us[0].min(us[2]);
            os[2] = us[0].min(us[1]);
            os[0].min(us[0])
        }
        _ => {
            let big = Lanes::splat(T::of(2.0));
            let (mut m1, mut m2) = (big, big);
            for &ui in us {
                m2 = m1.max(ui).min(m2);
                m1 = m1.min(ui);
            }
            for (o, &ui) in os.iter_mut().zip(us) {
                *o = Lanes::le_select(ui, m1, m2, m1);
            }
            m1
        }
    };
    (other, c)
}

/// The clause's coefficients: dv_i += q_i (a·other_i + [u_i = C]·b·C), i.e. a = x_l·x_s and
/// b = (1 + ζ x_l)(1 − x_s) (SAT), both times W (weighted). DynexSolve's weighted branch keeps
/// only ζ (1 − x_s) for b; without the 1 the rigidity all but vanishes, and on random Max-Cut
/// the best cut found in 4 s rose from ~2750 to ~2800 with it.
#[inline(always)]
fn coefficients<T: Real, const K: usize, const F: u8>(
    s: Lanes<T, K>,
    x: Lanes<T, K>,
    wd: T,
    sc: &StepConsts<T, K>,
) -> (Lanes<T, K>, Lanes<T, K>) {
    let one = Lanes::splat(T::of(1.0));
    if F & WEIGHTED != 0 {
        let w = Lanes::splat(wd);
        (x * s * w, sc.zeta.mul_add::<F>(x, one) * (one - s) * w)
    } else {
        (x * s, sc.zeta.mul_add::<F>(x, one) * (one - s))
    }
}

/// Advances a clause's memories by one step given C, and adds its weight to `energy` if it is
/// unsatisfied (C ≥ ½).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn memories<T: Real, const K: usize, const F: u8>(
    c: Lanes<T, K>,
    s: &mut Lanes<T, K>,
    x: &mut Lanes<T, K>,
    wd: T,
    wr: T,
    sc: &StepConsts<T, K>,
    energy: &mut Lanes<T, K>,
) {
    let (zero, half, one) = (
        Lanes::splat(T::default()),
        Lanes::splat(T::of(0.5)),
        Lanes::splat(T::of(1.0)),
    );
    *energy = *energy + Lanes::le_select(half, c, Lanes::splat(wr), zero);
    let (s0, x0) = (*s, *x);
    let ds = if F & SIPLING != 0 {
        sc.dt_beta * (c - sc.gamma)
    } else {
        sc.dt_beta * (s0 + sc.eps) * (c - sc.gamma)
    };
    *s = (s0 + ds).clamp(zero, one);
    let dl = c - sc.delta;
    let rate = if F & WEIGHTED != 0 {
        sc.dt_alpha * Lanes::splat(T::of(1.0) + wd)
    } else {
        sc.dt_alpha
    };
    let dl = if F & SIPLING != 0 {
        // Below δ the long-term memory decays towards 1.
        Lanes::le_select(zero, dl, dl, dl * (x0 - one))
    } else {
        dl
    };
    let xn = rate * dl + x0;
    *x = Lanes::le_select(sc.xl_max, xn, one, xn.max(one));
}

/// The clause pass over clauses of exactly L literals.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fixed<T: Real, const K: usize, const L: usize, const F: u8>(
    block: &Block<L>,
    w: Weights<'_, T>,
    xs: &mut [Lanes<T, K>],
    xl: &mut [Lanes<T, K>],
    v: &[Lanes<T, K>],
    dv: &mut [Lanes<T, K>],
    sc: &StepConsts<T, K>,
    energy: &mut Lanes<T, K>,
) {
    let half = Lanes::splat(T::of(0.5));
    let zero = Lanes::splat(T::default());
    let signs = T::signs(block);
    let mut e = *energy;
    let clauses = block.vars.iter().zip(signs);
    for (j, ((vars, nq), (s, x))) in clauses.zip(xs.iter_mut().zip(xl.iter_mut())).enumerate() {
        // (array::from_fn is not always inlined here; plain loops are.)
        let mut u = [zero; L];
        for i in 0..L {
            u[i] = v[vars[i] as usize].mul_add::<F>(Lanes::splat(nq[i]), half);
        }
        let (other, c) = mins::<T, K, L>(&u);
        let (wd, wr) = if F & WEIGHTED != 0 {
            (w.dynamics[j], w.exact[j])
        } else {
            (T::of(1.0), T::of(1.0))
        };
        let (a, b) = coefficients::<T, K, F>(*s, *x, wd, sc);
        let bc = b * c;
        for i in 0..L {
            let h = a.mul_add::<F>(other[i], Lanes::le_select(u[i], c, bc, zero));
            let d = &mut dv[vars[i] as usize];
            *d = h.neg_mul_add::<F>(Lanes::splat(nq[i]), *d);
        }
        memories::<T, K, F>(c, s, x, wd, wr, sc, &mut e);
    }
    *energy = e;
}

/// The clause pass over clauses of 4 or more literals (MaxSAT files; not the hot path).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn long<T: Real, const K: usize, const F: u8>(
    inst: &Instance,
    w: Weights<'_, T>,
    xs: &mut [Lanes<T, K>],
    xl: &mut [Lanes<T, K>],
    v: &[Lanes<T, K>],
    dv: &mut [Lanes<T, K>],
    sc: &StepConsts<T, K>,
    energy: &mut Lanes<T, K>,
    scratch: &mut [Lanes<T, K>],
) {
    let half = Lanes::splat(T::of(0.5));
    let zero = Lanes::splat(T::default());
    let big = Lanes::splat(T::of(2.0));
    let signs = T::signs(&inst.long);
    let mut en = *energy;
    for (j, (s, x)) in xs.iter_mut().zip(xl.iter_mut()).enumerate() {
        let range = inst.long_starts[j] as usize..inst.long_starts[j + 1] as usize;
        let (vars, nq) = (&inst.long.vars[range.clone()], &signs[range]);
        let us = &mut scratch[..vars.len()];
        let (mut m1, mut m2) = (big, big);
        for ((ui, var), q) in us.iter_mut().zip(vars).zip(nq) {
            *ui = v[var[0] as usize].mul_add::<F>(Lanes::splat(q[0]), half);
            m2 = m1.max(*ui).min(m2);
            m1 = m1.min(*ui);
        }
        let (wd, wr) = if F & WEIGHTED != 0 {
            (w.dynamics[j], w.exact[j])
        } else {
            (T::of(1.0), T::of(1.0))
        };
        let (a, b) = coefficients::<T, K, F>(*s, *x, wd, sc);
        let bc = b * m1;
        for ((&ui, var), q) in us.iter().zip(vars).zip(nq) {
            let other = Lanes::le_select(ui, m1, m2, m1);
            let g = a.mul_add::<F>(other, Lanes::le_select(ui, m1, bc, zero));
            let d = &mut dv[var[0] as usize];
            *d = g.neg_mul_add::<F>(Lanes::splat(q[0]), *d);
        }
        memories::<T, K, F>(m1, s, x, wd, wr, sc, &mut en);
    }
    *energy = en;
}

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

/// One step of one group, with the kernel flags of its kind.
#[inline(always)]
fn step<T: Real, const K: usize, const F: u8>(
    g: &mut Group<T, K>,
    inst: &Instance,
    problem: &Problem,
    shared: &Shared,
    tx: &Sender<Candidate>,
) {
    g.clause_pass::<F>(inst);
    // The group's lowest state of the current window (FLUSH long) is held, then polished and
    // checked exactly: the trajectory samples the landscape, the descent settles each sample.
    let mut low = g.pending.map_or(f64::INFINITY, |p| p.0);
    let mut lane = None;
    for k in 0..K {
        let e = g.energy.0[k].f64();
        if e < low {
            (low, lane) = (e, Some(k));
        }
    }
    if let Some(k) = lane {
        g.hold(k, low);
    }
    if let Some((e, ..)) = g.pending {
        // A possible solution or target is checked at once, anything else once per window,
        // so a run that improves every step is not slowed by the checks.
        let decisive = e <= 0.0
            || shared
                .target
                .is_some_and(|t| e <= inst.clause_energy(t) as f64 + 0.5);
        if decisive || g.last_flush.elapsed() >= g.window {
            flush(g, inst, problem, shared, tx);
        }
    }
    g.variable_pass::<F>();
}

/// Runs `groups` until `shared.done`, offering improvements through `tx`; returns the most
/// steps any of them took. The four flag sets are the kernels for plain, Sipling, weighted and
/// weighted Sipling groups (const arithmetic on generic parameters is not stable Rust, so the
/// callers spell them out).
#[inline(always)]
fn run_groups<T: Real, const K: usize, const P: u8, const PS: u8, const PW: u8, const PWS: u8>(
    groups: &mut [Group<T, K>],
    inst: &Instance,
    problem: &Problem,
    shared: &Shared,
    tx: &Sender<Candidate>,
) -> u64 {
    'run: loop {
        for g in groups.iter_mut() {
            if shared.done.load(Ordering::Relaxed) {
                break 'run;
            }
            if shared.max_steps.is_some_and(|s| g.steps >= s) {
                break 'run;
            }
            match (inst.weighted, g.sipling) {
                (false, false) => step::<T, K, P>(g, inst, problem, shared, tx),
                (false, true) => step::<T, K, PS>(g, inst, problem, shared, tx),
                (true, false) => step::<T, K, PW>(g, inst, problem, shared, tx),
                (true, true) => step::<T, K, PWS>(g, inst, problem, shared, tx),
            }
        }
    }
    for g in groups.iter_mut() {
        flush(g, inst, problem, shared, tx);
    }
    groups.iter().map(|g| g.steps).max().unwrap_or(0)
}

/// How often a group checks its best new assignment exactly.
const FLUSH: std::time::Duration = std::time::Duration::from_millis(5);

/// Polishes and checks the held assignment, and opens the next window.
#[cold]
fn flush<T: Real, const K: usize>(
    g: &mut Group<T, K>,
    inst: &Instance,
    problem: &Problem,
    shared: &Shared,
    tx: &Sender<Candidate>,
) {
    let t = Instant::now();
    publish(g, inst, problem, shared, tx);
    // The circuit runs `factor` times as long as the last finish and check took: SAT keeps
    // the checks to ~5%; MaxSAT splits evenly with its tabu search; QUBO gives ~90% to the
    // anneal, which did the most for the cut on random Max-Cut (see the `dmm` module doc).
    let factor = match g.finisher {
        Finisher::Greedy => 20.0,
        Finisher::Tabu(_) => 1.0,
        Finisher::Anneal(..) => 0.1,
    };
    g.window = FLUSH.max(t.elapsed().mul_f64(factor));
    g.last_flush = Instant::now();
}

/// Polishes the held assignment, checks it exactly, and publishes it if it beats the best.
fn publish<T: Real, const K: usize>(
    g: &mut Group<T, K>,
    inst: &Instance,
    problem: &Problem,
    shared: &Shared,
    tx: &Sender<Candidate>,
) {
    let Some((_, chip, steps)) = g.pending.take() else {
        return;
    };
    let keep_going = || !shared.done.load(Ordering::Relaxed);
    if shared.random_starts && !matches!(g.finisher, Finisher::Greedy) {
        // Ablation: finish a random state instead of the circuit's.
        let mut rng = SplitMix64::stream(g.steps, g.first_chip as u64);
        g.pending_x.iter_mut().for_each(|x| *x = rng.bit());
    }
    g.finisher
        .settle(inst, &mut g.pending_x, &mut g.true_count, keep_going);
    let x = &g.pending_x;
    let Ok(energy) = problem.energy(x) else {
        return; // a hard clause is violated: not a candidate
    };
    let ce = inst.clause_energy(energy);
    let mut cur = shared.best.load(Ordering::Relaxed);
    while ce < cur {
        match shared
            .best
            .compare_exchange(cur, ce, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(_) => {
                let reached = ce <= 0 || shared.target.is_some_and(|t| energy <= t);
                let _ = tx.send(Candidate {
                    assignment: x.to_vec(),
                    energy,
                    elapsed: shared.start.elapsed(),
                    chip,
                    steps,
                });
                if reached {
                    shared.done.store(true, Ordering::Relaxed);
                }
                return;
            }
            Err(now) => cur = now,
        }
    }
}

/// What settles a held state before it is checked: greedy descent for SAT, tabu search for
/// MaxSAT, annealing on the variables for QUBO.
pub enum Finisher {
    Greedy,
    Tabu(Tabu),
    Anneal(Box<QuboAnneal>, Option<Tabu>),
}

impl Finisher {
    pub fn for_problem(problem: &Problem, inst: &Instance, seed: u64) -> Finisher {
        match problem {
            Problem::Sat(_) => Finisher::Greedy,
            Problem::Qubo(q) => {
                Finisher::Anneal(Box::new(QuboAnneal::new(q, seed)), Tabu::new(inst, seed))
            }
            _ => Tabu::new(inst, seed).map_or(Finisher::Greedy, Finisher::Tabu),
        }
    }

    /// Settles `x` in place (`true_count` is the greedy descent's scratch); `keep_going`
    /// returning false cuts a long finish short.
    pub fn settle(
        &mut self,
        inst: &Instance,
        x: &mut [bool],
        true_count: &mut [u32],
        keep_going: impl Fn() -> bool + Copy,
    ) {
        let n = inst.num_vars as u64;
        // Tabu moves cost a scan of the variables: stall budgets shrink on large instances so
        // one finish stays near 10^8 variable visits.
        let stall = |per_var: u64| (per_var * n).min(100_000_000 / n.max(1)).max(1);
        match self {
            Finisher::Tabu(tabu) => {
                tabu.run(inst, x, stall(10), keep_going);
                x.copy_from_slice(&tabu.best_x);
            }
            Finisher::Anneal(sa, tabu) => {
                // 3000 sweeps (≤ 2·10^8 flips) from 4× cooler than a random start needs: the
                // circuit's state is already ordered. Then tabu takes the anneal's result past
                // the local minimum it froze in.
                let sweeps = (200_000_000 / n.max(1)).clamp(50, 3000);
                sa.anneal(x, sweeps, 4.0, keep_going);
                x.copy_from_slice(&sa.best_x);
                if let Some(tabu) = tabu {
                    tabu.run(inst, x, stall(5), keep_going);
                    x.copy_from_slice(&tabu.best_x);
                }
            }
            Finisher::Greedy => inst.polish(x, true_count),
        }
    }
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
            Work::F32(g) => dispatch(g, inst, problem, shared, tx),
            Work::F64(g) => dispatch(g, inst, problem, shared, tx),
        }
    }
}

/// Picks the widest vector instructions this CPU has.
fn dispatch<T: Real, const K: usize>(
    g: &mut [Group<T, K>],
    inst: &Instance,
    problem: &Problem,
    shared: &Shared,
    tx: &Sender<Candidate>,
) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            return unsafe { x86::run_avx512(g, inst, problem, shared, tx) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { x86::run_avx2(g, inst, problem, shared, tx) };
        }
    }
    run_groups::<T, K, 0, SIPLING, WEIGHTED, { WEIGHTED | SIPLING }>(g, inst, problem, shared, tx)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
    pub unsafe fn run_avx512<T: Real, const K: usize>(
        g: &mut [Group<T, K>],
        inst: &Instance,
        problem: &Problem,
        shared: &Shared,
        tx: &Sender<Candidate>,
    ) -> u64 {
        run_groups::<T, K, FMA, { FMA | SIPLING }, { FMA | WEIGHTED }, { FMA | WEIGHTED | SIPLING }>(
            g, inst, problem, shared, tx,
        )
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn run_avx2<T: Real, const K: usize>(
        g: &mut [Group<T, K>],
        inst: &Instance,
        problem: &Problem,
        shared: &Shared,
        tx: &Sender<Candidate>,
    ) -> u64 {
        run_groups::<T, K, FMA, { FMA | SIPLING }, { FMA | WEIGHTED }, { FMA | WEIGHTED | SIPLING }>(
            g, inst, problem, shared, tx,
        )
    }
}
