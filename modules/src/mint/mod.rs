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

    /// The schedule's closed form against the emission minted block by block: after a
    /// "year" of 200,000 blocks at a decay of 10^-6 the projection is within a few units of
    /// what the blocks minted, every year mints less than the one before, and the total stays
    /// below the cap.
    #[test]
    fn the_schedule_follows_the_blocks() {
        use crate::context::{BlockInfo, Ctx};
        use crate::gas::GasMeter;
        use crate::store::MemStore;
        let store = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        let g = state::Genesis {
            emission_cap: Some("100000000000000".into()),
            decay_per_block: Some("0.000001".into()),
            blocks_per_year: Some(200_000),
        };
        state::set_params(&mut ctx, &state::params_from(&g).unwrap()).unwrap();
        let s = component::schedule(&mut ctx, 5).unwrap();
        let (cap, decay) = (100_000_000_000_000u128, Dec::parse("0.000001").unwrap());
        let mut minted = 0u128;
        for _ in 0..200_000 {
            minted += next_reward(cap, minted, decay).unwrap();
        }
        let projected: u128 = s.years[0].minted.parse().unwrap();
        assert!(
            projected.abs_diff(minted) <= 200_000,
            "{projected} vs {minted}"
        );
        let per_year: Vec<u128> = s
            .years
            .iter()
            .map(|y| y.minted_in_year.parse().unwrap())
            .collect();
        assert!(per_year.windows(2).all(|w| w[1] < w[0]), "{per_year:?}");
        assert!(s.years[4].minted.parse::<u128>().unwrap() < cap);
        assert!(component::schedule(&mut ctx, 101).is_err());
        assert_eq!(component::schedule(&mut ctx, 0).unwrap().years.len(), 10);
        assert_eq!(
            Dec::parse("0.5").unwrap().pow(3).unwrap(),
            Dec::parse("0.125").unwrap()
        );
    }

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
