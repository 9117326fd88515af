//! The step loop: one step of a group, the loop over a thread's groups, and the build of it
//! picked for this CPU's widest vector instructions.

use super::finisher::flush;
use super::group::Group;
use super::instance::Instance;
use super::kernel::{FMA, SIPLING, WEIGHTED};
use super::lanes::Real;
use super::Shared;
use crate::dmm::Candidate;
use glia_problem::Problem;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;

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

/// Picks the widest vector instructions this CPU has.
pub(super) fn dispatch<T: Real, const K: usize>(
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
