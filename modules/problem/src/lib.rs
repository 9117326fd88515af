//! The problems a neuromorphic job carries, their text formats and their exact verification.
//!
//! Three formats (../shared/dmm.md): DIMACS CNF (SAT), WCNF (MaxSAT; the classic `p wcnf N M
//! TOP` form and the 2022 header-less `h`/weight form) and the Dynex SDK's `p qubo N M OFFSET`
//! text. Every parser is strict: a wrong header, a literal out of range, a missing `0`
//! terminator, counts that disagree with the body, sizes above the limits or non-numeric tokens
//! each give an error that names the line and the value.
//!
//! Energies are integers. QUBO coefficients are decimals in the text; at submission they are
//! scaled by 10^`decimals` (the smallest power that makes every coefficient whole) and the
//! scale is recorded with the job, so the chain and every solver compute the same energy.
//!
//! Consensus code (the chain parses and verifies with it): every arithmetic on values input can
//! reach is checked, enforced by the lint below (tests/run.sh runs clippy with `-D warnings`).
#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]

mod clauses;
mod dimacs;
mod pack;
mod parse;
mod problem;
mod qubo;

pub use clauses::Clauses;
pub use dimacs::write_cnf;
pub use pack::{pack, unpack};
pub use parse::ParseError;
pub use problem::{format_energy, parse_energy, Problem, VerifyError};
pub use qubo::Qubo;

/// Which text format a problem is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cnf,
    Wcnf,
    Qubo,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Cnf => "CNF",
            Format::Wcnf => "WCNF",
            Format::Qubo => "QUBO",
        }
    }
}

/// Bounds a parser enforces before it allocates, so absurd headers cost nothing.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_vars: u32,
    /// Clauses (CNF, WCNF) or terms (QUBO).
    pub max_clauses: u32,
    /// Literals over all clauses.
    pub max_literals: u64,
}

impl Limits {
    /// What `gliad solve` accepts from a local file: large, but bounded.
    pub const LOCAL: Limits = Limits {
        max_vars: 50_000_000,
        max_clauses: 200_000_000,
        max_literals: 1_000_000_000,
    };
}

/// At most this many decimals in a QUBO coefficient (scale 10^9).
pub const MAX_QUBO_DECIMALS: u32 = 9;
/// Total absolute weight of a problem stays below this, so every energy fits an i64.
pub const MAX_TOTAL_WEIGHT: u128 = 1 << 62;
