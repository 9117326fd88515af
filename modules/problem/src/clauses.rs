//! [`Clauses`]: the flat clause form every CNF, WCNF and (through its clauses) QUBO problem
//! shares.

/// Clauses in flat, struct-of-arrays form: clause `m` holds the DIMACS literals
/// `lits[starts[m]..starts[m + 1]]` (±variable, 1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clauses {
    pub num_vars: u32,
    pub lits: Vec<i32>,
    /// `num_clauses + 1` offsets into `lits`.
    pub starts: Vec<u32>,
    /// Weight of each clause: 1 for CNF; the soft weight for WCNF; for a hard WCNF clause,
    /// 1 + the total soft weight (violating it always costs more than all soft clauses).
    pub weights: Vec<u64>,
    /// Hard clauses must all hold for an assignment to be valid (every CNF clause is hard).
    pub hard: Vec<bool>,
}

impl Clauses {
    pub fn num_clauses(&self) -> usize {
        self.weights.len()
    }

    pub fn clause(&self, m: usize) -> &[i32] {
        &self.lits[self.starts[m] as usize..self.starts[m.saturating_add(1)] as usize]
    }

    pub(crate) fn satisfied(&self, m: usize, x: &[bool]) -> bool {
        self.clause(m)
            .iter()
            .any(|&l| x[(l.unsigned_abs() as usize).saturating_sub(1)] == (l > 0))
    }

    /// Indices of the clauses `x` leaves unsatisfied, in order.
    pub fn unsatisfied(&self, x: &[bool]) -> impl Iterator<Item = usize> + '_ {
        let x = x.to_vec();
        (0..self.num_clauses()).filter(move |&m| !self.satisfied(m, &x))
    }
}
