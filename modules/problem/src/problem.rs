//! [`Problem`]: a parsed problem of any format, its exact energy, and energies written in a
//! problem's units.

use crate::dimacs::{parse_cnf, parse_wcnf};
use crate::parse::ParseError;
use crate::qubo::{decimal, parse_qubo};
use crate::{unpack, Clauses, Format, Limits, Qubo, MAX_TOTAL_WEIGHT};
use std::fmt;

/// A parsed problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Sat(Clauses),
    MaxSat(Clauses),
    Qubo(Qubo),
}

/// Why an assignment is not a valid candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    Length { expected: usize, got: usize },
    PaddingBits,
    HardClauseViolated { clause: usize },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Length { expected, got } => write!(
                f,
                "assignment is {got} bytes, but the problem's variables need {expected} (one bit each)"
            ),
            VerifyError::PaddingBits => {
                write!(f, "assignment sets bits beyond the last variable")
            }
            VerifyError::HardClauseViolated { clause } => {
                write!(f, "hard clause {} (1-based) is not satisfied", clause.saturating_add(1))
            }
        }
    }
}

impl std::error::Error for VerifyError {}

impl Problem {
    pub fn parse(format: Format, text: &str, limits: &Limits) -> Result<Problem, ParseError> {
        match format {
            Format::Cnf => parse_cnf(text, limits).map(Problem::Sat),
            Format::Wcnf => parse_wcnf(text, limits).map(Problem::MaxSat),
            Format::Qubo => parse_qubo(text, limits).map(Problem::Qubo),
        }
    }

    pub fn format(&self) -> Format {
        match self {
            Problem::Sat(_) => Format::Cnf,
            Problem::MaxSat(_) => Format::Wcnf,
            Problem::Qubo(_) => Format::Qubo,
        }
    }

    pub fn num_vars(&self) -> u32 {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => c.num_vars,
            Problem::Qubo(q) => q.num_vars,
        }
    }

    /// The size the chain charges and ranks by: literals plus clauses, or terms.
    pub fn size(&self) -> u64 {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => {
                c.lits.len().saturating_add(c.num_clauses()) as u64
            }
            Problem::Qubo(q) => (q.terms.len() as u64).saturating_add(u64::from(q.num_vars)),
        }
    }

    /// The energy of `x`: unsatisfied clauses (SAT), unsatisfied soft weight (MaxSAT; every
    /// hard clause must hold), or xᵀQx + offset in scaled units (QUBO). Lower is better; a
    /// SAT assignment solves its problem at energy 0.
    pub fn energy(&self, x: &[bool]) -> Result<i64, VerifyError> {
        if x.len() != self.num_vars() as usize {
            return Err(VerifyError::Length {
                expected: self.num_vars() as usize,
                got: x.len(),
            });
        }
        match self {
            Problem::Sat(c) => Ok(c.unsatisfied(x).count() as i64),
            Problem::MaxSat(c) => {
                let mut e: i64 = 0;
                for m in 0..c.num_clauses() {
                    if !c.satisfied(m, x) {
                        if c.hard[m] {
                            return Err(VerifyError::HardClauseViolated { clause: m });
                        }
                        // The weights add up to less than 2^62 (checked at parse time).
                        e = e.saturating_add(c.weights[m] as i64);
                    }
                }
                Ok(e)
            }
            Problem::Qubo(q) => {
                let mut e = q.offset;
                for &(i, j, w) in &q.terms {
                    if x[i as usize] && x[j as usize] {
                        e = e.saturating_add(w);
                    }
                }
                Ok(e)
            }
        }
    }

    /// The energy of a bit-packed assignment (see [`unpack`]).
    pub fn energy_packed(&self, bits: &[u8]) -> Result<i64, VerifyError> {
        self.energy(&unpack(bits, self.num_vars())?)
    }

    /// The weighted clauses a DMM integrates, and the constant to add to their energy.
    pub fn clauses(&self) -> (std::borrow::Cow<'_, Clauses>, i64) {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => (std::borrow::Cow::Borrowed(c), 0),
            Problem::Qubo(q) => {
                let (c, k) = q.to_clauses();
                (std::borrow::Cow::Owned(c), k)
            }
        }
    }
}

/// Parses an energy written in a problem's units ("-12.5") into its scaled integer form
/// (× 10^`decimals`); more decimals than the problem's scale cannot be represented exactly.
pub fn parse_energy(s: &str, decimals: u32) -> Result<i64, String> {
    let (m, d) = decimal(0, s.trim()).map_err(|e| e.msg)?;
    if d > decimals {
        return Err(format!(
            "energy {s:?} has {d} decimals but the problem's scale has {decimals}"
        ));
    }
    let v = decimals
        .checked_sub(d)
        .and_then(|e| 10i128.checked_pow(e))
        .and_then(|f| m.checked_mul(f))
        .filter(|v| v.unsigned_abs() < MAX_TOTAL_WEIGHT)
        .ok_or_else(|| format!("energy {s:?} is out of range"))?;
    Ok(v as i64)
}

/// Formats a scaled energy in the problem's units: 1250 at 2 decimals is "12.5".
pub fn format_energy(e: i64, decimals: u32) -> String {
    if decimals == 0 {
        return e.to_string();
    }
    let scale = std::num::NonZeroU64::new(10u64.saturating_pow(decimals))
        .unwrap_or(std::num::NonZeroU64::MIN);
    let mag = e.unsigned_abs();
    let frac = format!("{:0width$}", mag % scale, width = decimals as usize);
    let frac = frac.trim_end_matches('0');
    let sign = if e < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", mag / scale)
    } else {
        format!("{sign}{}.{frac}", mag / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energies_round_trip_through_their_scale() {
        assert_eq!(parse_energy("-12.5", 2), Ok(-1250));
        assert_eq!(parse_energy("3", 0), Ok(3));
        assert!(parse_energy("0.125", 2).is_err());
        assert!(parse_energy("x", 2).is_err());
        assert_eq!(format_energy(-1250, 2), "-12.5");
        assert_eq!(format_energy(-5, 2), "-0.05");
        assert_eq!(format_energy(300, 2), "3");
        assert_eq!(format_energy(7, 0), "7");
    }
}
