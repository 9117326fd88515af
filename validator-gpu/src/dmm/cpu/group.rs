//! [`Group`]: K chips' state, lane-interleaved, and the two passes of a step over it (clauses,
//! then variables).

use super::finisher::{Finisher, FLUSH};
use super::instance::Instance;
use super::kernel::{fixed, long, StepConsts, Weights};
use super::lanes::{Lanes, Real};
use super::params::ChipParams;
use crate::dmm::generate::SplitMix64;
use std::time::Instant;

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
    pub(super) energy: Lanes<T, K>,
    scratch: Vec<Lanes<T, K>>,
    /// The best assignment seen since the last exact check, with its running energy, chip and
    /// step: checking exactly costs a pass over every clause, so it waits (see `FLUSH`).
    pub(super) pending: Option<(f64, usize, u64)>,
    pub(super) pending_x: Vec<bool>,
    pub(super) true_count: Vec<u32>,
    /// What settles each held state before it is checked.
    pub(super) finisher: Finisher,
    pub(super) last_flush: Instant,
    /// The current window: at least FLUSH, and 20 times the last check's cost, so polishing
    /// and checking take at most ~5% of the run.
    pub(super) window: std::time::Duration,
    pub(super) sipling: bool,
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
        let c = Consts::of(params, m);
        // Start: v uniform in [-1, 1] and x_s = C (Bearden); v = ±1 and x_s = ½ (Sipling).
        let zero = Lanes([T::default(); K]);
        let v = initial_voltages::<T, K>(n, sipling, seed, first_chip);
        let (xs, xl) = initial_memories(inst, &v, sipling);
        let dt = per_lane(params, &|p| (1.0 / 128.0f64).clamp(p.dt_min, p.dt_max));
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
    pub(super) fn clause_pass<const F: u8>(&mut self, inst: &Instance) {
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
    pub(super) fn variable_pass<const F: u8>(&mut self) {
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
    pub(super) fn hold(&mut self, k: usize, energy: f64) {
        for (x, vn) in self.pending_x.iter_mut().zip(&self.v) {
            *x = vn.0[k] > T::default();
        }
        self.pending = Some((energy, self.first_chip + k, self.steps));
    }
}

/// One value per lane: `f` of each chip's parameters.
fn per_lane<T: Real, const K: usize>(
    params: &[ChipParams; K],
    f: &dyn Fn(&ChipParams) -> f64,
) -> Lanes<T, K> {
    let mut l = Lanes([T::default(); K]);
    for (x, p) in l.0.iter_mut().zip(params) {
        *x = T::of(f(p));
    }
    l
}

impl<T: Real, const K: usize> Consts<T, K> {
    /// The chips' parameters lane by lane; x_l's bound capped at 10^4·M for `m` clauses.
    fn of(params: &[ChipParams; K], m: usize) -> Self {
        Consts {
            alpha: per_lane(params, &|p| p.alpha),
            beta: per_lane(params, &|p| p.beta),
            gamma: per_lane(params, &|p| p.gamma),
            delta: per_lane(params, &|p| p.delta),
            eps: per_lane(params, &|p| p.eps),
            zeta: per_lane(params, &|p| p.zeta),
            dt0: per_lane(params, &|p| p.dt0),
            dt_min: per_lane(params, &|p| p.dt_min),
            dt_max: per_lane(params, &|p| p.dt_max),
            xl_max: per_lane(params, &|p| p.xl_max.min(1e4 * m.max(1) as f64)),
        }
    }
}

/// The chips' initial voltages: uniform in [-1, 1] (Bearden) or ±1 (Sipling), each chip from
/// its own stream by chip index, so a chip starts the same whichever group holds it (the CUDA
/// solver draws its chips the same way).
fn initial_voltages<T: Real, const K: usize>(
    n: usize,
    sipling: bool,
    seed: u64,
    first_chip: usize,
) -> Vec<Lanes<T, K>> {
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
    v
}

/// The initial memories at the voltages `v`: x_s = C (Bearden) or ½ (Sipling); x_l = 1, plus
/// the clause's weight in the dynamics on weighted problems.
fn initial_memories<T: Real, const K: usize>(
    inst: &Instance,
    v: &[Lanes<T, K>],
    sipling: bool,
) -> (Vec<Lanes<T, K>>, Vec<Lanes<T, K>>) {
    let m = inst.num_clauses();
    let zero = Lanes([T::default(); K]);
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
    (xs, xl)
}
