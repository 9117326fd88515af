//! Simulated annealing on a QUBO's own variables: finishes the DMM's samples of QUBO jobs.
//!
//! The circuit integrates a QUBO as weighted clauses; its sign states land in good regions but
//! are rarely local optima. Annealing from such a state, starting cooler than from a random
//! one, settles it. On the variables themselves (a local field per variable, one update per
//! neighbour on a flip) a Metropolis attempt costs a few nanoseconds, several times less than
//! through the clause form, so QUBO jobs get their own finisher; MaxSAT keeps [`super::tabu`].

use super::generate::SplitMix64;
use glia_problem::Qubo;

/// Largest `max_delta` for which acceptance goes through a table.
const TABLE_MAX: i64 = 4096;

/// Neighbour lists: 8 bytes an entry when every coupling fits an i32 (half the memory traffic
/// of a flip), else 16.
enum Couplings {
    Narrow(Vec<(u32, i32)>),
    Wide(Vec<(u32, i64)>),
}

/// A QUBO's couplings by variable, and the scratch for annealing runs, owned by one thread.
pub struct QuboAnneal {
    /// Variable i's neighbours are `nbr[start[i]..start[i + 1]]`: (j, b_ij).
    start: Vec<u32>,
    nbr: Couplings,
    linear: Vec<i64>,
    x: Vec<bool>,
    /// field_i = h_i + Σ_j b_ij x_j: flipping x_i from 0 to 1 changes the energy by +field_i.
    field: Vec<i64>,
    /// The best assignment of the last run and its energy (without the offset).
    pub best_x: Vec<bool>,
    pub best: i64,
    rng: SplitMix64,
    /// dwave-samplers' default range: the largest flip accepted with probability ½ when hot,
    /// the smallest with 1/100 when cold.
    beta_hot: f64,
    beta_cold: f64,
    /// The largest energy change one flip can make.
    max_delta: i64,
    /// Per sweep, for deltas up to `max_delta` when that is small: e^(−β·d) · 2^53, so an
    /// uphill move is one table read and one integer compare.
    accept: Vec<u64>,
    /// Metropolis attempts made in all runs.
    pub attempts: u64,
}

impl QuboAnneal {
    pub fn new(q: &Qubo, seed: u64) -> QuboAnneal {
        let n = q.num_vars as usize;
        let mut linear = vec![0i64; n];
        let mut count = vec![0u32; n + 1];
        for &(i, j, w) in &q.terms {
            if i == j {
                linear[i as usize] += w;
            } else {
                count[i as usize + 1] += 1;
                count[j as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut nbr = vec![(0u32, 0i64); count[n] as usize];
        for &(i, j, w) in &q.terms {
            if i != j {
                nbr[fill[i as usize] as usize] = (j, w);
                fill[i as usize] += 1;
                nbr[fill[j as usize] as usize] = (i, w);
                fill[j as usize] += 1;
            }
        }
        let mut max_delta = 1.0f64;
        let mut min_delta = f64::INFINITY;
        for i in 0..n {
            let around = &nbr[count[i] as usize..count[i + 1] as usize];
            let total: f64 = linear[i].unsigned_abs() as f64
                + around
                    .iter()
                    .map(|&(_, b)| b.unsigned_abs() as f64)
                    .sum::<f64>();
            max_delta = max_delta.max(total);
            for w in around.iter().map(|&(_, b)| b).chain([linear[i]]) {
                if w != 0 {
                    min_delta = min_delta.min(w.unsigned_abs() as f64);
                }
            }
        }
        if !min_delta.is_finite() {
            min_delta = 1.0;
        }
        let nbr = if nbr.iter().all(|&(_, b)| i32::try_from(b).is_ok()) {
            Couplings::Narrow(nbr.iter().map(|&(j, b)| (j, b as i32)).collect())
        } else {
            Couplings::Wide(nbr)
        };
        QuboAnneal {
            start: count,
            nbr,
            linear,
            x: vec![false; n],
            field: vec![0; n],
            best_x: vec![false; n],
            best: i64::MAX,
            rng: SplitMix64::new(seed),
            beta_hot: std::f64::consts::LN_2 / max_delta,
            beta_cold: 100f64.ln() / min_delta,
            max_delta: max_delta as i64,
            accept: Vec::new(),
            attempts: 0,
        }
    }

    /// The sum of b_ij over neighbours j with x_j set.
    fn coupled(&self, i: usize) -> i64 {
        let r = self.start[i] as usize..self.start[i + 1] as usize;
        match &self.nbr {
            Couplings::Narrow(n) => n[r]
                .iter()
                .filter(|e| self.x[e.0 as usize])
                .map(|e| i64::from(e.1))
                .sum(),
            Couplings::Wide(n) => n[r]
                .iter()
                .filter(|e| self.x[e.0 as usize])
                .map(|e| e.1)
                .sum(),
        }
    }

    /// Sets the state to `x0` and its fields; returns its energy (without the offset).
    fn load(&mut self, x0: &[bool]) -> i64 {
        self.x.copy_from_slice(x0);
        let (mut linear, mut couplings2) = (0i64, 0i64);
        for i in 0..self.x.len() {
            let f = self.linear[i] + self.coupled(i);
            self.field[i] = f;
            if self.x[i] {
                linear += self.linear[i];
                couplings2 += f - self.linear[i]; // each coupling seen from both ends
            }
        }
        linear + couplings2 / 2
    }

    /// `sweeps` Metropolis sweeps over the variables in order from `x0`, inverse temperature
    /// geometric from `beta_hot · hot_scale` (a start cooler than random wants > 1) to
    /// `beta_cold`; `keep_going` is asked every 16 sweeps. The best state seen is left in
    /// `best_x` / `best`.
    pub fn anneal(
        &mut self,
        x0: &[bool],
        sweeps: u64,
        hot_scale: f64,
        mut keep_going: impl FnMut() -> bool,
    ) -> i64 {
        let mut energy = self.load(x0);
        self.best = energy;
        self.best_x.copy_from_slice(&self.x);
        let b0 = (self.beta_hot * hot_scale).min(self.beta_cold);
        let ratio = (self.beta_cold / b0).powf(1.0 / (sweeps.max(2) - 1) as f64);
        let mut beta = b0;
        for done in 0..sweeps {
            if done & 15 == 0 && !keep_going() {
                break;
            }
            // Uphill moves costlier than this are never taken (e^-30 ≈ 10^-13).
            let cutoff = 30.0 / beta;
            let table = self.max_delta <= TABLE_MAX;
            if table {
                let scale = (1u64 << 53) as f64;
                self.accept.clear();
                self.accept.extend(
                    (0..=self.max_delta).map(|d| ((-beta * d as f64).exp() * scale) as u64),
                );
            }
            let accept = table.then_some(&self.accept[..]);
            let x = &mut self.x[..];
            energy += match &self.nbr {
                Couplings::Narrow(nbr) => sweep(
                    nbr,
                    &self.start,
                    x,
                    &mut self.field,
                    &mut self.rng,
                    accept,
                    beta,
                    cutoff,
                ),
                Couplings::Wide(nbr) => sweep(
                    nbr,
                    &self.start,
                    x,
                    &mut self.field,
                    &mut self.rng,
                    accept,
                    beta,
                    cutoff,
                ),
            };
            // The best is taken between sweeps: copying it at every new low would cost a pass
            // over the variables per accepted move while the run cools.
            if energy < self.best {
                self.best = energy;
                self.best_x.copy_from_slice(&self.x);
            }
            beta *= ratio;
            self.attempts += self.x.len() as u64;
        }
        self.best
    }
}

/// One Metropolis sweep over the variables in order; returns the energy change. Acceptance of
/// an uphill move of `delta` is `accept[delta]` against 53 random bits when a table is given,
/// else e^(−β·delta) computed, skipped beyond `cutoff`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn sweep<W: Copy + Into<i64>>(
    nbr: &[(u32, W)],
    start: &[u32],
    x: &mut [bool],
    field: &mut [i64],
    rng: &mut SplitMix64,
    accept: Option<&[u64]>,
    beta: f64,
    cutoff: f64,
) -> i64 {
    let mut change = 0;
    for i in 0..x.len() {
        let xi = x[i];
        let delta = if xi { -field[i] } else { field[i] };
        let take = delta <= 0
            || match accept {
                Some(t) => {
                    // delta ≤ max_delta always; the index is checked anyway.
                    let p = t.get(delta as usize).copied().unwrap_or(0);
                    p != 0 && (rng.next_u64() >> 11) < p
                }
                None => (delta as f64) < cutoff && rng.unit() < (-beta * delta as f64).exp(),
            };
        if take {
            x[i] = !xi;
            change += delta;
            let around = &nbr[start[i] as usize..start[i + 1] as usize];
            if xi {
                for &(j, b) in around {
                    field[j as usize] -= b.into();
                }
            } else {
                for &(j, b) in around {
                    field[j as usize] += b.into();
                }
            }
        }
    }
    change
}
