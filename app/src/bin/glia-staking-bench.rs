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
//! Every block carries the last commit's votes of the whole signing set, as CometBFT sends
//! them; signatures are verified as FinalizeBlock does for txs it has not seen in CheckTx.

#[path = "staking_bench/chain.rs"]
mod chain;

use anyhow::{ensure, Result};
use chain::{Chain, Kind, Sample, Setup, GLIA};
use clap::Parser;
use std::time::{Duration, Instant};

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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    ensure!(
        a.epoch > 0 && a.every > 1,
        "--epoch and --every must be positive"
    );
    let blocks = a.blocks.max(2 * a.epoch);
    let started = Instant::now();
    let mut chain = Chain::new(&Setup {
        validators: a.validators,
        bonded: a.bonded,
        delegators: a.delegations,
        epoch: a.epoch,
    })?;

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
        setup.push(chain.block(txs)?);
    }
    eprintln!(
        "setup: {} delegations in {} blocks, {:.1} s",
        a.delegations,
        setup.len(),
        t.elapsed().as_secs_f64()
    );

    let mut samples = Vec::new();
    for i in 0..blocks {
        let h = chain.height + 1;
        let kind = if h % a.epoch == 0 {
            Kind::EpochEnd
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
            _ => Vec::new(),
        };
        let mut s = chain.block(txs)?;
        s.kind = kind;
        samples.push(s);
    }
    report(&a, &chain, &setup, &samples, started.elapsed());
    Ok(())
}

fn report(a: &Args, chain: &Chain, setup: &[Sample], samples: &[Sample], total: Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let epoch_work = if chain.app.0.components.get("distribution").is_some() {
        "distribution present: it pays its epoch at the epoch end"
    } else {
        "no distribution component yet: the epoch end is an ordinary block"
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
        "| block | blocks | txs | set updates | FinalizeBlock ms: min | median | max | Commit ms: median |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
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
        println!(
            "| {name} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            xs.len(),
            xs[0].txs,
            u[u.len() / 2],
            f[0],
            f[f.len() / 2],
            f[f.len() - 1],
            c[c.len() / 2]
        );
    };
    row("setup: MsgDelegate block".into(), setup.iter().collect());
    for kind in [
        Kind::Ordinary,
        Kind::Delegations,
        Kind::SetChange,
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
    for s in samples.iter().filter(|s| s.kind == Kind::EpochEnd) {
        println!(
            "epoch end at height {}: FinalizeBlock {:.1} ms, Commit {:.1} ms",
            s.height,
            ms(s.finalize),
            ms(s.commit)
        );
    }
    println!("total run: {:.0} s", total.as_secs_f64());
}
