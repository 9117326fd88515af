//! glia-staking-bench: FinalizeBlock and Commit at staking scale, in process, over gliad's own
//! store (cnidarium on RocksDB, in a temporary directory).
//!
//!   cargo run --release -p gliad --bin glia-staking-bench -- [--epoch 100] [--validators 1000]
//!
//! Setup: a genesis of `--validators` gentx-like validators (of which `--bonded`, the
//! `max_validators`, are bonded by power and the rest wait) and `--delegations` funded
//! delegators, who then each delegate once in signed MsgDelegate txs, `--setup-block` to a
//! block. Then at least 2 × `--epoch` measured blocks of four kinds: ordinary (no txs), a
//! block of `--delegate-block` MsgDelegate txs from distinct delegators, a validator-set change
//! (waiting validators pushed into the bonded set, bonded ones changing power), and the epoch
//! end (`height % epoch == 0`, where distribution pays its epoch; otherwise an ordinary block).
//! Before each epoch end, three blocks of useful work (`staking_bench/work.rs`): `--workers`
//! solvers each paid by `--requesters-per-worker` requesters through real SAT jobs, so that
//! the epoch end pays them all out of the useful-work pool and deletes the epoch's records.
//! Every block carries the last commit's votes of the whole signing set, as CometBFT sends
//! them; signatures are verified as FinalizeBlock does for txs it has not seen in CheckTx.

#[path = "staking_bench/anatomy.rs"]
mod anatomy;
#[path = "staking_bench/chain.rs"]
mod chain;
#[path = "staking_bench/split.rs"]
mod split;
#[path = "staking_bench/work.rs"]
mod work;

use anyhow::{ensure, Result};
use chain::{Chain, Kind, Sample, Setup, GLIA};
use clap::Parser;
use std::time::{Duration, Instant};
use tracing_subscriber::prelude::*;
use work::{Epoch, Work};

#[derive(Parser)]
struct Args {
    /// Blocks per epoch: distribution pays out where `height % epoch == 0`.
    #[arg(long, env = "GLIA_BENCH_EPOCH", default_value_t = 100)]
    epoch: u64,
    /// Measured blocks (at least 2 × epoch).
    #[arg(long, default_value_t = 0)]
    blocks: u64,
    #[arg(long, default_value_t = 1000)]
    validators: usize,
    /// Staking's `max_validators`: the bonded set; the rest wait.
    #[arg(long, default_value_t = 150)]
    bonded: u32,
    #[arg(long, default_value_t = 100_000)]
    delegations: usize,
    /// Setup delegations per block.
    #[arg(long, default_value_t = 5000)]
    setup_block: usize,
    /// MsgDelegate txs in a measured delegation block.
    #[arg(long, default_value_t = 2000)]
    delegate_block: usize,
    /// One delegation block and one set-change block in every this many measured blocks.
    #[arg(long, default_value_t = 10)]
    every: u64,
    /// Waiting validators pushed into the bonded set by a set-change block.
    #[arg(long, default_value_t = 20)]
    set_entrants: usize,
    /// Bonded validators whose power a set-change block changes.
    #[arg(long, default_value_t = 100)]
    set_moves: usize,
    /// Solvers paid for useful work in every epoch (0: no useful work).
    #[arg(long, default_value_t = 1000)]
    workers: usize,
    /// Distinct requesters paying each solver, each through one SAT job per epoch.
    #[arg(long, default_value_t = 10)]
    requesters_per_worker: usize,
    /// Every this many solvers, one's withdraw address is one of its requesters: that job's
    /// work is self-dealt.
    #[arg(long, default_value_t = 10)]
    self_every: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
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

fn main() -> Result<()> {
    // `RUST_LOG=gliad=info` shows each block's split (execute_ms, hash_ms) as gliad logs it.
    // The report's split (keys written, execute and hash ms) is captured from the same line.
    let capture = split::Capture::default();
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(env),
        )
        .with(
            capture.clone().with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("gliad::app", tracing::Level::INFO),
            ),
        )
        .init();
    let a = Args::parse();
    ensure!(
        a.epoch > 0 && a.every > 1,
        "--epoch and --every must be positive"
    );
    ensure!(
        a.workers == 0 || a.epoch >= 4,
        "useful work needs --epoch of at least 4"
    );
    let blocks = a.blocks.max(2 * a.epoch);
    let started = Instant::now();
    let mut work = match a.workers {
        0 => None,
        n => Some(Work::new(n, a.requesters_per_worker, a.self_every)?),
    };
    let mut chain = Chain::new(&Setup {
        validators: a.validators,
        bonded: a.bonded,
        delegators: a.delegations,
        epoch: a.epoch,
        balances: work.as_ref().map(Work::balances).unwrap_or_default(),
    })?;
    if let Some(w) = &mut work {
        w.numbers(&chain)?;
    }

    let t = Instant::now();
    let mut setup = Vec::new();
    let n = a.validators;
    for from in (0..a.delegations).step_by(a.setup_block.max(1)) {
        let to = (from + a.setup_block).min(a.delegations);
        // Delegator j to validator j·7919 mod n: an even spread, 1 to 100 GLIA each.
        let items: Vec<(usize, u128)> = (from..to)
            .map(|j| ((j * 7919) % n, (1 + (j as u128 * 31) % 100) * GLIA))
            .collect();
        let txs = chain.delegations(&items)?;
        let mut s = chain.block(txs)?;
        s.split = capture.take();
        setup.push(s);
    }
    if let Some(w) = &mut work {
        let txs = w.withdraw_addresses();
        chain.block(txs)?;
    }
    eprintln!(
        "setup: {} delegations in {} blocks, {:.1} s",
        a.delegations,
        setup.len(),
        t.elapsed().as_secs_f64()
    );

    // The three work blocks: 10 blocks before the epoch end, or from the epoch's second block.
    let work_at = if a.epoch >= 13 { a.epoch - 10 } else { 1 };
    let mut samples = Vec::new();
    let mut epochs: Vec<(u64, Epoch, anatomy::Anatomy)> = Vec::new();
    for i in 0..blocks {
        let h = chain.height + 1;
        let at = h % a.epoch;
        let kind = if at == 0 {
            Kind::EpochEnd
        } else if work.is_some() && (work_at..work_at + 3).contains(&at) {
            [Kind::Jobs, Kind::Commits, Kind::Reveals][(at - work_at) as usize]
        } else if i % a.every == a.every / 2 {
            Kind::Delegations
        } else if i % a.every == 0 {
            Kind::SetChange
        } else {
            Kind::Ordinary
        };
        let txs = match kind {
            Kind::Delegations => {
                let items: Vec<(usize, u128)> = (0..a.delegate_block)
                    .map(|k| ((k * 7919 + i as usize) % n, (1 + k as u128 % 100) * GLIA))
                    .collect();
                chain.delegations(&items)?
            }
            Kind::SetChange => chain.set_change(a.bonded as usize, a.set_entrants, a.set_moves)?,
            Kind::Jobs => work.as_mut().map(Work::submit_jobs).unwrap_or_default(),
            Kind::Commits => work.as_mut().map(Work::commits).unwrap_or_default(),
            Kind::Reveals => work.as_mut().map(Work::reveals).unwrap_or_default(),
            Kind::Ordinary | Kind::EpochEnd => Vec::new(),
        };
        let before = match kind {
            Kind::EpochEnd => Some(Work::before_end(&chain)?),
            _ => None,
        };
        let mut s = chain.block(txs)?;
        s.kind = kind;
        s.split = capture.take();
        if let Some(mut e) = before {
            Work::after_end(&chain, &mut e)?;
            epochs.push((h, e, anatomy::replay(&chain, h)?));
        }
        if kind == Kind::Jobs {
            if let Some(w) = &mut work {
                w.read_jobs(&chain)?;
            }
        }
        samples.push(s);
    }
    report(&a, &setup, &samples, started.elapsed());
    report_epochs(&samples, &epochs);
    Ok(())
}

fn glia(n: u128) -> String {
    format!("{:.1}", n as f64 / GLIA as f64)
}

fn report_epochs(samples: &[Sample], epochs: &[(u64, Epoch, anatomy::Anatomy)]) {
    for (h, e, an) in epochs {
        println!(
            "epoch end at height {h}: before it, {} score records and {} pair keys ({} self-dealt \
             results, not scored); the pool held {} GLIA and paid {} workers {} GLIA ({} carried); \
             records left after it: {}",
            e.scores,
            e.pairs,
            e.self_dealt,
            glia(e.pool),
            e.workers_paid,
            glia(e.paid),
            glia(e.carried),
            e.left
        );
        if let Some(s) = samples.iter().find(|s| s.height == *h) {
            println!(
                "  FinalizeBlock {:.1} ms (execute {} ms, hash {} ms), {} keys written or \
                 deleted, Commit {:.1} ms",
                ms(s.finalize),
                s.split.execute_ms,
                s.split.hash_ms,
                s.split.writes,
                ms(s.commit)
            );
        }
        let listed = an.scores_ms + an.score_keys_ms + an.pairs_ms;
        println!(
            "  the payout replayed alone: {:.1} ms ({} writes, {} deletes): reading the score \
             records {:.1} ms, listing their keys {:.1} ms and the pair keys {:.1} ms (keys only, \
             without values: {:.1} ms); the rest (transfers, records, deletes) {:.1} ms",
            an.end_block_ms,
            an.writes,
            an.deletes,
            an.scores_ms,
            an.score_keys_ms,
            an.pairs_ms,
            an.pairs_keys_only_ms,
            an.end_block_ms - listed
        );
    }
}

fn report(a: &Args, setup: &[Sample], samples: &[Sample], total: Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let epoch_work = if a.workers == 0 {
        "no useful work (--workers 0): the epoch end pays nobody".to_string()
    } else {
        format!(
            "useful work per epoch: {} solvers, each paid by {} requesters through SAT jobs; \
             every {}th solver's withdraw address is one of its requesters (self-dealt)",
            a.workers, a.requesters_per_worker, a.self_every
        )
    };
    println!(
        "glia-staking-bench: {} validators ({} bonded), {} delegations set up, epoch {} blocks",
        a.validators, a.bonded, a.delegations, a.epoch
    );
    println!(
        "machine: {cores} cores, {}; profile: {profile}",
        cpu_model()
    );
    println!("{epoch_work}");
    println!();
    println!(
        "| block | blocks | txs | set updates | FinalizeBlock ms: min | median | max | Commit ms: median | keys written | execute ms | hash ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: String, xs: Vec<&Sample>| {
        if xs.is_empty() {
            return;
        }
        let mut f: Vec<f64> = xs.iter().map(|s| ms(s.finalize)).collect();
        let mut c: Vec<f64> = xs.iter().map(|s| ms(s.commit)).collect();
        let mut u: Vec<usize> = xs.iter().map(|s| s.updates).collect();
        f.sort_by(f64::total_cmp);
        c.sort_by(f64::total_cmp);
        u.sort_unstable();
        let median = |g: fn(&split::Split) -> u64| {
            let mut v: Vec<u64> = xs.iter().map(|s| g(&s.split)).collect();
            v.sort_unstable();
            v[v.len() / 2]
        };
        println!(
            "| {name} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            xs.len(),
            xs[0].txs,
            u[u.len() / 2],
            f[0],
            f[f.len() / 2],
            f[f.len() - 1],
            c[c.len() / 2],
            median(|s| s.writes),
            median(|s| s.execute_ms),
            median(|s| s.hash_ms)
        );
    };
    row("setup: MsgDelegate block".into(), setup.iter().collect());
    for kind in [
        Kind::Ordinary,
        Kind::Delegations,
        Kind::SetChange,
        Kind::Jobs,
        Kind::Commits,
        Kind::Reveals,
        Kind::EpochEnd,
    ] {
        row(
            kind.name().into(),
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
