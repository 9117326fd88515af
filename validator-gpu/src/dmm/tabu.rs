//! Tabu search over single flips: finishes the DMM's samples of weighted problems.
//!
//! The DMM's trajectory visits low-energy regions; its sign states are good starting points but
//! rarely local optima of the exact objective. Greedy descent ([`Instance::polish`]) stops at
//! the first local minimum; tabu search (Glover 1989) keeps going: every move flips the variable
//! whose flip lowers the energy most (or raises it least), and a flipped variable may not flip
//! back for `tenure` moves unless that would give a new best (aspiration). It explores the
//! basin around its start and stops after `stall` moves without a new best.
//!
//! Gains are kept incrementally: flipping a variable changes the true-literal count of each of
//! its clauses, and only the gains of variables in clauses whose count crosses 0↔1 or 1↔2
//! change. One move costs a scan of the variables (picking the best) plus the clauses of the
//! flipped variable. Nothing is allocated per move.

use super::cpu::Instance;
use super::generate::SplitMix64;

/// Scratch for tabu runs on one instance, owned by one thread.
pub struct Tabu {
    pub x: Vec<bool>,
    /// The best assignment of the last run and its clause energy.
    pub best_x: Vec<bool>,
    pub best: i128,
    /// Energy decrease if the variable flips.
    gain: Vec<i64>,
    /// Clause weights as integers.
    w: Vec<i64>,
    true_count: Vec<u32>,
    tabu_until: Vec<u64>,
    rng: SplitMix64,
    /// Moves made in all runs.
    pub moves: u64,
    /// A flipped variable stays tabu for `tenure + below(tenure_spread)` moves.
    pub tenure: u64,
    pub tenure_spread: u64,
}

impl Tabu {
    /// Scratch for `inst`; None when a variable's clauses weigh 2^62 or more together, so its
    /// gain might not fit an i64 (then callers fall back to greedy descent).
    pub fn new(inst: &Instance, seed: u64) -> Option<Tabu> {
        let n = inst.num_vars;
        let fits = (0..n).all(|var| {
            let total: f64 = inst
                .occurrences(var)
                .iter()
                .map(|&(j, _)| inst.wraw[j as usize])
                .sum();
            total < (1u64 << 62) as f64
        });
        if !fits {
            return None;
        }
        Some(Tabu {
            x: vec![false; n],
            best_x: vec![false; n],
            best: i128::MAX,
            gain: vec![0; n],
            w: inst.wraw.iter().map(|&w| w as i64).collect(),
            true_count: vec![0; inst.num_clauses()],
            tabu_until: vec![0; n],
            rng: SplitMix64::new(seed),
            moves: 0,
            // About n/40 + below(n/40): best of the settings tried on G(800, 9600) and
            // G(2000, 24000) (n/100 + below(10) fell ~10 short of the cut, n/10 ~5).
            tenure: (n as u64 / 40).max(1),
            tenure_spread: (n as u64 / 40).max(1),
        })
    }

    /// A literal's share of its variable's gain, given its clause's true count `t`.
    #[inline(always)]
    fn share(lit_true: bool, t: u32, w: i64) -> i64 {
        // Branch-free: a true literal loses w when it is the clause's only true one (t = 1),
        // a false literal gains w when the clause is unsatisfied (t = 0).
        let counts = i64::from(t == u32::from(lit_true));
        let sign = 1 - 2 * i64::from(lit_true);
        counts * sign * w
    }

    /// Sets the state to `start`, with its true counts and gains; returns its clause energy.
    fn load(&mut self, inst: &Instance, start: &[bool]) -> i128 {
        let n = inst.num_vars;
        self.x.copy_from_slice(start);
        self.true_count.fill(0);
        self.gain.fill(0);
        for (var, &xv) in self.x.iter().enumerate() {
            for &(j, pos) in inst.occurrences(var) {
                self.true_count[j as usize] += u32::from(xv == pos);
            }
        }
        let mut energy: i128 = 0;
        for (j, &t) in self.true_count.iter().enumerate() {
            if t == 0 {
                energy += i128::from(self.w[j]);
            }
        }
        for var in 0..n {
            let xv = self.x[var];
            let mut g = 0;
            for &(j, pos) in inst.occurrences(var) {
                g += Self::share(xv == pos, self.true_count[j as usize], self.w[j as usize]);
            }
            self.gain[var] = g;
        }
        energy
    }

    /// Runs from `start` until `stall` moves bring no new best or `keep_going` says stop
    /// (asked every 256 moves); the best is left in `best_x` / `best`.
    pub fn run(
        &mut self,
        inst: &Instance,
        start: &[bool],
        stall: u64,
        mut keep_going: impl FnMut() -> bool,
    ) -> i128 {
        let n = inst.num_vars;
        if n == 0 {
            self.best = 0;
            return 0;
        }
        let mut energy = self.load(inst, start);
        self.tabu_until.fill(0);
        self.best = energy;
        self.best_x.copy_from_slice(&self.x);
        let mut it: u64 = 0;
        let mut last_best: u64 = 0;
        while it - last_best < stall {
            if it & 255 == 0 && !keep_going() {
                break;
            }
            it += 1;
            // The best admissible move: its gain in one vectorisable pass, then the first
            // admissible variable with that gain after a random offset (ties spread out).
            let aspire = (energy - self.best).clamp(0, i128::from(i64::MAX)) as i64;
            let admissible = |g: i64, u: u64| u < it || g > aspire;
            let top = top_gain(&self.gain, &self.tabu_until, it, aspire);
            if top == i64::MIN {
                continue; // everything tabu: let the tenures run out
            }
            let offset = self.rng.below(n as u64) as usize;
            let hit = |(g, u): (&i64, &u64)| *g == top && admissible(*g, *u);
            let pick = match self.gain[offset..]
                .iter()
                .zip(&self.tabu_until[offset..])
                .position(hit)
            {
                Some(k) => offset + k,
                None => self
                    .gain
                    .iter()
                    .zip(&self.tabu_until)
                    .position(hit)
                    .unwrap_or(0),
            };
            let pick_gain = top;
            self.flip(inst, pick);
            energy -= i128::from(pick_gain);
            self.tabu_until[pick] = it + self.tenure + self.rng.below(self.tenure_spread);
            if energy < self.best {
                self.best = energy;
                self.best_x.copy_from_slice(&self.x);
                last_best = it;
            }
        }
        self.moves += it;
        self.best
    }

    fn flip(&mut self, inst: &Instance, var: usize) {
        let old = self.x[var];
        for &(j, _) in inst.occurrences(var) {
            let (t, w) = (self.true_count[j as usize], self.w[j as usize]);
            for &(u, pos) in inst.literals(j as usize) {
                self.gain[u as usize] -= Self::share(self.x[u as usize] == pos, t, w);
            }
        }
        self.x[var] = !old;
        for &(j, pos) in inst.occurrences(var) {
            let t = &mut self.true_count[j as usize];
            if old == pos {
                *t -= 1;
            } else {
                *t += 1;
            }
            let (t, w) = (*t, self.w[j as usize]);
            for &(u, pos) in inst.literals(j as usize) {
                self.gain[u as usize] += Self::share(self.x[u as usize] == pos, t, w);
            }
        }
    }
}

/// The largest gain among admissible variables (not tabu at move `it`, or aspiring), or
/// i64::MIN: the hot loop of a move, compiled for the widest vector instructions at hand.
fn top_gain(gain: &[i64], until: &[u64], it: u64, aspire: i64) -> i64 {
    #[inline(always)]
    fn scan(gain: &[i64], until: &[u64], it: u64, aspire: i64) -> i64 {
        let pick = |g: i64, u: u64| if (u < it) | (g > aspire) { g } else { i64::MIN };
        // Eight independent maxima, so the loop is vector lanes rather than one cmov chain.
        let mut acc = [i64::MIN; 8];
        let (g8, u8) = (gain.chunks_exact(8), until.chunks_exact(8));
        let (gr, ur) = (g8.remainder(), u8.remainder());
        for (g, u) in g8.zip(u8) {
            for k in 0..8 {
                acc[k] = acc[k].max(pick(g[k], u[k]));
            }
        }
        let tail = gr
            .iter()
            .zip(ur)
            .fold(i64::MIN, |m, (&g, &u)| m.max(pick(g, u)));
        acc.into_iter().fold(tail, i64::max)
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx2")]
        unsafe fn avx512(gain: &[i64], until: &[u64], it: u64, aspire: i64) -> i64 {
            scan(gain, until, it, aspire)
        }
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(gain: &[i64], until: &[u64], it: u64, aspire: i64) -> i64 {
            scan(gain, until, it, aspire)
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has AVX-512F and VL (checked just above).
            return unsafe { avx512(gain, until, it, aspire) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { avx2(gain, until, it, aspire) };
        }
    }
    scan(gain, until, it, aspire)
}
