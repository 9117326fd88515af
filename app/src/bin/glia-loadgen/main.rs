//! glia-loadgen: offers a fixed rate of signed bank sends (or, for comparison, kvstore txs of
//! the same size) to a localnet, then reports committed tx/s and inclusion latency. The signed
//! sends go to gliad or to simd (a Cosmos SDK chain: the profile names its denom and bech32
//! prefix), the same txs byte for byte but for those two.
//!
//!   glia-loadgen --network localnet/.run/network.json --rate 1000 --seconds 30
//!
//! Each sender account sticks to one node so its sequences arrive in order; inclusion is seen by
//! polling blocks on node 0, and latency is from the moment CheckTx admitted the tx to the
//! moment its block was first seen committed.

mod source;
mod watch;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use clap::Parser;
use glia_client::rpc::Rpc;
use glia_modules::coins::GasPrice;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use source::Source;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use watch::Watched;

#[derive(Parser)]
struct Args {
    /// Connection profile written by localnet/up.sh.
    #[arg(
        long,
        env = "GLIA_NETWORK",
        default_value = "localnet/.run/network.json"
    )]
    network: String,
    /// Offered load, txs per second across all senders.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// How long to offer load.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent senders (accounts for gliad; connections for kvstore).
    #[arg(long, default_value_t = 8)]
    senders: usize,
    /// Print one JSON line of results (for scripts).
    #[arg(long)]
    json: bool,
    /// The localnet's pids file ("name pid" lines): report the CPU its processes (grouped by
    /// name without the node number) and this generator used while the load ran.
    #[arg(long)]
    pids: Option<String>,
}

/// CPU seconds used so far by a process, from /proc (Linux's USER_HZ is 100).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds per process group: `name` from the pids file without its trailing node number,
/// and "loadgen" for this process.
fn cpu_by_group(pids: &[(String, String)]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for (name, pid) in pids {
        if let Some(s) = cpu_seconds(pid) {
            *out.entry(
                name.trim_end_matches(|c: char| c.is_ascii_digit())
                    .to_string(),
            )
            .or_insert(0.0) += s;
        }
    }
    out.insert("loadgen".into(), cpu_seconds("self").unwrap_or(0.0));
    out
}

#[derive(serde::Deserialize, Clone)]
struct Net {
    chain_id: String,
    app: String,
    /// The gas price the network accepts (gliad's profiles name it).
    #[serde(default)]
    gas_price: Option<String>,
    rpc: Vec<String>,
    accounts: Vec<Account>,
    /// The chain's fee and send denom, and its accounts' bech32 prefix (gliad's when absent).
    #[serde(default = "default_denom")]
    denom: String,
    #[serde(default = "default_prefix")]
    bech32_prefix: String,
}

fn default_denom() -> String {
    "uglia".into()
}

fn default_prefix() -> String {
    glia_modules::address::PREFIX.into()
}

impl Net {
    /// Whether the app takes signed Cosmos txs (gliad, simd) rather than kvstore's.
    fn signed(&self) -> bool {
        !self.app.starts_with("kvstore")
    }
}

#[derive(serde::Deserialize, Clone)]
struct Account {
    mnemonic: String,
}

fn rpc_call(agent: &ureq::Agent, url: &str, method: &str, params: Value) -> Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let v: Value = agent.post(url).send_json(body)?.into_json()?;
    if let Some(e) = v.get("error") {
        bail!("{method}: {e}");
    }
    Ok(v["result"].clone())
}

fn num(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or(0)
}

fn hash(tx: &[u8]) -> [u8; 32] {
    Sha256::digest(tx).into()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Txs CheckTx admitted, by hash, with the moment it did.
type Admitted = Arc<Mutex<HashMap<[u8; 32], Instant>>>;

fn main() -> Result<()> {
    let args = Args::parse();
    let net: Net =
        serde_json::from_str(&std::fs::read_to_string(&args.network).context("network profile")?)?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut sources = build_sources(&args, &net, &agent)?;
    presign_all(&mut sources, &args);

    let admitted: Admitted = Arc::default();
    let refused = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start_height = num(
        &rpc_call(&agent, &net.rpc[0], "status", json!({}))?["sync_info"]["latest_block_height"],
    );
    let watcher = watch::spawn(
        agent.clone(),
        net.rpc[0].clone(),
        admitted.clone(),
        stop.clone(),
        start_height,
    );

    let pids = read_pids(args.pids.as_deref())?;
    let cpu0 = cpu_by_group(&pids);
    let t0 = Instant::now();
    let (offered, rtts) = run_senders(sources, &args, &net, &agent, &admitted, &refused, t0);
    stop.store(true, Ordering::Relaxed);
    let watched = watcher
        .join()
        .map_err(|_| anyhow::anyhow!("watcher panicked"))??;
    // From the first tx offered to the last block that held ours (plus the watcher's idle wait).
    let cpu_window = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_by_group(&pids);
    let sent = Sent {
        offered,
        admitted: admitted.lock().unwrap().len(),
        refused: refused.load(Ordering::Relaxed),
        rtts,
    };
    let mut out = figures(&args, &net, sent, watched, t0);
    if !pids.is_empty() {
        add_cpu_figures(&mut out, &cpu0, &cpu1, cpu_window);
    }
    if args.json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

/// One source per sender, bound to node `i % nodes`: signed sends for gliad and simd, kvstore
/// txs otherwise.
fn build_sources(args: &Args, net: &Net, agent: &ureq::Agent) -> Result<Vec<Source>> {
    let signed = net.signed();
    if signed && net.accounts.len() < args.senders {
        bail!(
            "{} senders need {} dev accounts; the profile has {}",
            args.senders,
            args.senders,
            net.accounts.len()
        );
    }
    // The profile's gas price, else what the first node asks.
    let price = if !signed {
        None
    } else if let Some(p) = &net.gas_price {
        Some(GasPrice::parse(p).map_err(anyhow::Error::msg)?)
    } else {
        Some(Rpc::new(&net.rpc[0]).min_gas_price()?)
    };
    let mut sources = Vec::new();
    for i in 0..args.senders {
        let url = &net.rpc[i % net.rpc.len()];
        sources.push(if signed {
            Source::bank(net, agent, url, i, price.as_ref())?
        } else {
            Source::kv(i)
        });
    }
    Ok(sources)
}

/// Every tx a sender can offer in the run, signed now on all cores (plus a margin).
fn presign_all(sources: &mut [Source], args: &Args) {
    let per_sender_txs = (args.rate * args.seconds).div_ceil(args.senders as u64) + 8;
    let chunk = sources
        .len()
        .div_ceil(std::thread::available_parallelism().map_or(1, |n| n.get()));
    std::thread::scope(|s| {
        for part in sources.chunks_mut(chunk.max(1)) {
            s.spawn(move || part.iter_mut().for_each(|src| src.presign(per_sender_txs)));
        }
    });
}

/// The `--pids` file's (name, pid) pairs; none without the flag.
fn read_pids(file: Option<&str>) -> Result<Vec<(String, String)>> {
    Ok(match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("reading {f}"))?
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, p)| (n.to_string(), p.trim().to_string()))
            .collect(),
        None => vec![],
    })
}

/// Offers the load for `--seconds` from `t0`, one thread per source; returns the txs offered
/// and the broadcast round trips, sorted.
fn run_senders(
    sources: Vec<Source>,
    args: &Args,
    net: &Net,
    agent: &ureq::Agent,
    admitted: &Admitted,
    refused: &Arc<AtomicU64>,
    t0: Instant,
) -> (u64, Vec<f64>) {
    let per_sender = args.rate as f64 / args.senders as f64;
    let senders: Vec<_> = sources
        .into_iter()
        .enumerate()
        .map(|(i, mut src)| {
            let (agent, url) = (agent.clone(), net.rpc[i % net.rpc.len()].clone());
            let (admitted, refused) = (admitted.clone(), refused.clone());
            let secs = args.seconds;
            std::thread::spawn(move || {
                let mut sent = 0u64;
                let mut rtts = Vec::new();
                while t0.elapsed() < Duration::from_secs(secs) {
                    // Open-loop pacing: the n-th tx is due at n / rate.
                    let due = Duration::from_secs_f64(sent as f64 / per_sender);
                    if let Some(wait) = due.checked_sub(t0.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let tx = src.next();
                    sent += 1;
                    let asked = Instant::now();
                    let r = rpc_call(
                        &agent,
                        &url,
                        "broadcast_tx_sync",
                        json!({"tx": B64.encode(&tx)}),
                    );
                    rtts.push(asked.elapsed().as_secs_f64());
                    match r {
                        Ok(r) if num(&r["code"]) == 0 => {
                            admitted.lock().unwrap().insert(hash(&tx), Instant::now());
                        }
                        _ => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            let _ = src.resync(&agent, &url);
                        }
                    }
                }
                (sent, rtts)
            })
        })
        .collect();
    let mut offered = 0u64;
    let mut rtts = Vec::new();
    for h in senders {
        let (n, r) = h.join().unwrap_or_default();
        offered += n;
        rtts.extend(r);
    }
    rtts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (offered, rtts)
}

/// What the senders counted.
struct Sent {
    offered: u64,
    admitted: usize,
    refused: u64,
    /// Broadcast round trips, sorted.
    rtts: Vec<f64>,
}

/// The run's figures as the JSON object printed.
fn figures(args: &Args, net: &Net, sent: Sent, watched: Watched, t0: Instant) -> Value {
    let (mut lat, blocks, mut intervals) = watched;
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    intervals.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let committed = lat.len() as u64;
    // Sustained rate: committed txs over the span from the first to the last block holding ours.
    let with_ours: Vec<_> = blocks.iter().filter(|(_, n)| *n > 0).collect();
    let span = match (with_ours.first(), with_ours.last()) {
        (Some(a), Some(b)) if with_ours.len() > 1 => b.0.duration_since(a.0).as_secs_f64(),
        _ => args.seconds as f64,
    };
    let tps = committed as f64 / span.max(1e-9);
    // Whether the rate holds: our txs committed in each 10 s window of the load (blocks seen
    // after the senders stopped, the drain, are left out). A rate that falls from window to
    // window is a cost that grows with the chain, which a short run's mean hides.
    let windows: Vec<f64> = (0..args.seconds.div_ceil(10))
        .map(|w| {
            let (lo, hi) = (w * 10, ((w + 1) * 10).min(args.seconds));
            let n: usize = blocks
                .iter()
                .filter(|(seen, _)| {
                    let at = seen.saturating_duration_since(t0).as_secs_f64();
                    at >= lo as f64 && at < hi as f64
                })
                .map(|(_, n)| n)
                .sum();
            (n as f64 / (hi - lo) as f64).round()
        })
        .collect();
    let rtts = &sent.rtts;
    json!({
        "app": net.app, "offered_rate": args.rate, "seconds": args.seconds, "senders": args.senders,
        "offered": sent.offered, "admitted": sent.admitted, "refused": sent.refused,
        "committed": committed, "committed_tps": (tps * 10.0).round() / 10.0,
        "broadcast_p50_s": percentile(rtts, 0.5), "broadcast_p99_s": percentile(rtts, 0.99),
        "latency_p50_s": percentile(&lat, 0.5), "latency_p99_s": percentile(&lat, 0.99),
        "block_interval_p50_s": percentile(&intervals, 0.5), "block_interval_p99_s": percentile(&intervals, 0.99),
        "blocks": blocks.len(), "committed_tps_by_10s": windows,
    })
}

/// The CPU each process group used between the two readings, and the window they span.
fn add_cpu_figures(
    out: &mut Value,
    cpu0: &BTreeMap<String, f64>,
    cpu1: &BTreeMap<String, f64>,
    cpu_window: f64,
) {
    let used: serde_json::Map<String, Value> = cpu1
        .iter()
        .map(|(g, s)| (g.clone(), json!(s - cpu0.get(g).unwrap_or(&0.0))))
        .collect();
    out["cpu_s"] = Value::Object(used);
    out["cpu_window_s"] = json!(cpu_window);
}
