//! DIMACS CNF (SAT) and WCNF (MaxSAT, both the classic `p wcnf` form and the 2022 header-less
//! one): strict parsers, and a CNF writer.

use crate::parse::{err, header, lines, number, ParseError};
use crate::{Clauses, Limits, MAX_TOTAL_WEIGHT};
use std::iter::Peekable;

/// Accumulates clauses of literal tokens that end in `0`, possibly across lines.
struct ClauseBuilder {
    c: Clauses,
    open: bool,
    open_line: usize,
    max_vars: u32,
    max_literals: u64,
    /// When false (header-less WCNF), variables grow up to `max_vars`.
    fixed_vars: bool,
}

impl ClauseBuilder {
    fn new(vars: u32, cap: u32, limits: &Limits, fixed_vars: bool) -> Self {
        let cap = cap.min(1 << 20) as usize;
        ClauseBuilder {
            c: Clauses {
                num_vars: vars,
                lits: Vec::with_capacity(cap.saturating_mul(3)),
                starts: {
                    let mut v = Vec::with_capacity(cap.saturating_add(1));
                    v.push(0);
                    v
                },
                weights: Vec::with_capacity(cap),
                hard: Vec::with_capacity(cap),
            },
            open: false,
            open_line: 0,
            max_vars: if fixed_vars { vars } else { limits.max_vars },
            max_literals: limits.max_literals,
            fixed_vars,
        }
    }

    /// Feeds literal tokens; calls `on_close` when a clause ends. Returns whether one closed.
    fn literal(&mut self, line: usize, tok: &str) -> Result<bool, ParseError> {
        let lit: i64 = number(line, tok, "literal")?;
        if lit == 0 {
            if !self.open {
                return err(line, "empty clause (a lone 0): it can never be satisfied");
            }
            self.c.starts.push(self.c.lits.len() as u32);
            self.open = false;
            return Ok(true);
        }
        let var = lit.unsigned_abs();
        if var > u64::from(self.max_vars) {
            return if self.fixed_vars {
                err(
                    line,
                    format!(
                        "literal {lit} is out of range: the header declares {} variables",
                        self.max_vars
                    ),
                )
            } else {
                err(
                    line,
                    format!(
                        "literal {lit} is above the variable limit of {}",
                        self.max_vars
                    ),
                )
            };
        }
        if self.c.lits.len() as u64 >= self.max_literals {
            return err(
                line,
                format!("more than {} literals in all", self.max_literals),
            );
        }
        if !self.fixed_vars {
            self.c.num_vars = self.c.num_vars.max(var as u32);
        }
        if !self.open {
            self.open = true;
            self.open_line = line;
        }
        self.c.lits.push(lit as i32);
        Ok(false)
    }

    fn finish(self) -> Result<Clauses, ParseError> {
        if self.open {
            return err(self.open_line, "the last clause has no terminating 0");
        }
        Ok(self.c)
    }
}

pub(crate) fn parse_cnf(text: &str, limits: &Limits) -> Result<Clauses, ParseError> {
    let mut it = lines(text);
    let Some((hl, l)) = it.next() else {
        return err(0, "no \"p cnf\" header: the input is empty");
    };
    let h = header(hl, l, "cnf", limits)?;
    if !h.rest.is_empty() {
        return err(
            h.line,
            format!(
                "unexpected tokens after \"p cnf N M\": {:?}",
                h.rest.join(" ")
            ),
        );
    }
    let mut b = ClauseBuilder::new(h.vars, h.count, limits, true);
    for (line, l) in it {
        for tok in l.split_whitespace() {
            if b.literal(line, tok)? {
                if b.c.weights.len() as u32 == h.count {
                    return err(
                        line,
                        format!("more clauses than the {} the header declares", h.count),
                    );
                }
                b.c.weights.push(1);
                b.c.hard.push(true);
            }
        }
    }
    let c = b.finish()?;
    if c.num_clauses() as u32 != h.count {
        return err(
            h.line,
            format!(
                "the header declares {} clauses but the body has {}",
                h.count,
                c.num_clauses()
            ),
        );
    }
    Ok(c)
}

pub(crate) fn parse_wcnf(text: &str, limits: &Limits) -> Result<Clauses, ParseError> {
    let mut it = lines(text).peekable();
    let mut r = WcnfReader::start(&mut it, limits)?;
    for (line, l) in it {
        for tok in l.split_whitespace() {
            r.token(line, tok)?;
        }
    }
    r.finish()
}

/// A WCNF input being read: the clauses so far and the weight of the one being read.
struct WcnfReader {
    b: ClauseBuilder,
    /// The classic `p wcnf` form; else the header-less one, where `h` marks a hard clause.
    classic: bool,
    /// The classic header's top weight: a clause weighing at least this much is hard.
    top: Option<u64>,
    /// The classic header's line and clause count.
    declared: Option<(usize, u32)>,
    max_clauses: u32,
    soft_total: u128,
    /// The weight of the clause being read: None for hard.
    pending: Option<Option<u64>>,
}

impl WcnfReader {
    /// Tells the two forms apart by the first line and reads the classic form's header.
    fn start<'t, I: Iterator<Item = (usize, &'t str)>>(
        it: &mut Peekable<I>,
        limits: &Limits,
    ) -> Result<WcnfReader, ParseError> {
        let classic = match it.peek() {
            None => return err(0, "no clauses: the input is empty"),
            Some((_, l)) => l.starts_with('p'),
        };
        let (b, top, declared) = if classic {
            let (hl, l) = it.next().expect("peeked");
            let h = header(hl, l, "wcnf", limits)?;
            let top = match h.rest.as_slice() {
                [] => None,
                [t] => Some(number::<u64>(hl, t, "top weight")?),
                more => {
                    return err(
                        hl,
                        format!(
                            "unexpected tokens after the top weight: {:?}",
                            more[1..].join(" ")
                        ),
                    )
                }
            };
            (
                ClauseBuilder::new(h.vars, h.count, limits, true),
                top,
                Some((hl, h.count)),
            )
        } else {
            (ClauseBuilder::new(0, 1 << 16, limits, false), None, None)
        };
        Ok(WcnfReader {
            b,
            classic,
            top,
            declared,
            max_clauses: limits.max_clauses,
            soft_total: 0,
            pending: None,
        })
    }

    /// One token: the next clause's weight if none is pending, else one of its literals.
    fn token(&mut self, line: usize, tok: &str) -> Result<(), ParseError> {
        if self.pending.is_none() {
            self.pending = Some(self.weight(line, tok)?);
            return Ok(());
        }
        if self.b.literal(line, tok)? {
            self.close(line)?;
        }
        Ok(())
    }

    /// A clause's weight token: None for a hard clause.
    fn weight(&self, line: usize, tok: &str) -> Result<Option<u64>, ParseError> {
        if !self.classic && tok == "h" {
            return Ok(None);
        }
        let w: u64 = number(line, tok, "clause weight")?;
        if w == 0 {
            return err(line, "clause weight 0: weights are positive integers");
        }
        Ok(match self.top {
            Some(t) if w >= t => None,
            _ => Some(w),
        })
    }

    /// A clause has just ended on `line`: bounds the count and records its weight.
    fn close(&mut self, line: usize) -> Result<(), ParseError> {
        let b = &mut self.b;
        if let Some((_, count)) = self.declared {
            if b.c.weights.len() as u32 == count {
                return err(
                    line,
                    format!("more clauses than the {count} the header declares"),
                );
            }
        }
        if !self.classic && b.c.weights.len() as u64 >= u64::from(self.max_clauses) {
            return err(line, format!("more than {} clauses", self.max_clauses));
        }
        match self.pending.take().expect("weight read") {
            Some(w) => {
                self.soft_total = self.soft_total.saturating_add(u128::from(w));
                if self.soft_total >= MAX_TOTAL_WEIGHT {
                    return err(line, "the soft weights add up to more than 2^62");
                }
                b.c.weights.push(w);
                b.c.hard.push(false);
            }
            None => {
                b.c.weights.push(0);
                b.c.hard.push(true);
            }
        }
        Ok(())
    }

    /// The clauses, once the input has ended cleanly and the count agrees with the header;
    /// hard clauses then weigh one more than all soft clauses together.
    fn finish(self) -> Result<Clauses, ParseError> {
        if self.pending.is_some() && !self.b.open {
            return err(0, "the last clause has a weight but no literals");
        }
        let mut c = self.b.finish()?;
        if let Some((hl, count)) = self.declared {
            if c.num_clauses() as u32 != count {
                return err(
                    hl,
                    format!(
                        "the header declares {count} clauses but the body has {}",
                        c.num_clauses()
                    ),
                );
            }
        }
        if c.num_clauses() == 0 {
            return err(0, "no clauses");
        }
        let hard_weight = (self.soft_total as u64).saturating_add(1);
        for (w, &h) in c.weights.iter_mut().zip(&c.hard) {
            if h {
                *w = hard_weight;
            }
        }
        Ok(c)
    }
}
/// Writes clauses back as DIMACS CNF (the generator and benchmarks use it).
pub fn write_cnf(c: &Clauses) -> String {
    let mut s = format!("p cnf {} {}\n", c.num_vars, c.num_clauses());
    for m in 0..c.num_clauses() {
        for l in c.clause(m) {
            s.push_str(&l.to_string());
            s.push(' ');
        }
        s.push_str("0\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Problem, VerifyError};

    fn cnf(t: &str) -> Result<Clauses, ParseError> {
        parse_cnf(t, &Limits::LOCAL)
    }
    #[test]
    fn cnf_parses_and_verifies() {
        let c = cnf("c a comment\np cnf 3 2\n1 -2 0\n2 3\n 0\n").unwrap();
        assert_eq!(c.num_clauses(), 2);
        assert_eq!(c.clause(1), &[2, 3]);
        let p = Problem::Sat(c);
        assert_eq!(p.energy(&[true, false, true]), Ok(0));
        assert_eq!(p.energy(&[false, true, false]), Ok(1));
        assert_eq!(p.energy(&[false, false, false]), Ok(1));
        assert!(matches!(p.energy(&[true]), Err(VerifyError::Length { .. })));
        let satlib = "p cnf 2 1\n1 2 0\n%\n0\n";
        assert_eq!(cnf(satlib).unwrap().num_clauses(), 1);
    }
    #[test]
    fn malformed_cnf_is_refused_with_the_line_and_value() {
        let cases = [
            ("", "empty"),
            ("p cnf 3\n1 0\n", "expected the header"),
            ("p sat 3 1\n1 0\n", "expected the header"),
            ("p cnf 3 1\n1 4 0\n", "literal 4 is out of range"),
            ("p cnf 3 1\n1 -4 0\n", "literal -4 is out of range"),
            ("p cnf 3 2\n1 2 0\n3", "no terminating 0"),
            (
                "p cnf 3 3\n1 2 0\n3 0\n",
                "declares 3 clauses but the body has 2",
            ),
            ("p cnf 3 1\n1 2 0\n3 0\n", "more clauses than the 1"),
            (
                "p cnf 99999999999999999999999 1\n1 0\n",
                "not a number in range",
            ),
            ("p cnf 99999999999 1\n1 0\n", "above the limit"),
            ("p cnf 4000000000 1\n1 0\n", "above the limit"),
            ("p cnf 3 1\n1 x 0\n", "literal \"x\" is not a number"),
            ("p cnf 3 1\n1 2.5 0\n", "literal \"2.5\""),
            ("p cnf 3 2\n1 0\n0\n", "empty clause"),
            ("p cnf 0 0\n", "0 variables"),
        ];
        for (text, want) in cases {
            let e = cnf(text).expect_err(text);
            assert!(
                e.to_string().contains(want),
                "{text:?}: {e} (wanted {want:?})"
            );
        }
        let e = cnf("p cnf 3 2\n1 2 0\n1 4 0\n").unwrap_err();
        assert_eq!(e.line, 3);
    }
    #[test]
    fn wcnf_both_forms() {
        let classic =
            parse_wcnf("p wcnf 2 3 10\n10 1 2 0\n3 -1 0\n4 -2 0\n", &Limits::LOCAL).unwrap();
        assert_eq!(classic.hard, vec![true, false, false]);
        assert_eq!(classic.weights, vec![8, 3, 4]);
        let modern = parse_wcnf("h 1 2 0\n3 -1 0\n4 -2 0\n", &Limits::LOCAL).unwrap();
        assert_eq!(modern, classic);
        let p = Problem::MaxSat(modern);
        assert_eq!(p.energy(&[true, false]), Ok(3));
        assert_eq!(p.energy(&[false, true]), Ok(4));
        assert_eq!(
            p.energy(&[false, false]),
            Err(VerifyError::HardClauseViolated { clause: 0 })
        );
        for (text, want) in [
            ("p wcnf 2 1 10\n5 1 3 0\n", "out of range"),
            ("p wcnf 2 1\n0 1 0\n", "weight 0"),
            ("p wcnf 2 1\nx 1 0\n", "clause weight \"x\""),
            ("p wcnf 2 2\n1 1 0\n", "declares 2 clauses"),
            ("h 1 2\n", "no terminating 0"),
            ("p wcnf 2 1\n1 1 0\n3", "weight but no literals"),
        ] {
            let e = parse_wcnf(text, &Limits::LOCAL).expect_err(text);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }
    #[test]
    fn limits_apply_before_allocation() {
        let tight = Limits {
            max_vars: 10,
            max_clauses: 2,
            max_literals: 3,
        };
        assert!(parse_cnf("p cnf 11 1\n1 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("limit of 10"));
        assert!(parse_cnf("p cnf 3 3\n1 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("limit of 2"));
        assert!(parse_cnf("p cnf 3 2\n1 2 0\n1 2 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("3 literals"));
    }
}
