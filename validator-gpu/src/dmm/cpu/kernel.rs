//! The clause pass's arithmetic for K chips at once: per clause C, G and R, dv's scatter-add,
//! the memories' update and the running energy, specialised at compile time by kernel flags.

use super::instance::{Block, Instance};
use super::lanes::{Lanes, Real};

/// Kernel flags, folded in at compile time.
pub(super) const WEIGHTED: u8 = 1;
pub(super) const SIPLING: u8 = 2;
pub(super) const FMA: u8 = 4;

/// What a clause pass needs each step.
pub(super) struct StepConsts<T, const K: usize> {
    pub(super) dt_alpha: Lanes<T, K>,
    pub(super) dt_beta: Lanes<T, K>,
    pub(super) gamma: Lanes<T, K>,
    pub(super) delta: Lanes<T, K>,
    pub(super) eps: Lanes<T, K>,
    pub(super) zeta: Lanes<T, K>,
    pub(super) xl_max: Lanes<T, K>,
}

/// A block's clause weights (only read by the weighted kernels).
#[derive(Clone, Copy)]
pub(super) struct Weights<'a, T> {
    pub(super) dynamics: &'a [T],
    pub(super) exact: &'a [T],
}

impl<'a, T> Weights<'a, T> {
    pub(super) fn at(self, first: usize) -> Weights<'a, T> {
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
pub(super) fn fixed<T: Real, const K: usize, const L: usize, const F: u8>(
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
pub(super) fn long<T: Real, const K: usize, const F: u8>(
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
