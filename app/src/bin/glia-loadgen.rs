//! glia-loadgen: offers a fixed rate of signed bank sends (or, for comparison, kvstore txs of
//! the same size) to a localnet, then reports committed tx/s and inclusion latency.
//!
//!   glia-loadgen --network localnet/.run/network.json --rate 1000 --seconds 30
//!
//! Each sender account sticks to one node so its sequences arrive in order; inclusion is seen by
//! polling blocks on node 0, and latency is from the moment CheckTx admitted the tx to the
//! moment its block was first seen committed.

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use clap::Parser;
use glia_client::keys::Key;
use glia_client::rpc::Rpc;
use glia_client::tx::{msg_send, sign_tx, TxParams};
use glia_modules::coins::{Coin, GasPrice};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the block watcher saw: inclusion latencies, (first sight, our txs) per block, and the
/// intervals between block times.
type Watched = (Vec<f64>, Vec<(Instant, usize)>, Vec<f64>);

/// How long node 0 may show no new block before the run is called stalled (blocks come every
/// 1–4 s under load).
const STALL: Duration = Duration::from_secs(60);

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
fn cpu_by_group(pids: &[(String, String)]) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
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

/// One sender's tx source: signed sends with consecutive sequences, or kvstore `key=value`.
enum Source {
    Bank {
        key: Box<Key>,
        params: TxParams,
        to: String,
        /// Txs signed before the timed run, by sequence, so signing does not compete with the
        /// network under test for the machine's cores.
        ready: VecDeque<(u64, Vec<u8>)>,
    },
    Kv {
        id: usize,
        n: u64,
        pad: String,
    },
}

impl Source {
    fn next(&mut self) -> Vec<u8> {
        match self {
            Source::Bank {
                key,
                params,
                to,
                ready,
            } => {
                // After a resync the sequence may have moved: skip what no longer fits.
                while ready.front().is_some_and(|(seq, _)| *seq < params.sequence) {
                    ready.pop_front();
                }
                let tx = match ready.front() {
                    Some((seq, _)) if *seq == params.sequence => ready.pop_front().unwrap().1,
                    _ => sign_send(key, to, params),
                };
                params.sequence += 1;
                tx
            }
            Source::Kv { id, n, pad } => {
                *n += 1;
                format!("lg{id}-{n}={pad}").into_bytes()
            }
        }
    }

    /// Signs the next `n` sends ahead of time.
    fn presign(&mut self, n: u64) {
        if let Source::Bank {
            key,
            params,
            to,
            ready,
        } = self
        {
            let mut p = params.clone();
            for _ in 0..n {
                ready.push_back((p.sequence, sign_send(key, to, &p)));
                p.sequence += 1;
            }
        }
    }

    /// After a refusal: resynchronise the sequence from the chain.
    fn resync(&mut self, agent: &ureq::Agent, url: &str) -> Result<()> {
        if let Source::Bank { key, params, .. } = self {
            let (num, seq) = account_numbers(agent, url, &key.address.to_bech32())?;
            params.account_number = num;
            params.sequence = seq;
        }
        Ok(())
    }
}

fn sign_send(key: &Key, to: &str, params: &TxParams) -> Vec<u8> {
    sign_tx(
        key,
        vec![msg_send(key, to, &[Coin::new("uglia", 1)])],
        params,
    )
}

fn account_numbers(agent: &ureq::Agent, url: &str, addr: &str) -> Result<(u64, u64)> {
    use glia_proto::cosmos::cosmos::auth::v1beta1::*;
    use prost::Message;
    let req = QueryAccountRequest {
        address: addr.into(),
    }
    .encode_to_vec();
    let r = rpc_call(
        agent,
        url,
        "abci_query",
        json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": hex::encode(req)}),
    )?;
    let value = B64.decode(r["response"]["value"].as_str().unwrap_or_default())?;
    let any = QueryAccountResponse::decode(value.as_slice())?
        .account
        .context("no account")?;
    let acc = BaseAccount::decode(any.value.as_slice())?;
    Ok((acc.account_number, acc.sequence))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let args = Args::parse();
    let net: Net =
        serde_json::from_str(&std::fs::read_to_string(&args.network).context("network profile")?)?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let gliad = net.app == "gliad";
    if gliad && net.accounts.len() < args.senders {
        bail!(
            "{} senders need {} dev accounts; the profile has {}",
            args.senders,
            args.senders,
            net.accounts.len()
        );
    }
    // The profile's gas price, else what the first node asks.
    let price = if !gliad {
        None
    } else if let Some(p) = &net.gas_price {
        Some(GasPrice::parse(p).map_err(anyhow::Error::msg)?)
    } else {
        Some(Rpc::new(&net.rpc[0]).min_gas_price()?)
    };
    // A signed send is ~250 bytes; kvstore txs are padded to the same size.
    let mut sources = Vec::new();
    for i in 0..args.senders {
        let url = &net.rpc[i % net.rpc.len()];
        sources.push(if gliad {
            let key = Key::from_mnemonic(&net.accounts[i].mnemonic)?;
            let (account_number, sequence) =
                account_numbers(&agent, url, &key.address.to_bech32())?;
            let to = Key::from_seed(format!("loadgen sink {i}").as_bytes())
                .address
                .to_bech32();
            // Gas from one simulated send (every send of a source is alike), the fee from the
            // network's gas price: nothing here assumes the chain's prices.
            let mut params = TxParams {
                chain_id: net.chain_id.clone(),
                account_number,
                sequence,
                fee: vec![],
                gas_limit: 0,
                memo: String::new(),
            };
            let sample = msg_send(&key, &to, &[Coin::new("uglia", 1)]);
            params.gas_limit = Rpc::new(url).simulate_gas(&key, &[sample], &params)?;
            let price = price.as_ref().context("a gas price for gliad")?;
            params.fee = vec![Coin::new(&price.denom, price.fee_for(params.gas_limit))];
            Source::Bank {
                key: Box::new(key),
                params,
                to,
                ready: VecDeque::new(),
            }
        } else {
            Source::Kv {
                id: i,
                n: 0,
                pad: "v".repeat(230),
            }
        });
    }

    // Every tx a sender can offer in the run, signed now on all cores (plus a margin).
    let per_sender_txs = (args.rate * args.seconds).div_ceil(args.senders as u64) + 8;
    let chunk = sources
        .len()
        .div_ceil(std::thread::available_parallelism().map_or(1, |n| n.get()));
    std::thread::scope(|s| {
        for part in sources.chunks_mut(chunk.max(1)) {
            s.spawn(move || part.iter_mut().for_each(|src| src.presign(per_sender_txs)));
        }
    });

    let admitted: Arc<Mutex<HashMap<[u8; 32], Instant>>> = Arc::default();
    let refused = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start_height = num(
        &rpc_call(&agent, &net.rpc[0], "status", json!({}))?["sync_info"]["latest_block_height"],
    );

    // Block watcher: every committed block on node 0, when first seen.
    let watcher = {
        let (agent, url, admitted, stop) = (
            agent.clone(),
            net.rpc[0].clone(),
            admitted.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || -> Result<Watched> {
            let mut latencies = Vec::new();
            let mut blocks = Vec::new();
            let mut intervals = Vec::new();
            let mut next = start_height + 1;
            let mut last_time: Option<f64> = None;
            let mut idle_since: Option<Instant> = None;
            let mut last_block = Instant::now();
            loop {
                match rpc_call(&agent, &url, "block", json!({"height": next.to_string()})) {
                    Ok(b) => {
                        let seen = Instant::now();
                        last_block = seen;
                        let txs = b["block"]["data"]["txs"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        let t = b["block"]["header"]["time"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        if let Some(secs) = parse_rfc3339(&t) {
                            if let Some(l) = last_time {
                                intervals.push(secs - l);
                            }
                            last_time = Some(secs);
                        }
                        let mut ours = 0;
                        let adm = admitted.lock().unwrap();
                        for tx in txs {
                            let bytes = B64
                                .decode(tx.as_str().unwrap_or_default())
                                .unwrap_or_default();
                            if let Some(t0) = adm.get(&hash(&bytes)) {
                                latencies.push(seen.duration_since(*t0).as_secs_f64());
                                ours += 1;
                            }
                        }
                        drop(adm);
                        blocks.push((seen, ours));
                        next += 1;
                        if ours == 0 && stop.load(Ordering::Relaxed) {
                            let s = *idle_since.get_or_insert(seen);
                            if seen.duration_since(s) > Duration::from_secs(3) {
                                break;
                            }
                        } else {
                            idle_since = None;
                        }
                    }
                    // A node whose consensus has stopped never shows the next block: say so
                    // rather than wait for ever.
                    Err(_) if last_block.elapsed() > STALL => bail!(
                        "node 0 ({url}) showed no block {next} for {} s: its chain has stalled",
                        STALL.as_secs()
                    ),
                    Err(_) => std::thread::sleep(Duration::from_millis(30)),
                }
            }
            Ok((latencies, blocks, intervals))
        })
    };

    let pids: Vec<(String, String)> = match &args.pids {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("reading {f}"))?
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, p)| (n.to_string(), p.trim().to_string()))
            .collect(),
        None => vec![],
    };
    let cpu0 = cpu_by_group(&pids);
    let t0 = Instant::now();
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
    stop.store(true, Ordering::Relaxed);
    let (mut lat, blocks, mut intervals) = watcher
        .join()
        .map_err(|_| anyhow::anyhow!("watcher panicked"))??;
    // From the first tx offered to the last block that held ours (plus the watcher's idle wait).
    let cpu_window = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_by_group(&pids);
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
    let admitted_n = admitted.lock().unwrap().len();
    let out = json!({
        "app": net.app, "offered_rate": args.rate, "seconds": args.seconds, "senders": args.senders,
        "offered": offered, "admitted": admitted_n, "refused": refused.load(Ordering::Relaxed),
        "committed": committed, "committed_tps": (tps * 10.0).round() / 10.0,
        "broadcast_p50_s": percentile(&rtts, 0.5), "broadcast_p99_s": percentile(&rtts, 0.99),
        "latency_p50_s": percentile(&lat, 0.5), "latency_p99_s": percentile(&lat, 0.99),
        "block_interval_p50_s": percentile(&intervals, 0.5), "block_interval_p99_s": percentile(&intervals, 0.99),
        "blocks": blocks.len(), "committed_tps_by_10s": windows,
    });
    let mut out = out;
    if !pids.is_empty() {
        let used: serde_json::Map<String, Value> = cpu1
            .iter()
            .map(|(g, s)| (g.clone(), json!(s - cpu0.get(g).unwrap_or(&0.0))))
            .collect();
        out["cpu_s"] = Value::Object(used);
        out["cpu_window_s"] = json!(cpu_window);
    }
    if args.json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp (CometBFT block time), fractional.
fn parse_rfc3339(s: &str) -> Option<f64> {
    let (date, time) = s.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (hh, mm) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let ss: f64 = t.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + hh * 3600 + mm * 60) as f64 + ss)
}
