//! Distribution's useful-work `end_block` alone, replayed after the measured block over the
//! committed state just before it (a snapshot of that version, read without gliad's
//! latest-version cache; RocksDB's own caches are warm from the real block). The changes are
//! thrown away. Replayed: the close (an epoch's last block) and the first block of its payout,
//! whose time is then split by a copy of `pay_some`'s steps (listing the keys, reading the
//! score records, the transfers, the deletes). Each replay is run `RUNS` times; the median
//! run is reported.

use super::chain::Chain;
use anyhow::{Context, Result};
use glia_modules::address::Address;
use glia_modules::bank;
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::decimal::Dec;
use glia_modules::distribution::state::{self, state_key, WORK_POOL};
use glia_modules::distribution::work;
use glia_modules::gas::GasMeter;
use glia_modules::{value, BlockInfo, Ctx, Kv};
use glia_proto::distribution::v1::{Payout, WorkScore};
use std::time::Instant;

const RUNS: usize = 5;

/// `work::end_block` replayed at one height.
#[derive(Default, Clone, Copy)]
pub struct Replay {
    pub ms: f64,
    pub writes: usize,
    pub deletes: usize,
}

/// One payout block's `work::end_block`, and its time split by the copy of its steps.
#[derive(Default, Clone, Copy)]
pub struct PayoutPhases {
    pub height: u64,
    pub whole: Replay,
    /// Records (score records and requester marks) paid or deleted, workers paid.
    pub records: usize,
    pub workers: usize,
    /// The payout record, the worker keys and each worker's requester marks (keys only).
    pub listing_ms: f64,
    /// The workers' score records (read and decoded).
    pub scores_ms: f64,
    /// Each worker's withdraw address, `bank::transfer` and `earned` record.
    pub transfers_ms: f64,
    /// The deletes (buffered in the block's changes; their cost in the JMT is the block's).
    pub deletes_ms: f64,
    /// The copy's whole time (no events).
    pub copy_ms: f64,
}

/// A stored integer ("" is 0, as distribution reads it).
fn int(s: &str) -> Result<u128> {
    Ok(if s.is_empty() { 0 } else { s.parse()? })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Replays `work::end_block` at `height` (already committed) over the state before it.
pub fn replay(chain: &Chain, height: u64) -> Result<Replay> {
    let view = chain
        .app
        .0
        .store
        .at_height(height - 1)
        .context("the state before the block")?;
    let block = BlockInfo {
        height,
        ..Default::default()
    };
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let mut ctx = Ctx::new(&view, GasMeter::infinite(), &block);
        let t = Instant::now();
        work::end_block(&mut ctx)?;
        let ms = ms(t);
        let (changes, _, _) = ctx.into_parts();
        let deletes = changes.values().filter(|v| v.is_none()).count();
        runs.push(Replay {
            ms,
            writes: changes.len() - deletes,
            deletes,
        });
    }
    runs.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    Ok(runs[RUNS / 2])
}

/// The payout block at `height` (already committed): `work::end_block` replayed, then a copy
/// of `pay_some`'s steps for the oldest running payout, timed step by step.
pub fn payout(chain: &Chain, height: u64) -> Result<PayoutPhases> {
    let whole = replay(chain, height)?;
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        runs.push(copy(chain, height)?);
    }
    runs.sort_by(|a, b| a.copy_ms.total_cmp(&b.copy_ms));
    Ok(PayoutPhases {
        whole,
        ..runs[RUNS / 2]
    })
}

/// One run of the copy of `pay_some`'s steps.
fn copy(chain: &Chain, height: u64) -> Result<PayoutPhases> {
    let mut a = PayoutPhases {
        height,
        ..Default::default()
    };
    let view = chain
        .app
        .0
        .store
        .at_height(height - 1)
        .context("the state before the block")?;
    let block = BlockInfo {
        height,
        ..Default::default()
    };
    let mut ctx = Ctx::new(&view, GasMeter::infinite(), &block);
    let start = Instant::now();
    let p = state::work_params(&mut ctx)?;
    let mut budget = p.payout_records_per_block.max(1) as usize;
    let cap = state::dec_param(&p.max_reward_per_fee, "max_reward_per_fee")?;
    let pool = Address::module(WORK_POOL);
    let t = Instant::now();
    let key = ctx
        .kv_scan_keys_from(state_key::PAYOUT_PREFIX, state_key::PAYOUT_PREFIX, 1)?
        .pop()
        .context("no payout running")?;
    let payout: Payout = value::get(&mut ctx, &key, "payout")?.context("the payout")?;
    let (pot, total) = (int(&payout.pot)?, int(&payout.total_score)?);
    let prefix = state_key::works_of_epoch(payout.epoch);
    let workers = ctx.kv_scan_keys_from(&prefix, &prefix, budget)?;
    a.listing_ms += ms(t);
    for wkey in &workers {
        let wk = &wkey[prefix.len()..];
        let t = Instant::now();
        let marks = state_key::pairs_of(payout.epoch, wk);
        let pairs = ctx.kv_scan_keys_from(&marks, &marks, budget)?;
        a.listing_ms += ms(t);
        budget -= pairs.len();
        a.records += pairs.len();
        let t = Instant::now();
        for k in pairs {
            ctx.delete(k)?;
        }
        a.deletes_ms += ms(t);
        if budget == 0 {
            break;
        }
        budget -= 1;
        a.records += 1;
        let t = Instant::now();
        let s: WorkScore = value::get(&mut ctx, wkey, "work score")?.context("a score")?;
        a.scores_ms += ms(t);
        let t = Instant::now();
        ctx.delete(wkey.clone())?;
        a.deletes_ms += ms(t);
        let t = Instant::now();
        let score = int(&s.score)?;
        let pay = if score > 0 && total > 0 && pot > 0 {
            let share = Dec::ratio(score, total)?.mul_int_floor(pot)?;
            share.min(cap.mul_int_floor(int(&s.fees)?)?)
        } else {
            0
        };
        if pay > 0 {
            let worker = Address::parse(&s.worker).map_err(anyhow::Error::msg)?;
            let to = state::withdraw_address(&mut ctx, &worker)?;
            bank::transfer(&mut ctx, &pool, &to, &[Coin::new(BASE_DENOM, pay)])?;
            let ek = state_key::earned(wk);
            let before = value::amount(&mut ctx, &ek)?;
            ctx.put(ek, value::encode_amount(before + pay))?;
            a.workers += 1;
        }
        a.transfers_ms += ms(t);
    }
    a.copy_ms = ms(start);
    Ok(a)
}
