//! QUBO problems in the Dynex SDK's `p qubo N M OFFSET` text: the parser, which scales decimal
//! coefficients to exact integers, and the problem's clause form.

use crate::parse::{err, header, lines, number, Header, ParseError};
use crate::{Clauses, Limits, MAX_QUBO_DECIMALS, MAX_TOTAL_WEIGHT};

/// A QUBO: minimise Σ w·x_i·x_j + offset over x ∈ {0,1}^N, in units of 10^-`decimals`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qubo {
    pub num_vars: u32,
    /// (i, j, w) with i ≤ j (0-based), sorted, one entry per pair, w ≠ 0; i == j is linear.
    pub terms: Vec<(u32, u32, i64)>,
    pub offset: i64,
    pub decimals: u32,
}

impl Qubo {
    /// The same objective as weighted 2-clauses plus a constant (Dynex SDK, formula 2): for
    /// every x, `qubo.energy(x) == clause_energy(x) + constant`.
    pub fn to_clauses(&self) -> (Clauses, i64) {
        let mut c = Clauses {
            num_vars: self.num_vars,
            lits: Vec::new(),
            starts: vec![0],
            weights: Vec::new(),
            hard: Vec::new(),
        };
        let mut constant = self.offset;
        let push = |c: &mut Clauses, lits: &[i32], w: u64| {
            c.lits.extend_from_slice(lits);
            c.starts.push(c.lits.len() as u32);
            c.weights.push(w);
            c.hard.push(false);
        };
        for &(i, j, w) in &self.terms {
            // Indices are below num_vars, which the parser bounds far below i32::MAX.
            let (a, b) = ((i as i32).saturating_add(1), (j as i32).saturating_add(1));
            let mag = w.unsigned_abs();
            match (i == j, w > 0) {
                (true, true) => push(&mut c, &[a.saturating_neg()], mag),
                (true, false) => {
                    push(&mut c, &[a], mag);
                    // Weights and offset add up to less than 2^62 (checked at parse time).
                    constant = constant.saturating_add(w);
                }
                (false, true) => push(&mut c, &[a.saturating_neg(), b.saturating_neg()], mag),
                (false, false) => {
                    push(&mut c, &[a, b], mag);
                    push(&mut c, &[a.saturating_neg(), b], mag);
                    push(&mut c, &[a, b.saturating_neg()], mag);
                    constant = constant.saturating_add(w);
                }
            }
        }
        (c, constant)
    }
}

/// A decimal token as an exact (mantissa, decimals) pair: "-1.25" → (-125, 2), "3e-2" → (3, 2).
pub(crate) fn decimal(line: usize, tok: &str) -> Result<(i128, u32), ParseError> {
    let bad = || err(line, format!("coefficient {tok:?} is not a decimal number"));
    let (num, exp) = match tok.find(['e', 'E']) {
        Some(p) => {
            let e: i32 = match tok[p.saturating_add(1)..].parse() {
                Ok(e) => e,
                Err(_) => return bad(),
            };
            (&tok[..p], e)
        }
        None => (tok, 0),
    };
    let (neg, digits) = match num.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return bad();
    }
    let mut mant = format!("{int}{frac}");
    let mut dec = (frac.len() as i64).saturating_sub(i64::from(exp));
    while dec > 0 && mant.ends_with('0') {
        mant.pop();
        dec = dec.saturating_sub(1);
    }
    let mant = mant.trim_start_matches('0');
    if mant.len() > 30 {
        return err(
            line,
            format!("coefficient {tok:?} has more than 30 significant digits"),
        );
    }
    let mut m: i128 = if mant.is_empty() {
        0
    } else {
        match mant.parse() {
            Ok(v) => v,
            Err(_) => return bad(),
        }
    };
    while dec < 0 && m != 0 {
        m = match m.checked_mul(10) {
            Some(v) if v.unsigned_abs() < 1 << 100 => v,
            _ => return err(line, format!("coefficient {tok:?} is too large")),
        };
        dec = dec.saturating_add(1);
    }
    if m == 0 {
        return Ok((0, 0));
    }
    if dec > i64::from(MAX_QUBO_DECIMALS) {
        return err(
            line,
            format!("coefficient {tok:?} needs more than {MAX_QUBO_DECIMALS} decimals"),
        );
    }
    Ok((if neg { m.saturating_neg() } else { m }, dec as u32))
}

pub(crate) fn parse_qubo(text: &str, limits: &Limits) -> Result<Qubo, ParseError> {
    let mut it = lines(text);
    let Some((hl, l)) = it.next() else {
        return err(0, "no \"p qubo\" header: the input is empty");
    };
    let h = header(hl, l, "qubo", limits)?;
    let offset = header_offset(hl, &h.rest)?;
    let raw = read_terms(it, &h)?;
    let decimals = raw.iter().map(|t| t.3).chain([offset.1]).max().unwrap_or(0);
    let scale = Scale { decimals };
    let (terms, total) = merge_terms(raw, scale)?;
    let Some(offset) = scale.apply(offset.0, offset.1) else {
        return scale.too_large(hl, "the offset");
    };
    if offset.unsigned_abs().saturating_add(total) >= MAX_TOTAL_WEIGHT {
        return err(hl, "the offset and coefficients add up to more than 2^62");
    }
    Ok(Qubo {
        num_vars: h.vars,
        terms,
        offset: offset as i64,
        decimals,
    })
}

/// The header's optional offset, as an exact decimal.
fn header_offset(hl: usize, rest: &[String]) -> Result<(i128, u32), ParseError> {
    match rest {
        [] => Ok((0, 0)),
        [o] => decimal(hl, o),
        more => err(
            hl,
            format!(
                "unexpected tokens after the offset: {:?}",
                more[1..].join(" ")
            ),
        ),
    }
}

/// A term as [`Qubo::terms`] holds it: (i, j, scaled weight).
type Term = (u32, u32, i64);

/// A term as written: (i, j) with i ≤ j, the coefficient's mantissa and decimals, and its line.
type RawTerm = (u32, u32, i128, u32, usize);

/// The body's `i j value` lines, as many as the header declares.
fn read_terms<'t>(
    it: impl Iterator<Item = (usize, &'t str)>,
    h: &Header,
) -> Result<Vec<RawTerm>, ParseError> {
    let mut raw: Vec<RawTerm> = Vec::with_capacity(h.count.min(1 << 20) as usize);
    for (line, l) in it {
        let toks: Vec<&str> = l.split_whitespace().collect();
        if toks.len() != 3 {
            return err(line, format!("expected \"i j value\", found {l:?}"));
        }
        let i: u64 = number(line, toks[0], "index")?;
        let j: u64 = number(line, toks[1], "index")?;
        for v in [i, j] {
            if v >= u64::from(h.vars) {
                return err(
                    line,
                    format!(
                        "index {v} is out of range: the header declares {} variables (0-based)",
                        h.vars
                    ),
                );
            }
        }
        if raw.len() as u32 == h.count {
            return err(
                line,
                format!("more terms than the {} the header declares", h.count),
            );
        }
        let (m, d) = decimal(line, toks[2])?;
        raw.push((i.min(j) as u32, i.max(j) as u32, m, d, line));
    }
    if raw.len() as u32 != h.count {
        return err(
            h.line,
            format!(
                "the header declares {} terms but the body has {}",
                h.count,
                raw.len()
            ),
        );
    }
    Ok(raw)
}

/// Every coefficient is scaled to the finest one's decimals. Checked: one coefficient near
/// 10^30 beside another with 9 decimals would need 10^39, beyond i128 (and far beyond the 2^62
/// that energies are bounded by), and unchecked that wraps or panics.
#[derive(Clone, Copy)]
struct Scale {
    decimals: u32,
}

impl Scale {
    /// mantissa × 10^(decimals − d), if it stays below 2^62 in magnitude.
    fn apply(self, m: i128, d: u32) -> Option<i128> {
        self.decimals
            .checked_sub(d)
            .and_then(|e| 10i128.checked_pow(e))
            .and_then(|f| m.checked_mul(f))
            .filter(|v| v.unsigned_abs() < MAX_TOTAL_WEIGHT)
    }

    fn too_large<T>(self, line: usize, what: &str) -> Result<T, ParseError> {
        let decimals = self.decimals;
        err(
            line,
            format!("{what} is too large once every coefficient is scaled to × 10^{decimals} (the finest decimals given): scaled values must stay below 2^62"),
        )
    }
}

/// Scales the terms and sums the ones on the same pair: the nonzero terms, sorted, and their
/// total absolute weight.
fn merge_terms(mut raw: Vec<RawTerm>, scale: Scale) -> Result<(Vec<Term>, u128), ParseError> {
    raw.sort_by_key(|t| (t.0, t.1));
    let mut terms: Vec<Term> = Vec::with_capacity(raw.len());
    let mut total: u128 = 0;
    let mut acc: Option<(u32, u32, i128)> = None;
    for (i, j, m, d, line) in raw {
        let Some(w) = scale.apply(m, d) else {
            return scale.too_large(line, "the coefficient");
        };
        acc = match acc {
            Some((ai, aj, aw)) if (ai, aj) == (i, j) => match aw.checked_add(w) {
                // Each term is below 2^62 and there are at most 2^32 of them: this cannot
                // overflow i128, but the sum is bounded before it is stored all the same.
                Some(sum) if sum.unsigned_abs() < MAX_TOTAL_WEIGHT => Some((i, j, sum)),
                _ => return scale.too_large(line, &format!("the sum of the terms on ({i}, {j})")),
            },
            prev => {
                push_term(prev, &mut total, &mut terms, scale.decimals)?;
                Some((i, j, w))
            }
        };
    }
    push_term(acc, &mut total, &mut terms, scale.decimals)?;
    Ok((terms, total))
}

/// Adds a pair's summed term to `total` (bounded) and keeps it if it is nonzero.
fn push_term(
    acc: Option<(u32, u32, i128)>,
    total: &mut u128,
    terms: &mut Vec<Term>,
    decimals: u32,
) -> Result<(), ParseError> {
    if let Some((i, j, w)) = acc {
        *total = total.saturating_add(w.unsigned_abs());
        if *total >= MAX_TOTAL_WEIGHT {
            return err(
                0,
                format!("the scaled coefficients (× 10^{decimals}) add up to more than 2^62"),
            );
        }
        if w != 0 {
            terms.push((i, j, w as i64));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_energy, Format, Problem};

    /// Coefficients whose scaling to the finest decimals overflows i128 (2e29 × 10^9), or whose
    /// sum does, are refused with the line, never a panic (dev builds check overflow) nor a
    /// wrapped value (release builds do not).
    #[test]
    fn attack_qubo_scaling_overflow_is_an_error_not_a_panic() {
        let cases = [
            ("p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n", "line 2"),
            ("p qubo 2 2 0\n1 1 1e-9\n0 0 -2e29\n", "line 3"),
            ("p qubo 2 1 2e29\n1 1 1e-9\n", "the offset"),
            ("p qubo 1 1 0\n0 0 4611686018427387904\n", "line 2"),
            (
                "p qubo 1 2 0\n0 0 3000000000000000000\n0 0 3000000000000000000\n",
                "(0, 0)",
            ),
            ("p qubo 2 2 0\n0 0 1e20\n1 1 0.5\n", "line 2"),
        ];
        for (text, want) in cases {
            let r = std::panic::catch_unwind(|| Problem::parse(Format::Qubo, text, &Limits::LOCAL));
            let e = match r {
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(_)) => panic!("{text:?} was accepted"),
                Err(_) => panic!("{text:?} panicked"),
            };
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(
                e.contains("too large") || e.contains("2^62"),
                "{text:?}: {e}"
            );
        }
        // At the bound: the largest coefficient that scales below 2^62 is kept exactly.
        let ok = Problem::parse(
            Format::Qubo,
            "p qubo 2 2 0\n0 0 4611686018\n1 1 -1e-9\n",
            &Limits::LOCAL,
        )
        .unwrap();
        assert_eq!(ok.energy(&[true, false]), Ok(4611686018000000000));
        assert!(parse_energy("2e29", 9)
            .unwrap_err()
            .contains("out of range"));
        assert!(parse_energy("-1e40", 0).is_err());
        assert_eq!(parse_energy("-1.5", 9), Ok(-1_500_000_000));
    }
    #[test]
    fn qubo_scales_exactly_and_matches_its_clauses() {
        let q = parse_qubo(
            "p qubo 3 5 1.5\n0 0 -1\n1 1 0.25\n0 1 2\n1 0 -0.5\n1 2 -3e-1\n",
            &Limits::LOCAL,
        )
        .unwrap();
        assert_eq!(q.decimals, 2);
        assert_eq!(q.offset, 150);
        assert_eq!(
            q.terms,
            vec![(0, 0, -100), (0, 1, 150), (1, 1, 25), (1, 2, -30)]
        );
        let p = Problem::Qubo(q.clone());
        let (c, k) = q.to_clauses();
        let cp = Problem::MaxSat(c);
        for bits in 0..8u8 {
            let x: Vec<bool> = (0..3).map(|i| bits >> i & 1 == 1).collect();
            let direct = p.energy(&x).unwrap();
            assert_eq!(direct, cp.energy(&x).unwrap() + k, "x = {x:?}");
        }
        assert_eq!(p.energy(&[true, true, false]), Ok(150 - 100 + 150 + 25));
        for (text, want) in [
            ("p qubo 2 1 0\n0 2 1\n", "index 2 is out of range"),
            ("p qubo 2 2 0\n0 1 1\n", "declares 2 terms"),
            ("p qubo 2 1 0\n0 1 abc\n", "not a decimal"),
            ("p qubo 2 1 0\n0 1\n", "expected \"i j value\""),
            ("p qubo 2 1 0\n0 1 0.0000000001\n", "more than 9 decimals"),
            ("p qubo 2 1 0\n0 1 1e30\n", "2^62"),
        ] {
            let e = parse_qubo(text, &Limits::LOCAL).expect_err(text);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }
}
