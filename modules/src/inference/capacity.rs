//! What an executor can take on: each declares its throughput (kilo pixel-steps per block);
//! a slot's deadline is its queue plus the slot's own work at that rate, plus the result
//! window; a draw skips an executor whose queue would pass `max_queue_blocks`; and quality
//! lost to a penalty comes back a little every block. So no requester can push honest
//! executors out by asking more work than they can do in a fixed window: the work waits in
//! their queues and is paid when done.

use glia_proto::inference::v1::{Executor, Params};

/// The work of one replica of a task, in kilo pixel-steps: seeds × width × height × steps
/// / 1000, rounded up (at least 1).
pub fn work_of(seeds: usize, width: u32, height: u32, steps: u32) -> u64 {
    let px_steps = u128::from(width)
        .saturating_mul(u128::from(height))
        .saturating_mul(u128::from(steps))
        .saturating_mul(seeds as u128);
    u64::try_from(px_steps.div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The executor's rate: what it declared, or the params' default.
pub fn rate(e: &Executor, p: &Params) -> u64 {
    if e.work_per_block > 0 {
        e.work_per_block
    } else {
        p.default_work_per_block.max(1)
    }
}

/// Whether `work` more keeps the executor's queue within `max_queue_blocks` at its rate.
pub fn has_room(e: &Executor, work: u64, p: &Params) -> bool {
    e.queued_work.saturating_add(work) <= rate(e, p).saturating_mul(p.max_queue_blocks)
}

/// Blocks the executor needs for its queue and then `work`, at its rate (rounded up).
pub fn blocks_for(e: &Executor, work: u64, p: &Params) -> u64 {
    e.queued_work.saturating_add(work).div_ceil(rate(e, p))
}

/// Whether the executor is jailed (see `settle::release_jailed`): drawn for nothing, its
/// quality frozen.
pub fn jailed(e: &Executor) -> bool {
    e.jailed_until != 0
}

/// Quality as of `height`: what was stored plus the recovery of every block since, at most
/// 10 000. A jailed executor recovers nothing.
pub fn quality_at(e: &Executor, height: u64, p: &Params) -> u32 {
    if jailed(e) {
        return e.quality_bps;
    }
    let blocks = height.saturating_sub(e.quality_height);
    let gain = blocks.saturating_mul(u64::from(p.quality_recovery_bps_per_block));
    let q = u64::from(e.quality_bps).saturating_add(gain).min(10_000);
    u32::try_from(q).unwrap_or(10_000)
}

/// Brings the stored quality up to `height`.
pub fn refresh_quality(e: &mut Executor, height: u64, p: &Params) {
    e.quality_bps = quality_at(e, height, p);
    e.quality_height = height;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_deadlines_and_recovery() {
        let p = crate::inference::state::default_params();
        assert_eq!(work_of(1, 512, 512, 50), 13_108);
        assert_eq!(work_of(2, 64, 64, 4), 33);
        let mut e = Executor {
            work_per_block: 10_000,
            queued_work: 25_000,
            quality_bps: 8_000,
            quality_height: 100,
            ..Default::default()
        };
        assert_eq!(blocks_for(&e, 13_108, &p), 4);
        assert!(has_room(&e, 13_108, &p));
        assert!(!has_room(&e, 10_000 * p.max_queue_blocks, &p));
        assert_eq!(quality_at(&e, 150, &p), 8_500);
        assert_eq!(quality_at(&e, 10_000, &p), 10_000);
        refresh_quality(&mut e, 120, &p);
        assert_eq!((e.quality_bps, e.quality_height), (8_200, 120));
        // Jailed: frozen, however long.
        e.jailed_until = 5_000;
        assert_eq!(quality_at(&e, 4_000, &p), 8_200);
        refresh_quality(&mut e, 4_000, &p);
        assert_eq!((e.quality_bps, e.quality_height), (8_200, 4_000));
    }
}
