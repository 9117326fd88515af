//! The kernels' arithmetic types: [`Real`] (f32 or f64) and [`Lanes`], K chips' values of one
//! variable or clause in one cache line, which every operation treats as one vector.

use super::instance::Block;
use super::kernel::FMA;
use std::ops::{Add, Mul, Sub};

/// f32 or f64, for the kernels.
pub trait Real:
    Copy
    + Default
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + 'static
{
    fn of(x: f64) -> Self;
    fn f64(self) -> f64;
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The block's negated literal signs (−½ q) in this precision.
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]];
}

impl Real for f32 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]] {
        &b.signs32
    }
}

impl Real for f64 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    fn signs<const L: usize>(b: &Block<L>) -> &[[Self; L]] {
        &b.signs64
    }
}

/// K chips' values of one variable or clause: one cache line, and the kernels' vector type.
/// Every operation is one loop over the lanes, which LLVM turns into one vector instruction.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Lanes<T, const K: usize>(pub [T; K]);

impl<T: Real, const K: usize> Lanes<T, K> {
    #[inline(always)]
    pub(super) fn splat(x: T) -> Self {
        Lanes([x; K])
    }

    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(T, T) -> T) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = f(self.0[k], o.0[k]);
        }
        r
    }

    // `a < b ? a : b` is exactly the x86 min instruction (no NaN fix-ups).
    #[inline(always)]
    pub(super) fn min(self, o: Self) -> Self {
        self.zip(o, |a, b| if a < b { a } else { b })
    }

    #[inline(always)]
    pub(super) fn max(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { a } else { b })
    }

    #[inline(always)]
    pub(super) fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }

    /// b − self·a, fused when the kernel is compiled for FMA.
    #[inline(always)]
    pub(super) fn neg_mul_add<const F: u8>(self, a: Self, b: Self) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = if F & FMA != 0 {
                (T::default() - self.0[k]).mul_add(a.0[k], b.0[k])
            } else {
                b.0[k] - self.0[k] * a.0[k]
            };
        }
        r
    }

    /// self·a + b, fused when the kernel is compiled for FMA.
    #[inline(always)]
    pub(super) fn mul_add<const F: u8>(self, a: Self, b: Self) -> Self {
        let mut r = self;
        for k in 0..K {
            r.0[k] = if F & FMA != 0 {
                self.0[k].mul_add(a.0[k], b.0[k])
            } else {
                self.0[k] * a.0[k] + b.0[k]
            };
        }
        r
    }

    /// Per lane: `x` where `a <= b`, else `y`.
    #[inline(always)]
    pub(super) fn le_select(a: Self, b: Self, x: Self, y: Self) -> Self {
        let mut r = y;
        for k in 0..K {
            if a.0[k] <= b.0[k] {
                r.0[k] = x.0[k];
            }
        }
        r
    }
}

impl<T: Real, const K: usize> Add for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
}

impl<T: Real, const K: usize> Sub for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }
}

impl<T: Real, const K: usize> Mul for Lanes<T, K> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }
}
