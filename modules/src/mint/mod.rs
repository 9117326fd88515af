//! The continuous emission (`glia.mint.v1`, and the `cosmos.mint.v1beta1` queries wallets
//! call). Every block mints `decay_per_block` (d) of what is left below the cap C:
//!
//!   reward(h) = floor(d × (C − minted(h − 1)))
//!
//! so, but for rounding, minted(h) = C × (1 − (1 − d)^h) and reward(h) = d × C × (1 − d)^(h−1):
//! every block's reward is at most the last one's, the emission halves every ln 2 / d blocks,
//! and the total never exceeds C (each reward is at most what is left). Integer arithmetic
//! only (`Dec`, rounded down). The rewards go to the fee collector, which distribution
//! (issue 16) shares between validators, delegators and the pools.

pub mod component;
pub mod state;

use crate::decimal::Dec;
use crate::error::{AppError, AppResult};

/// The next block's reward when `minted` of `cap` is out.
pub fn next_reward(cap: u128, minted: u128, decay: Dec) -> AppResult<u128> {
    let remaining = cap
        .checked_sub(minted)
        .ok_or_else(|| AppError::internal(format!("minted {minted} is above the cap {cap}")))?;
    decay.mul_int_floor(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over a million blocks: every reward is at most the last, the total stays below the cap,
    /// and the minted amount follows the closed form C(1 − (1 − d)^h) to within the rounding
    /// (at most one unit a block).
    #[test]
    fn rewards_fall_block_by_block_and_never_pass_the_cap() {
        let cap: u128 = 100_000_000_000_000;
        let decay = Dec::parse("0.000001").unwrap();
        let (mut minted, mut last) = (0u128, u128::MAX);
        let blocks = 1_000_000u32;
        for _ in 0..blocks {
            let r = next_reward(cap, minted, decay).unwrap();
            assert!(r <= last, "a reward of {r} after {last}");
            minted += r;
            assert!(minted <= cap);
            last = r;
        }
        let closed = cap as f64 * (1.0 - (1.0 - 1e-6f64).powi(blocks as i32));
        let diff = (closed - minted as f64).abs();
        assert!(
            diff <= blocks as f64,
            "minted {minted}, closed form {closed}"
        );
        // After 1 / d blocks, 1 − 1/e of the cap is out.
        assert!((minted as f64 / cap as f64 - (1.0 - (-1.0f64).exp())).abs() < 1e-3);
        // A decay of 1 would mint everything at once; the params refuse it (see state).
        assert_eq!(
            next_reward(cap, cap, decay).unwrap(),
            0,
            "nothing left, nothing minted"
        );
        assert!(next_reward(cap, cap + 1, decay).is_err());
    }
}
