//! The clauses as the kernels read them ([`Instance`], in [`Block`]s by length), the indexes the
//! local searches walk, and the clause form of a QUBO ([`qubo_clauses`]).

use glia_problem::{Clauses, Problem};

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
        let mut inst = Instance::empty(&c, weighted, scale, constant);
        let order = inst.add_clauses(&c);
        let all: Vec<usize> = order.iter().flatten().copied().collect();
        inst.set_weights(&c, &all);
        inst.index_literals();
        inst
    }

    /// No clauses yet, only what `c`'s size and the problem's kind decide.
    fn empty(c: &Clauses, weighted: bool, scale: i64, constant: i128) -> Instance {
        Instance {
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
        }
    }

    /// Files each clause of `c` in the block of its length; returns the indices in `c` of the
    /// clauses each block (1, 2, 3, longer) took, in order, which maps block order back to `c`.
    fn add_clauses(&mut self, c: &Clauses) -> [Vec<usize>; 4] {
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
                1 => self.b1.push(&buf),
                2 => self.b2.push(&buf),
                3 => self.b3.push(&buf),
                _ => {
                    for &lit in &buf {
                        self.long.push(&[lit]);
                    }
                    self.long_starts.push(self.long.len() as u32);
                    self.max_len = self.max_len.max(buf.len());
                }
            }
            order[buf.len().min(4) - 1].push(m);
        }
        order
    }

    /// The exact and the dynamic weight of each clause; `all[j]` is the index in `c` of clause
    /// `j` (block order).
    fn set_weights(&mut self, c: &Clauses, all: &[usize]) {
        self.wraw = all.iter().map(|&m| c.weights[m] as f64).collect();
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
        self.wdyn = all
            .iter()
            .map(|&m| {
                if c.hard[m] {
                    hard_w
                } else {
                    c.weights[m] as f64 / mean
                }
            })
            .collect();
    }

    /// The variable → clause and clause → literal indexes, from the blocks.
    fn index_literals(&mut self) {
        let mut count = vec![0u32; self.num_vars + 1];
        let clauses: Vec<Vec<(u32, f64)>> =
            (0..self.num_clauses()).map(|j| self.clause(j)).collect();
        for &(var, _) in clauses.iter().flatten() {
            count[var as usize + 1] += 1;
        }
        for i in 0..self.num_vars {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        self.occ = vec![(0, false); count[self.num_vars] as usize];
        for (j, lits) in clauses.iter().enumerate() {
            for &(var, nq) in lits {
                self.occ[fill[var as usize] as usize] = (j as u32, nq < 0.0);
                fill[var as usize] += 1;
            }
        }
        self.occ_start = count;
        for lits in &clauses {
            self.lits
                .extend(lits.iter().map(|&(var, nq)| (var, nq < 0.0)));
            self.lit_start.push(self.lits.len() as u32);
        }
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
