//! glia-staking-bench: FinalizeBlock and Commit at staking scale, in process, over gliad's own
//! store (cnidarium on RocksDB, in a temporary directory).
//!
//!   cargo run --release -p gliad --bin glia-staking-bench -- [--epoch 100] [--validators 1000]
//!
//! Setup: a genesis of `--validators` gentx-like validators (of which `--bonded`, the
//! `max_validators`, are bonded by power and the rest wait) and `--delegations` funded
//! delegators, who then each delegate once in signed MsgDelegate txs, `--setup-block` to a
//! block. Then at least 2 × `--epoch` measured blocks: ordinary (no txs), a block of
//! `--delegate-block` MsgDelegate txs from distinct delegators, a validator-set change (waiting
//! validators pushed into the bonded set, bonded ones changing power), the epoch end
//! (`height % epoch == 0`, where distribution closes the useful-work epoch) and the payout
//! blocks after it (no txs: distribution pays `payout_records_per_block` of the closed
//! epoch's records a block until all are paid). Before each epoch end, three blocks of useful
//! work (`staking_bench/work.rs`): `--workers` solvers each paid by `--requesters-per-worker`
//! requesters through real SAT jobs, so that the payout pays them all out of the useful-work
//! pool and deletes the epoch's records. The run goes on until the last payout completes.
//! Every block carries the last commit's votes of the whole signing set, as CometBFT sends
//! them; signatures are verified as FinalizeBlock does for txs it has not seen in CheckTx.

#[path = "staking_bench/anatomy.rs"]
mod anatomy;
#[path = "staking_bench/chain.rs"]
mod chain;
#[path = "staking_bench/report.rs"]
mod report;
#[path = "staking_bench/split.rs"]
mod split;
#[path = "staking_bench/work.rs"]
mod work;

use anyhow::{ensure, Result};
use chain::{Chain, Kind, Setup, GLIA};
use clap::Parser;
use glia_modules::distribution::state::work_params;
use glia_modules::ReadOnly;
use std::time::Instant;
use tracing_subscriber::prelude::*;
use work::Work;

#[derive(Parser)]
struct Args {
    /// Blocks per epoch: distribution closes the epoch where `height % epoch == 0` and pays
    /// it out over the next blocks.
    #[arg(long, env = "GLIA_BENCH_EPOCH", default_value_t = 100)]
    epoch: u64,
    /// Measured blocks (at least 2 × epoch; then on until the last payout completes).
    #[arg(long, default_value_t = 0)]
    blocks: u64,
    /// Distribution's `payout_records_per_block` (default: the module's, 200).
    #[arg(long)]
    payout_per_block: Option<u32>,
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
        payout_per_block: a.payout_per_block,
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

    let per_block =
        work_params(&mut ReadOnly(&chain.app.0.store.latest()))?.payout_records_per_block;

    // The three work blocks: 10 blocks before the epoch end, or from the epoch's second block.
    // Delegation and set-change blocks are spread over the blocks left free (no work, no
    // close, no payout running): the payout blocks carry no txs, so they time the payout.
    let work_at = if a.epoch >= 13 { a.epoch - 10 } else { 1 };
    let mut samples = Vec::new();
    let mut epochs: Vec<(work::Epoch, anatomy::Replay, Option<anatomy::PayoutPhases>)> = Vec::new();
    let (mut i, mut free, mut jobs_at) = (0u64, 0u64, None);
    loop {
        let paying = work::paying(&chain)?;
        if i >= blocks && paying.is_empty() {
            break;
        }
        let h = chain.height + 1;
        let at = h % a.epoch;
        // Work starts only within the measured blocks; once started, it goes on.
        let step = at.checked_sub(work_at).filter(|s| *s < 3);
        let working = match step {
            Some(0) => work.is_some() && i < blocks,
            Some(s) => jobs_at == Some(h - s),
            None => false,
        };
        let kind = if at == 0 {
            Kind::EpochEnd
        } else if working {
            [Kind::Jobs, Kind::Commits, Kind::Reveals][step.unwrap_or(0) as usize]
        } else if !paying.is_empty() {
            Kind::Payout
        } else {
            free += 1;
            match (free - 1) % a.every {
                f if f == a.every / 2 => Kind::Delegations,
                0 => Kind::SetChange,
                _ => Kind::Ordinary,
            }
        };
        i += 1;
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
            Kind::Ordinary | Kind::EpochEnd | Kind::Payout => Vec::new(),
        };
        let before = match kind {
            Kind::EpochEnd => Some(Work::before_close(&chain)?),
            _ => None,
        };
        let mut s = chain.block(txs)?;
        s.kind = kind;
        s.split = capture.take();
        samples.push(s);
        for (e, _, phases) in epochs
            .iter_mut()
            .filter(|(e, ..)| paying.contains(&e.number))
        {
            Work::after_payout_block(&chain, e)?;
            if phases.is_none() {
                *phases = Some(anatomy::payout(&chain, h)?);
            }
        }
        if let Some(mut e) = before {
            Work::after_close(&chain, &mut e)?;
            epochs.push((e, anatomy::replay(&chain, h)?, None));
        }
        if kind == Kind::Jobs {
            jobs_at = Some(h);
            if let Some(w) = &mut work {
                w.read_jobs(&chain)?;
            }
        }
    }
    let header = [
        format!(
            "glia-staking-bench: {} validators ({} bonded), {} delegations set up, epoch {} \
             blocks, payout_records_per_block {per_block}",
            a.validators, a.bonded, a.delegations, a.epoch
        ),
        match a.workers {
            0 => "no useful work (--workers 0): the payouts pay nobody".to_string(),
            w => format!(
                "useful work per epoch: {w} solvers, each paid by {} requesters through SAT \
                 jobs; every {}th solver's withdraw address is one of its requesters \
                 (self-dealt)",
                a.requesters_per_worker, a.self_every
            ),
        },
    ];
    report::table(&header, &setup, &samples, started.elapsed());
    report::epochs(&samples, &epochs, per_block);
    Ok(())
}
