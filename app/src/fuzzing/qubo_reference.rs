//! A reference for QUBO scaling in arbitrary precision: every coefficient scaled to the finest
//! decimals as an exact big integer, summed per pair as the parser sums them, and the bounds
//! (2^62 per term, per running pair sum and in total) applied. The parser must accept exactly
//! what stays within the bounds, with the same terms, offset and energies, and refuse the rest
//! as too large. Applied to inputs the parser accepted or refused for magnitude.

use glia_modules::neuro::problem::{ParseError, Problem};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Signed integer of any size: sign and little-endian base-10^9 limbs, no leading zeros.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Big {
    neg: bool,
    limbs: Vec<u64>,
}

const BASE: u64 = 1_000_000_000;

impl Big {
    fn from_digits(neg: bool, digits: &str) -> Big {
        let digits = digits.trim_start_matches('0');
        let mut limbs = Vec::new();
        let mut end = digits.len();
        while end > 0 {
            let start = end.saturating_sub(9);
            limbs.push(digits[start..end].parse().expect("digits"));
            end = start;
        }
        Big {
            neg: neg && !limbs.is_empty(),
            limbs,
        }
    }
    fn from_i64(v: i64) -> Big {
        Big::from_digits(v < 0, &v.unsigned_abs().to_string())
    }
    fn cmp_mag(a: &[u64], b: &[u64]) -> Ordering {
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
    fn add_mag(a: &[u64], b: &[u64]) -> Vec<u64> {
        let mut out = Vec::new();
        let mut carry = 0;
        for i in 0..a.len().max(b.len()) {
            let s = a.get(i).unwrap_or(&0) + b.get(i).unwrap_or(&0) + carry;
            out.push(s % BASE);
            carry = s / BASE;
        }
        if carry > 0 {
            out.push(carry);
        }
        out
    }
    /// a - b for |a| >= |b|.
    fn sub_mag(a: &[u64], b: &[u64]) -> Vec<u64> {
        let mut out = Vec::new();
        let mut borrow = 0;
        for (i, &x) in a.iter().enumerate() {
            let y = b.get(i).unwrap_or(&0) + borrow;
            let (d, bo) = if x >= y {
                (x - y, 0)
            } else {
                (x + BASE - y, 1)
            };
            out.push(d);
            borrow = bo;
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }
    fn add(&self, o: &Big) -> Big {
        let (neg, limbs) = if self.neg == o.neg {
            (self.neg, Big::add_mag(&self.limbs, &o.limbs))
        } else if Big::cmp_mag(&self.limbs, &o.limbs) != Ordering::Less {
            (self.neg, Big::sub_mag(&self.limbs, &o.limbs))
        } else {
            (o.neg, Big::sub_mag(&o.limbs, &self.limbs))
        };
        Big {
            neg: neg && !limbs.is_empty(),
            limbs,
        }
    }
    fn abs(&self) -> Big {
        Big {
            neg: false,
            limbs: self.limbs.clone(),
        }
    }
    /// |self| < 2^62.
    fn within_bound(&self) -> bool {
        Big::cmp_mag(&self.limbs, &Big::from_i64(1 << 62).limbs) == Ordering::Less
    }
}

/// A decimal token as (negative, mantissa digits, decimals after stripping trailing zeros);
/// None if it is not one (the parser then refused it for its form).
fn decimal(tok: &str) -> Option<(bool, String, i64)> {
    let (num, exp) = match tok.find(['e', 'E']) {
        Some(p) => (&tok[..p], tok[p + 1..].parse::<i32>().ok().map(i64::from)?),
        None => (tok, 0),
    };
    let (neg, digits) = match num.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let digit = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digit(int) || !digit(frac) {
        return None;
    }
    let mut mant = format!("{int}{frac}");
    let mut dec = (frac.len() as i64).checked_sub(exp)?;
    while dec > 0 && mant.ends_with('0') {
        mant.pop();
        dec -= 1;
    }
    if mant.trim_start_matches('0').is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((neg, mant, dec))
}

/// Exact value × 10^scale (scale ≥ the token's decimals).
fn scaled(t: &(bool, String, i64), scale: i64) -> Big {
    let zeros = "0".repeat((scale - t.2).clamp(0, 4096) as usize);
    Big::from_digits(t.0, &format!("{}{zeros}", t.1))
}

pub fn check(text: &str, parsed: &Result<Problem, ParseError>, data: &[u8]) {
    let magnitude_error = match parsed {
        Ok(_) => false,
        Err(e) => {
            // The parser's magnitude errors end so; the others may echo the input, which
            // can contain anything ("2^62" included: the fuzzer found one).
            let m = e.to_string();
            if !(m.ends_with("2^62") || m.ends_with("\" is too large")) {
                return; // refused for its form, not its size
            }
            true
        }
    };
    let mut lines = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with('%'))
        .filter(|l| !l.is_empty() && !l.starts_with('c'));
    let Some(header) = lines.next() else { return };
    let offset_tok = header.split_whitespace().nth(4).unwrap_or("0");
    let Some(offset) = decimal(offset_tok) else {
        return;
    };
    let mut terms = Vec::new();
    for l in lines {
        let t: Vec<&str> = l.split_whitespace().collect();
        let (Some(i), Some(j), Some(d)) = (
            t.first().and_then(|v| v.parse::<u32>().ok()),
            t.get(1).and_then(|v| v.parse::<u32>().ok()),
            t.get(2).and_then(|v| decimal(v)),
        ) else {
            return;
        };
        terms.push((i.min(j), i.max(j), d));
    }
    let scale = terms
        .iter()
        .map(|t| t.2 .2)
        .chain([offset.2, 0])
        .max()
        .unwrap_or(0);
    if scale > 9 {
        assert!(
            magnitude_error || parsed.is_err(),
            "{text:?}: more than 9 decimals accepted"
        );
        return;
    }
    // As the parser: each term, each running sum on a pair, then the total, then the offset.
    let mut within = true;
    let mut pairs: BTreeMap<(u32, u32), Big> = BTreeMap::new();
    for (i, j, d) in &terms {
        let w = scaled(d, scale);
        within &= w.within_bound();
        let sum = pairs.entry((*i, *j)).or_default();
        *sum = sum.add(&w);
        within &= sum.within_bound();
    }
    let mut total = Big::default();
    for s in pairs.values() {
        total = total.add(&s.abs());
    }
    let off = scaled(&offset, scale);
    within &= total.within_bound() && off.within_bound() && total.add(&off.abs()).within_bound();
    match parsed {
        Err(e) => assert!(
            !within,
            "{text:?}: refused as too large ({e}) but every scaled value is within 2^62"
        ),
        Ok(Problem::Qubo(q)) => {
            assert!(
                within,
                "{text:?}: accepted though a scaled value reaches 2^62"
            );
            assert_eq!(i64::from(q.decimals as i32), scale, "{text:?}: decimals");
            assert_eq!(Big::from_i64(q.offset), off, "{text:?}: offset");
            let want: Vec<(u32, u32, Big)> = pairs
                .iter()
                .filter(|(_, s)| !s.limbs.is_empty())
                .map(|(k, s)| (k.0, k.1, s.clone()))
                .collect();
            let got: Vec<(u32, u32, Big)> = q
                .terms
                .iter()
                .map(|t| (t.0, t.1, Big::from_i64(t.2)))
                .collect();
            assert_eq!(got, want, "{text:?}: scaled terms");
            let n = q.num_vars as usize;
            let x: Vec<bool> = (0..n)
                .map(|i| data[i % data.len()] >> (i % 8) & 1 == 1)
                .collect();
            let mut e = off.clone();
            for (i, j, s) in &want {
                if x.get(*i as usize) == Some(&true) && x.get(*j as usize) == Some(&true) {
                    e = e.add(s);
                }
            }
            let p = Problem::Qubo(q.clone());
            assert_eq!(
                Big::from_i64(p.energy(&x).expect("length")),
                e,
                "{text:?}: energy"
            );
        }
        Ok(_) => {}
    }
}
