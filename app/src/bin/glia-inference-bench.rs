//! glia-inference-bench: what the chain adds to image generation, on a running localnet.
//!
//!   glia-inference-bench --network localnet/.run/network.json --seconds 30
//!
//! Phase 1 (idle): block intervals with no work. Phase 2 (busy): one request per block
//! (`--seeds` × `--replicas` images of the tiny model) for `--seconds`, then until all settle.
//! Prints, per task, blocks from inclusion to settlement and the seconds that leaves after
//! the slowest executor's device time; and block interval p50/p99 idle vs busy.

use anyhow::{ensure, Context, Result};
use clap::Parser;
use glia_client::keys::Key;
use glia_client::rpc::{event_attr, Rpc};
use glia_client::tx::{any, sign_tx, TxParams};
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_proto::inference::v1::*;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Connection profile written by localnet/up.sh.
    #[arg(
        long,
        env = "GLIA_NETWORK",
        default_value = "localnet/.run/network.json"
    )]
    network: String,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    #[arg(long, default_value_t = 2)]
    seeds: u64,
    #[arg(long, default_value_t = 2)]
    replicas: u32,
    #[arg(long, default_value_t = 8)]
    steps: u32,
    #[arg(long, default_value_t = 64)]
    size: u32,
}

fn block_time(rpc: &Rpc, h: u64) -> Result<f64> {
    let r = rpc.call("header", serde_json::json!({"height": h.to_string()}))?;
    let t = r["header"]["time"].as_str().context("no time")?;
    let t = tendermint::Time::parse_from_rfc3339(t)?;
    let d = t.duration_since(tendermint::Time::unix_epoch())?;
    Ok(d.as_secs_f64())
}

fn intervals(rpc: &Rpc, from: u64, to: u64) -> Result<Vec<f64>> {
    let times: Vec<f64> = (from..=to)
        .map(|h| block_time(rpc, h))
        .collect::<Result<_>>()?;
    Ok(times.windows(2).map(|w| w[1] - w[0]).collect())
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    s[((s.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let a = Args::parse();
    let net: serde_json::Value = serde_json::from_slice(&std::fs::read(&a.network)?)?;
    let rpc = Rpc::new(net["rpc"][0].as_str().context("no rpc")?);
    let chain_id = net["chain_id"].as_str().context("no chain id")?.to_string();
    let acct = &net["accounts"][0];
    let key = Key::from_mnemonic(acct["mnemonic"].as_str().context("no mnemonic")?)?;
    let price = match net["gas_price"].as_str() {
        Some(p) => glia_modules::coins::GasPrice::parse(p).map_err(anyhow::Error::msg)?,
        None => rpc.min_gas_price()?,
    };

    let idle_from = rpc.height()?;
    std::thread::sleep(Duration::from_secs(a.seconds.min(20)));
    let idle_to = rpc.height()?;
    let idle = intervals(&rpc, idle_from.max(2), idle_to)?;

    let mut tasks = Vec::new();
    let busy_from = rpc.height()?;
    let start = Instant::now();
    let mut seed = 1000u64;
    while start.elapsed() < Duration::from_secs(a.seconds) {
        let h = rpc.height()?;
        let acc = rpc
            .account(&key.address.to_bech32())?
            .context("no account")?;
        let msg = MsgGenerateImage {
            creator: key.address.to_bech32(),
            model_id: "tiny".into(),
            prompt: format!("benchmark image {seed}"),
            negative_prompt: String::new(),
            width: a.size,
            height: a.size,
            steps: a.steps,
            guidance_scale: "7.5".into(),
            scheduler: Scheduler::Ddim as i32,
            seeds: (0..a.seeds).map(|i| seed + i).collect(),
            replicas: a.replicas,
            max_fee: Some(Coin::new(BASE_DENOM, 1_000_000_000).to_proto()),
            timeout_blocks: 0,
        };
        seed += a.seeds;
        let mut p = TxParams {
            chain_id: chain_id.clone(),
            account_number: acc.account_number,
            sequence: acc.sequence,
            fee: vec![],
            gas_limit: 0,
            memo: String::new(),
        };
        p.gas_limit = rpc.simulate_gas(&key, &[any(&msg)], &p)?;
        p.fee = vec![Coin::new(&price.denom, price.fee_for(p.gas_limit))];
        let tx = sign_tx(&key, vec![any(&msg)], &p);
        let b = rpc.broadcast(&tx)?;
        ensure!(b.code == 0, "rejected: {}", b.log);
        let r = rpc.wait_tx(&b.hash, Duration::from_secs(30))?;
        let id: u64 = event_attr(&r, "generate_image", "task_id")[0].parse()?;
        let included: u64 = r["height"].as_str().unwrap_or("0").parse()?;
        tasks.push((id, included));
        // One request per block.
        rpc.wait_height(h.max(included) + 1, Duration::from_secs(30))?;
    }
    let mut rows = Vec::new();
    for (id, included) in &tasks {
        let t = loop {
            let r: QueryTaskResponse = rpc.query(
                "/glia.inference.v1.Query/Task",
                &QueryTaskRequest { id: *id },
            )?;
            let t = r.task.context("no task")?;
            if t.status != TaskStatus::Pending as i32 {
                break t;
            }
            std::thread::sleep(Duration::from_millis(300));
        };
        let device_s = t
            .assignments
            .iter()
            .flat_map(|a| a.results.iter().map(|r| r.device_time_ms))
            .max()
            .unwrap_or(0) as f64
            / 1000.0;
        let blocks = t.settled_height - included;
        let secs = block_time(&rpc, t.settled_height)? - block_time(&rpc, *included)?;
        rows.push((blocks as f64, secs - device_s, device_s, t.status));
    }
    let busy_to = rpc.height()?;
    let busy = intervals(&rpc, busy_from, busy_to)?;
    let col = |i: usize| rows.iter().map(|r| [r.0, r.1, r.2][i]).collect::<Vec<_>>();
    let completed = rows
        .iter()
        .filter(|r| r.3 == TaskStatus::Completed as i32)
        .count();
    println!(
        "{} tasks ({} completed), {} seeds x {} replicas, {}x{} px, {} steps, tiny model",
        rows.len(),
        completed,
        a.seeds,
        a.replicas,
        a.size,
        a.size,
        a.steps
    );
    println!(
        "blocks from inclusion to settlement    p50 {:.0}   p99 {:.0}   max {:.0}",
        pct(&col(0), 0.5),
        pct(&col(0), 0.99),
        pct(&col(0), 1.0)
    );
    println!(
        "seconds beyond executor compute        p50 {:.2}   p99 {:.2}   (compute p50 {:.3} s)",
        pct(&col(1), 0.5),
        pct(&col(1), 0.99),
        pct(&col(2), 0.5)
    );
    println!(
        "block interval idle                    p50 {:.2} s  p99 {:.2} s  ({} blocks)",
        pct(&idle, 0.5),
        pct(&idle, 0.99),
        idle.len()
    );
    println!(
        "block interval busy                    p50 {:.2} s  p99 {:.2} s  ({} blocks)",
        pct(&busy, 0.5),
        pct(&busy, 0.99),
        busy.len()
    );
    println!(
        "busy / idle p99: {:.2}",
        pct(&busy, 0.99) / pct(&idle, 0.99)
    );
    Ok(())
}
