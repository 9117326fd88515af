//! The benchmark's report: the table of block kinds, then each measured epoch's close and
//! payout.

use super::anatomy::{PayoutPhases, Replay};
use super::chain::{Kind, Sample, GLIA};
use super::work::Epoch;
use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn glia(n: u128) -> String {
    format!("{:.1}", n as f64 / GLIA as f64)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Min, median and max.
fn spread<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<(T, T, T)> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Some((*v.first()?, v[v.len() / 2], *v.last()?))
}

/// The header and the table of block kinds.
pub fn table(header: &[String], setup: &[Sample], samples: &[Sample], total: Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The dev profile is optimised (see Cargo.toml); debug assertions tell it from release.
    let profile = if cfg!(debug_assertions) {
        "dev (optimised)"
    } else {
        "release"
    };
    for line in header {
        println!("{line}");
    }
    println!(
        "machine: {cores} cores, {}; profile: {profile}",
        cpu_model()
    );
    println!();
    println!(
        "| block | blocks | txs | set updates | FinalizeBlock ms: min | median | max | Commit ms: median | keys written | execute ms | hash ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, xs: Vec<&Sample>| {
        let Some((f0, f1, f2)) = spread(xs.iter().map(|s| ms(s.finalize)).collect()) else {
            return;
        };
        let c = spread(xs.iter().map(|s| ms(s.commit)).collect()).map_or(0.0, |c| c.1);
        let median = |g: fn(&Sample) -> u64| spread(xs.iter().map(|s| g(s)).collect()).map(|m| m.1);
        println!(
            "| {name} | {} | {} | {} | {f0:.1} | {f1:.1} | {f2:.1} | {c:.1} | {} | {} | {} |",
            xs.len(),
            xs[0].txs,
            median(|s| s.updates as u64).unwrap_or(0),
            median(|s| s.split.writes).unwrap_or(0),
            median(|s| s.split.execute_ms).unwrap_or(0),
            median(|s| s.split.hash_ms).unwrap_or(0)
        );
    };
    row("setup: MsgDelegate block", setup.iter().collect());
    for kind in [
        Kind::Ordinary,
        Kind::Delegations,
        Kind::SetChange,
        Kind::Jobs,
        Kind::Commits,
        Kind::Reveals,
        Kind::EpochEnd,
        Kind::Payout,
    ] {
        row(
            kind.name(),
            samples.iter().filter(|s| s.kind == kind).collect(),
        );
    }
    println!();
    if let Some(s) = samples.iter().max_by_key(|s| s.finalize) {
        println!(
            "slowest measured block: height {} ({}), FinalizeBlock {:.1} ms, Commit {:.1} ms",
            s.height,
            s.kind.name(),
            ms(s.finalize),
            ms(s.commit)
        );
    }
    println!("total run: {:.0} s", total.as_secs_f64());
}

/// Each measured epoch: its close, its payout's blocks, what `last_payout` says it paid.
pub fn epochs(
    samples: &[Sample],
    epochs: &[(Epoch, Replay, Option<PayoutPhases>)],
    per_block: u32,
) {
    let at = |h: u64| samples.iter().find(|s| s.height == h);
    for (e, close, phases) in epochs {
        println!();
        println!(
            "epoch {} closed at height {}: before it, {} score records and {} requester marks \
             ({} self-dealt results, not scored); the pool held {} GLIA before the block, the \
             close set {} GLIA aside; older payouts still running: {}",
            e.number,
            e.close,
            e.scores,
            e.pairs,
            e.self_dealt,
            glia(e.pool),
            glia(e.pot),
            e.older_running
        );
        if let Some(s) = at(e.close) {
            println!(
                "  the close block: FinalizeBlock {:.1} ms (execute {} ms, hash {} ms), {} keys \
                 written or deleted, Commit {:.1} ms; distribution's end_block replayed alone \
                 (median of 5): {:.3} ms, {} writes, {} deletes",
                ms(s.finalize),
                s.split.execute_ms,
                s.split.hash_ms,
                s.split.writes,
                ms(s.commit),
                close.ms,
                close.writes,
                close.deletes
            );
        }
        let records = e.scores + e.pairs;
        let pay: Vec<&Sample> = e.payout_blocks.iter().filter_map(|&h| at(h)).collect();
        let only = pay.iter().filter(|s| s.kind == Kind::Payout).count();
        println!(
            "  payout: {} blocks (heights {}–{}; {only} of them without txs) for {records} \
             records at {per_block} a block (expected {})",
            e.payout_blocks.len(),
            e.payout_blocks.first().copied().unwrap_or_default(),
            e.payout_blocks.last().copied().unwrap_or_default(),
            records.div_ceil(per_block.max(1) as usize).max(1)
        );
        let f = spread(pay.iter().map(|s| ms(s.finalize)).collect());
        let c = spread(pay.iter().map(|s| ms(s.commit)).collect());
        let k = spread(pay.iter().map(|s| s.split.writes).collect());
        let slowest = pay
            .iter()
            .max_by_key(|s| s.finalize)
            .map_or(0, |s| s.height);
        if let (Some(f), Some(c), Some(k)) = (f, c, k) {
            println!(
                "  payout blocks: FinalizeBlock ms {:.1} / {:.1} / {:.1} (slowest at {slowest}), \
                 Commit ms {:.1} / {:.1} / {:.1}, keys written {} / {} / {} (min / median / max)",
                f.0, f.1, f.2, c.0, c.1, c.2, k.0, k.1, k.2
            );
        }
        match e.done {
            Some(h) => println!(
                "  completed at height {h} ({} blocks after the close): {} says {} workers \
                 paid {} GLIA, {} GLIA carried; the epoch's records left: {}",
                h - e.close,
                if e.from_event {
                    "its useful_work_payout event (last_payout is a later one's)"
                } else {
                    "last_payout"
                },
                e.workers_paid,
                glia(e.paid),
                glia(e.carried),
                e.left
            ),
            None => println!("  NOT COMPLETED by the end of the run"),
        }
        if let Some(a) = phases {
            println!(
                "  its first block ({}) replayed alone (median of 5): end_block {:.1} ms ({} \
                 writes, {} deletes); a copy of its steps: {} records, {} workers paid, {:.1} \
                 ms: listing the keys {:.1} ms, reading the score records {:.1} ms, transfers \
                 and earned records {:.1} ms, deletes {:.1} ms",
                a.height,
                a.whole.ms,
                a.whole.writes,
                a.whole.deletes,
                a.records,
                a.workers,
                a.copy_ms,
                a.listing_ms,
                a.scores_ms,
                a.transfers_ms,
                a.deletes_ms
            );
        }
    }
}
