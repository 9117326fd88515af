//! Seeded instance generators for tests and benchmarks: planted 3-SAT and random Max-Cut.
//! The same seed gives the same instance byte for byte on every machine.

use glia_problem::Clauses;
use std::collections::HashSet;
use std::fmt::Write as _;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and well mixed; also seeds each chip.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// A generator for sub-stream `stream` of `seed` (chips, threads), decorrelated from the rest.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut g = SplitMix64(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        g.next_u64();
        g
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub fn bit(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }
}

/// A planted 3-SAT instance and the hidden assignment that satisfies it.
pub struct Planted {
    pub clauses: Clauses,
    /// The hidden assignment σ (variable `i + 1` is `hidden[i]`); its complement also satisfies.
    pub hidden: Vec<bool>,
}

/// Planted 3-SAT with `round(ratio · n)` clauses, 2-hidden so that literal counts do not give
/// the solution away.
///
/// A hidden σ is drawn; each clause takes 3 distinct variables uniformly and then one of the 6
/// sign patterns that make exactly 1 or exactly 2 of its literals true under σ, each with
/// probability 1/6. Every literal is then true under σ with probability ½, so each variable
/// appears positive and negative equally often in expectation (plain 1-hidden planting, which
/// only excludes the all-false pattern, lets a majority vote read σ off the formula). This is
/// the "2-hidden" distribution of Achlioptas, Jia & Moore (AAAI 2004), the q = 1 member of the
/// q-hidden family of Jia, Moore & Strain (2005) with all-true clauses excluded; σ and its
/// complement both satisfy every clause.
pub fn planted_3sat(n: u32, ratio: f64, seed: u64) -> Result<Planted, String> {
    if n < 3 {
        return Err(format!("planted 3-SAT needs at least 3 variables, got {n}"));
    }
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(format!("clause ratio must be positive, got {ratio}"));
    }
    let m = (ratio * f64::from(n)).round();
    if m < 1.0 || m > f64::from(u32::MAX / 3) {
        return Err(format!(
            "{n} variables at ratio {ratio} gives {m} clauses, out of range"
        ));
    }
    let m = m as usize;
    let mut rng = SplitMix64::stream(seed, 0x5A73);
    let hidden: Vec<bool> = (0..n).map(|_| rng.bit()).collect();
    // Which of the three literals are true under σ: exactly one or exactly two.
    const PATTERNS: [[bool; 3]; 6] = [
        [true, false, false],
        [false, true, false],
        [false, false, true],
        [true, true, false],
        [true, false, true],
        [false, true, true],
    ];
    let mut lits = Vec::with_capacity(3 * m);
    let mut starts = Vec::with_capacity(m + 1);
    starts.push(0u32);
    for _ in 0..m {
        let a = rng.below(u64::from(n)) as u32;
        let mut b = a;
        while b == a {
            b = rng.below(u64::from(n)) as u32;
        }
        let mut c = a;
        while c == a || c == b {
            c = rng.below(u64::from(n)) as u32;
        }
        let pattern = PATTERNS[rng.below(6) as usize];
        for (var, truth) in [a, b, c].into_iter().zip(pattern) {
            // The literal is true under σ iff its sign agrees with σ(var).
            let positive = truth == hidden[var as usize];
            let dimacs = var as i32 + 1;
            lits.push(if positive { dimacs } else { -dimacs });
        }
        starts.push(lits.len() as u32);
    }
    Ok(Planted {
        clauses: Clauses {
            num_vars: n,
            lits,
            starts,
            weights: vec![1; m],
            hard: vec![true; m],
        },
        hidden,
    })
}

/// Edge weights of a generated Max-Cut instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutWeights {
    /// Every edge weighs 1 (the cut size is the number of cut edges).
    Unit,
    /// Each edge weighs +1 or -1 with probability ½ (a ±J spin glass, as in part of G-set).
    PlusMinus,
}

/// A Max-Cut instance as a QUBO text (`p qubo N M 0`, 0-based `i j value` lines).
pub struct MaxCut {
    pub qubo: String,
    /// The edges (i < j, 0-based) and their weights.
    pub edges: Vec<(u32, u32, i64)>,
}

/// Max-Cut on an Erdős–Rényi G(n, m) graph: `m` distinct edges drawn uniformly among the
/// n(n−1)/2 pairs (no self-loops, no multi-edges), each of weight 1 or ±1.
///
/// Maximising cut = Σ_{(i,j)∈E} w_ij (x_i + x_j − 2 x_i x_j) is minimising its negation, the QUBO
/// Q_ii = −Σ_j w_ij, Q_ij = 2 w_ij with offset 0; the QUBO energy of an assignment is −cut.
pub fn maxcut(n: u32, m: u64, weights: CutWeights, seed: u64) -> Result<MaxCut, String> {
    if n < 2 {
        return Err(format!("Max-Cut needs at least 2 vertices, got {n}"));
    }
    let pairs = u64::from(n) * u64::from(n - 1) / 2;
    if m == 0 || m > pairs {
        return Err(format!(
            "{m} edges: a simple graph on {n} vertices has between 1 and {pairs}"
        ));
    }
    // Rejection sampling slows down as the graph fills; above half the pairs, draw the
    // complement instead.
    let dense = m > pairs / 2;
    let draw = if dense { pairs - m } else { m };
    if draw > 50_000_000 {
        return Err(format!("{m} edges is too many to generate here"));
    }
    let mut rng = SplitMix64::stream(seed, 0x3C07);
    let mut chosen: HashSet<(u32, u32)> = HashSet::with_capacity(draw as usize);
    let mut order: Vec<(u32, u32)> = Vec::with_capacity(draw as usize);
    while (order.len() as u64) < draw {
        let i = rng.below(u64::from(n)) as u32;
        let j = rng.below(u64::from(n)) as u32;
        if i == j {
            continue;
        }
        let e = (i.min(j), i.max(j));
        if chosen.insert(e) {
            order.push(e);
        }
    }
    let mut pairs_out: Vec<(u32, u32)> = if dense {
        let mut all = Vec::with_capacity(m as usize);
        for i in 0..n {
            for j in i + 1..n {
                if !chosen.contains(&(i, j)) {
                    all.push((i, j));
                }
            }
        }
        all
    } else {
        order
    };
    pairs_out.sort_unstable();
    let edges: Vec<(u32, u32, i64)> = pairs_out
        .into_iter()
        .map(|(i, j)| {
            let w = match weights {
                CutWeights::Unit => 1,
                CutWeights::PlusMinus => {
                    if rng.bit() {
                        1
                    } else {
                        -1
                    }
                }
            };
            (i, j, w)
        })
        .collect();
    let mut diag = vec![0i64; n as usize];
    for &(i, j, w) in &edges {
        diag[i as usize] -= w;
        diag[j as usize] -= w;
    }
    let lines = edges.len() + diag.iter().filter(|&&d| d != 0).count();
    let mut qubo = String::with_capacity(lines * 16 + 64);
    let _ = writeln!(
        qubo,
        "c Max-Cut on G({n}, {m}), {} weights, seed {seed}: energy = -cut",
        match weights {
            CutWeights::Unit => "unit",
            CutWeights::PlusMinus => "±1",
        }
    );
    let _ = writeln!(qubo, "p qubo {n} {lines} 0");
    for (i, &d) in diag.iter().enumerate() {
        if d != 0 {
            let _ = writeln!(qubo, "{i} {i} {d}");
        }
    }
    for &(i, j, w) in &edges {
        let _ = writeln!(qubo, "{i} {j} {}", 2 * w);
    }
    Ok(MaxCut { qubo, edges })
}

/// The cut value of a 0/1 assignment (vertices with `x[i]` on one side).
pub fn cut_value(edges: &[(u32, u32, i64)], x: &[bool]) -> i64 {
    edges
        .iter()
        .filter(|&&(i, j, _)| x[i as usize] != x[j as usize])
        .map(|&(_, _, w)| w)
        .sum()
}
