//! The block watcher: every committed block on node 0, when first seen, and which of the
//! run's admitted txs it holds.

use crate::{hash, rpc_call};
use anyhow::{bail, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the block watcher saw: inclusion latencies, (first sight, our txs) per block, and the
/// intervals between block times.
pub type Watched = (Vec<f64>, Vec<(Instant, usize)>, Vec<f64>);

/// How long node 0 may show no new block before the run is called stalled (blocks come every
/// 1–4 s under load).
const STALL: Duration = Duration::from_secs(60);

/// Watches blocks from `start_height + 1` on until `stop` is set and 3 s of blocks hold none
/// of ours.
pub fn spawn(
    agent: ureq::Agent,
    url: String,
    admitted: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
    stop: Arc<AtomicBool>,
    start_height: u64,
) -> JoinHandle<Result<Watched>> {
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
