//! Finishing: what settles a group's held state ([`Finisher`]: greedy descent, tabu search or
//! annealing), and the exact check that publishes it.

use super::group::Group;
use super::instance::Instance;
use super::lanes::Real;
use super::Shared;
use crate::dmm::anneal::QuboAnneal;
use crate::dmm::generate::SplitMix64;
use crate::dmm::tabu::Tabu;
use crate::dmm::Candidate;
use glia_problem::Problem;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// How often a group checks its best new assignment exactly.
pub(super) const FLUSH: std::time::Duration = std::time::Duration::from_millis(5);

/// Polishes and checks the held assignment, and opens the next window.
#[cold]
pub(super) fn flush<T: Real, const K: usize>(
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
