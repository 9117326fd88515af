//! Decimals as the Cosmos SDK keeps them (`math.LegacyDec`): fixed point with 18 fractional
//! digits, held as an integer count of 10^-18. Protobuf carries that integer as a string
//! (`"100000000000000000"` for 0.1); JSON (amino and REST) carries the point form
//! (`"0.100000000000000000"`). Commission rates, shares and reward pools use it; every
//! operation is checked, and rounding is explicit (down unless named otherwise).

use crate::error::{AppError, AppResult};
use std::fmt;

/// 10^18: one unit.
const ONE: u128 = 1_000_000_000_000_000_000;
/// Fractional digits.
const PRECISION: usize = 18;

/// A non-negative decimal with 18 fractional digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(u128);

impl Dec {
    pub const ZERO: Dec = Dec(0);
    pub const ONE: Dec = Dec(ONE);

    /// `n` whole units.
    pub fn from_int(n: u128) -> AppResult<Dec> {
        n.checked_mul(ONE)
            .map(Dec)
            .ok_or_else(|| AppError::overflow(format!("{n} as a decimal")))
    }

    /// `num / den`, rounded down.
    pub fn ratio(num: u128, den: u128) -> AppResult<Dec> {
        if den == 0 {
            return Err(AppError::invalid_request("a ratio over zero"));
        }
        mul_div(num, ONE, den).map(Dec)
    }

    /// The raw count of 10^-18.
    pub fn atoms(self) -> u128 {
        self.0
    }

    /// Parses the protobuf form: the integer count of 10^-18, as a decimal string. The
    /// empty string is zero, as the SDK reads it.
    pub fn from_proto(s: &str) -> AppResult<Dec> {
        if s.is_empty() {
            return Ok(Dec::ZERO);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid_request(format!(
                "decimal {s:?} is not an integer count of 10^-18"
            )));
        }
        s.parse::<u128>()
            .map(Dec)
            .map_err(|_| AppError::invalid_request(format!("decimal {s:?} is too large")))
    }

    /// The protobuf form.
    pub fn to_proto(self) -> String {
        self.0.to_string()
    }

    /// Parses the point form (`"0.1"`, `"0.100000000000000000"`, `"5"`); at most 18
    /// fractional digits.
    pub fn parse(s: &str) -> AppResult<Dec> {
        let bad = || AppError::invalid_request(format!("{s:?} is not a decimal"));
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        if frac.len() > PRECISION {
            return Err(AppError::invalid_request(format!(
                "{s:?} has more than {PRECISION} decimal places"
            )));
        }
        let whole: u128 = int.parse().map_err(|_| bad())?;
        let mut f = frac.to_string();
        while f.len() < PRECISION {
            f.push('0');
        }
        let part: u128 = f.parse().map_err(|_| bad())?;
        whole
            .checked_mul(ONE)
            .and_then(|w| w.checked_add(part))
            .map(Dec)
            .ok_or_else(|| AppError::overflow(format!("decimal {s}")))
    }

    pub fn checked_add(self, o: Dec) -> AppResult<Dec> {
        self.0
            .checked_add(o.0)
            .map(Dec)
            .ok_or_else(|| AppError::overflow("a decimal sum"))
    }

    pub fn checked_sub(self, o: Dec) -> AppResult<Dec> {
        self.0
            .checked_sub(o.0)
            .map(Dec)
            .ok_or_else(|| AppError::overflow(format!("{self} - {o} below zero")))
    }

    /// `self × o`, rounded down.
    pub fn checked_mul(self, o: Dec) -> AppResult<Dec> {
        mul_div(self.0, o.0, ONE).map(Dec)
    }

    /// `self / o`, rounded down.
    pub fn checked_quo(self, o: Dec) -> AppResult<Dec> {
        if o.0 == 0 {
            return Err(AppError::invalid_request(format!("{self} divided by zero")));
        }
        mul_div(self.0, ONE, o.0).map(Dec)
    }

    /// `self × n` for an integer amount, truncated to whole units (what a share of tokens
    /// pays out).
    pub fn mul_int_floor(self, n: u128) -> AppResult<u128> {
        mul_div(self.0, n, ONE)
    }

    /// `self × num / den`, the product held exactly (in 256 bits, so shares × tokens of any
    /// size fits), rounded down.
    pub fn mul_quo(self, num: Dec, den: Dec) -> AppResult<Dec> {
        mul_div(self.0, num.0, den.0).map(Dec)
    }

    /// `self × num / den`, rounded up.
    pub fn mul_quo_ceil(self, num: Dec, den: Dec) -> AppResult<Dec> {
        let down = mul_div(self.0, num.0, den.0)?;
        if mul_wide(down, den.0) == mul_wide(self.0, num.0) {
            return Ok(Dec(down));
        }
        down.checked_add(1)
            .map(Dec)
            .ok_or_else(|| AppError::overflow("a decimal quotient"))
    }

    /// `self^n` by squaring, each product rounded down (so the result is at most the exact
    /// power; for a base below 1 the error stays within about 2 × log2(n) × 10^-18).
    pub fn pow(self, mut n: u64) -> AppResult<Dec> {
        let (mut base, mut out) = (self, Dec::ONE);
        while n > 0 {
            if n & 1 == 1 {
                out = out.checked_mul(base)?;
            }
            n >>= 1;
            if n > 0 {
                base = base.checked_mul(base)?;
            }
        }
        Ok(out)
    }

    /// The whole units, rounded down.
    pub fn floor(self) -> u128 {
        self.0.checked_div(ONE).unwrap_or(0)
    }
}

impl fmt::Display for Dec {
    /// The point form with all 18 places, as the SDK writes it in JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.floor(), self.0.checked_rem(ONE).unwrap_or(0));
        write!(f, "{int}.{frac:018}")
    }
}

/// `a × b / c` without overflow in the product (u128 has room for `a × b` only when both are
/// below 2^64; this splits the product), rounded down; an error if the result overflows.
fn mul_div(a: u128, b: u128, c: u128) -> AppResult<u128> {
    if c == 0 {
        return Err(AppError::invalid_request("division by zero"));
    }
    let div = |x: u128| {
        x.checked_div(c)
            .ok_or_else(|| AppError::invalid_request("division by zero"))
    };
    if let Some(p) = a.checked_mul(b) {
        return div(p);
    }
    // (a × b) / c = q × b + (r × b) / c with a = q × c + r, r < c: the wide path takes the
    // rest when r × b does not fit either.
    let (q, r) = (div(a)?, a.checked_rem(c).unwrap_or(0));
    let head = q
        .checked_mul(b)
        .ok_or_else(|| AppError::overflow("a decimal product"))?;
    let tail = if r == 0 {
        0
    } else if let Some(p) = r.checked_mul(b) {
        div(p)?
    } else {
        mul_div_wide(r, b, c)?
    };
    head.checked_add(tail)
        .ok_or_else(|| AppError::overflow("a decimal product"))
}

/// `a × b / c` for `a < c`, through a 256-bit product (schoolbook on 64-bit limbs).
// Shifts and one subtraction of c from a remainder that is at least c (or that carried past
// 2^128): nothing here can overflow.
#[allow(clippy::arithmetic_side_effects)]
fn mul_div_wide(a: u128, b: u128, c: u128) -> AppResult<u128> {
    let (hi, lo) = mul_wide(a, b);
    // a < c, so the quotient fits in 128 bits; long division bit by bit.
    let mut rem: u128 = 0;
    let mut quo: u128 = 0;
    for i in (0..256u32).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        let carry = rem >> 127;
        rem = (rem << 1) | bit;
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            if i < 128 {
                quo |= 1 << i;
            } else {
                return Err(AppError::overflow("a decimal product"));
            }
        }
    }
    Ok(quo)
}

/// The 256-bit product of two u128s, as (high, low).
// Limb products of 64-bit halves fit 128 bits, and the high sum is the top half of a true
// 256-bit product: no step can overflow.
#[allow(clippy::arithmetic_side_effects)]
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a1, a0) = (a >> 64, a & mask);
    let (b1, b0) = (b >> 64, b & mask);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let (mid, carry1) = p01.overflowing_add(p10);
    let (lo, carry2) = p00.overflowing_add(mid << 64);
    let hi = p11 + (mid >> 64) + (u128::from(carry1) << 64) + u128::from(carry2);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_round_trip_as_the_sdk_writes_them() {
        let d = Dec::parse("0.1").unwrap();
        assert_eq!(d.to_string(), "0.100000000000000000");
        assert_eq!(d.to_proto(), "100000000000000000");
        assert_eq!(Dec::from_proto("100000000000000000").unwrap(), d);
        assert_eq!(Dec::parse("0.100000000000000000").unwrap(), d);
        assert_eq!(Dec::parse("5").unwrap().to_string(), "5.000000000000000000");
        assert_eq!(Dec::from_proto("").unwrap(), Dec::ZERO);
        for bad in [
            "",
            ".1",
            "1.",
            "-1",
            "0.1e3",
            "0.1234567890123456789",
            "1,0",
        ] {
            assert!(Dec::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(Dec::from_proto("0.1").is_err());
        assert!(Dec::from_proto(&u128::MAX.to_string()).is_ok());
        assert!(Dec::from_proto("340282366920938463463374607431768211456").is_err());
    }

    #[test]
    fn arithmetic_rounds_down_and_never_wraps() {
        let third = Dec::ratio(1, 3).unwrap();
        assert_eq!(third.to_string(), "0.333333333333333333");
        assert_eq!(
            third.mul_int_floor(3).unwrap(),
            0,
            "0.999… of 3 tokens pays 0 whole"
        );
        assert_eq!(third.mul_int_floor(300).unwrap(), 99);
        let tenth = Dec::parse("0.1").unwrap();
        assert_eq!(
            tenth.checked_mul(tenth).unwrap().to_string(),
            "0.010000000000000000"
        );
        assert_eq!(
            Dec::ONE.checked_quo(Dec::parse("3").unwrap()).unwrap(),
            third,
            "1 / 3"
        );
        assert!(Dec::ZERO.checked_sub(tenth).is_err());
        assert!(Dec::ONE.checked_quo(Dec::ZERO).is_err());
        // Products beyond 128 bits are exact, not wrapped: shares of a large stake.
        let big = Dec::from_int(1_000_000_000_000_000_000).unwrap(); // 1e18 tokens
        let rate = Dec::parse("0.123456789012345678").unwrap();
        assert_eq!(
            big.checked_mul(rate).unwrap().to_string(),
            "123456789012345678.000000000000000000"
        );
        assert_eq!(
            rate.mul_int_floor(1_000_000_000_000_000_000_000_000)
                .unwrap(),
            123_456_789_012_345_678_000_000
        );
        assert!(Dec(u128::MAX)
            .checked_mul(Dec::from_int(2).unwrap())
            .is_err());
        // Products past 128 bits, against values computed with big integers.
        let m = u128::MAX;
        for (a, b, c, want) in [
            (1u128 << 100, 1u128 << 100, 1u128 << 120, 1u128 << 80),
            (m - 1, m - 1, m, m - 2),
            (
                12_345_678_901_234_567_890_123_456_789,
                98_765_432_109_876_543_210_987_654_321,
                1_000_000_000_000_000_000_000_000_000_001,
                1_219_326_311_370_217_952_261_850_327,
            ),
        ] {
            assert_eq!(mul_div(a, b, c).unwrap(), want, "{a} x {b} / {c}");
        }
        assert!(mul_div(m, m, 1).is_err(), "a quotient past 128 bits");
    }
}
