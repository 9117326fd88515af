//! Where the epoch end's payout spends its time: distribution's `work::end_block` replayed,
//! after the measured block, over the committed state just before it (a snapshot of that
//! version, read without gliad's latest-version cache; RocksDB's own caches are warm from the
//! real block). The changes are thrown away.

use super::chain::Chain;
use anyhow::{Context, Result};
use glia_modules::distribution::state::state_key;
use glia_modules::distribution::work;
use glia_modules::gas::GasMeter;
use glia_modules::{BlockInfo, Ctx, Kv, ReadOnly};
use std::time::Instant;

#[derive(Default, Clone, Copy)]
pub struct Anatomy {
    /// Reading the epoch's score records (keys and values).
    pub scores_ms: f64,
    /// Listing the score keys and the pair keys as `end_block` does (through its `Ctx`, whose
    /// listing reads every key's value too: cnidarium's `prefix_raw`).
    pub score_keys_ms: f64,
    pub pairs_ms: f64,
    /// Listing the pair keys alone (cnidarium's `prefix_keys`, no values), for comparison.
    pub pairs_keys_only_ms: f64,
    /// The whole payout: both listings, a transfer and an `earned` record per worker, the
    /// deletes.
    pub end_block_ms: f64,
    pub writes: usize,
    pub deletes: usize,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Replays the payout of the epoch end at `height` (already committed).
pub fn replay(chain: &Chain, height: u64) -> Result<Anatomy> {
    let view = chain
        .app
        .0
        .store
        .at_height(height - 1)
        .context("the state before the epoch end")?;
    let block = BlockInfo {
        height,
        ..Default::default()
    };
    let mut a = Anatomy::default();
    let mut ctx = Ctx::new(&view, GasMeter::infinite(), &block);
    let t = Instant::now();
    let epoch = work::current_epoch(&mut ctx)?;
    work::scores(&mut ctx, epoch)?;
    a.scores_ms = ms(t);
    let mut ctx = Ctx::new(&view, GasMeter::infinite(), &block);
    let t = Instant::now();
    ctx.kv_scan_keys(state_key::WORK_PREFIX)?;
    a.score_keys_ms = ms(t);
    let t = Instant::now();
    ctx.kv_scan_keys(state_key::WORK_PAIR_PREFIX)?;
    a.pairs_ms = ms(t);
    let t = Instant::now();
    ReadOnly(&view).kv_scan_keys(state_key::WORK_PAIR_PREFIX)?;
    a.pairs_keys_only_ms = ms(t);
    let mut ctx = Ctx::new(&view, GasMeter::infinite(), &block);
    let t = Instant::now();
    work::end_block(&mut ctx)?;
    a.end_block_ms = ms(t);
    let (changes, _, _) = ctx.into_parts();
    a.deletes = changes.values().filter(|v| v.is_none()).count();
    a.writes = changes.len() - a.deletes;
    Ok(a)
}
