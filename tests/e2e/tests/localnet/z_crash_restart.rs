//! A validator's gliad killed with SIGKILL at arbitrary moments under load restarts, replays
//! through CometBFT's handshake, catches up, and agrees with the others at every height.

use crate::consensus::assert_app_hashes_agree;
use anyhow::{bail, Context, Result};
use glia_client::tx::msg_send;
use glia_e2e::{Network, Rpc};
use glia_modules::coins::Coin;
use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const VICTIM: usize = 3;

/// The pid recorded for `name` in the localnet's pids file.
fn pid_of(run_dir: &Path, name: &str) -> Result<u32> {
    let text = std::fs::read_to_string(run_dir.join("pids"))?;
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .rfind(|(n, _)| *n == name)
        .context(format!("{name} not in pids file"))?
        .1
        .trim()
        .parse()
        .context("pid")
}

fn set_pid(run_dir: &Path, name: &str, pid: u32) -> Result<()> {
    let path = run_dir.join("pids");
    let text = std::fs::read_to_string(&path)?;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.split(' ').next() == Some(name) {
                format!("{name} {pid}")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(path, out.join("\n") + "\n")?;
    Ok(())
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}/cmdline")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn cmdline(pid: u32) -> Result<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    Ok(raw
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into())
        .collect())
}

/// Starts a detached process in its own session with the localnet's marker, output to `log`.
fn spawn(run_dir: &Path, cmd: &[String], log: &Path) -> Result<u32> {
    let out = OpenOptions::new().create(true).append(true).open(log)?;
    let child = Command::new("setsid")
        .args(cmd)
        .env("GLIA_LOCALNET", run_dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()?;
    Ok(child.id())
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Result<()> {
    let start = Instant::now();
    while !f() {
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Senders that keep txs flowing to nodes 0..3 until stopped; counts admitted txs.
fn start_load(
    net: &Network,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> Vec<std::thread::JoinHandle<()>> {
    (4..8)
        .map(|i| {
            let net = net.clone();
            let (stop, sent) = (stop.clone(), sent.clone());
            std::thread::spawn(move || {
                let w = net.wallet(&format!("dev{i}")).expect("dev account");
                let rpc = net.node(i % 3);
                // A sink no other test reads, so txs still pending after the test change nothing
                // that another test checks to the unit.
                let to =
                    glia_client::keys::Key::from_seed(format!("crash load sink {i}").as_bytes())
                        .address
                        .to_bech32();
                let mut p = None;
                while !stop.load(Ordering::Relaxed) {
                    let params = match p.take() {
                        Some(p) => p,
                        None => match w.params(&net, &rpc) {
                            Ok(p) => p,
                            Err(_) => {
                                std::thread::sleep(Duration::from_millis(200));
                                continue;
                            }
                        },
                    };
                    let tx = w.sign(
                        vec![msg_send(&w.key, &to, &[Coin::new("uglia", 1)])],
                        &params,
                    );
                    match rpc.broadcast(&tx) {
                        Ok(r) if r.code == 0 => {
                            sent.fetch_add(1, Ordering::Relaxed);
                            let mut next = params;
                            next.sequence += 1;
                            p = Some(next);
                        }
                        _ => std::thread::sleep(Duration::from_millis(300)),
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect()
}

#[test]
fn sigkilled_validator_restarts_and_agrees_at_every_height() -> Result<()> {
    let net = Network::load()?;
    let run_dir = net.run_dir();
    let node_dir = run_dir.join(format!("node{VICTIM}"));
    let victim = net.node(VICTIM);
    let reference = net.node(0);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let load = start_load(&net, stop.clone(), sent.clone());

    // Kill at different points of the block cycle: the delays are not multiples of the block time.
    for (round, delay_ms) in [1300u64, 2700, 450, 3900].into_iter().enumerate() {
        std::thread::sleep(Duration::from_millis(delay_ms));
        let (gpid, cpid) = (
            pid_of(&run_dir, &format!("gliad{VICTIM}"))?,
            pid_of(&run_dir, &format!("cometbft{VICTIM}"))?,
        );
        let (gcmd, ccmd) = (cmdline(gpid)?, cmdline(cpid)?);
        let before = victim.height().unwrap_or(0);
        Command::new("kill")
            .args(["-KILL", &gpid.to_string()])
            .status()?;
        wait_until("gliad to die", Duration::from_secs(10), || !alive(gpid))?;
        // CometBFT stops itself once its app's connection drops; make sure it is gone.
        if wait_until("cometbft to stop", Duration::from_secs(15), || !alive(cpid)).is_err() {
            Command::new("kill")
                .args(["-KILL", &cpid.to_string()])
                .status()?;
            wait_until("cometbft to die", Duration::from_secs(10), || !alive(cpid))?;
        }
        let g = spawn(&run_dir, &gcmd, &node_dir.join("gliad.log"))?;
        set_pid(&run_dir, &format!("gliad{VICTIM}"), g)?;
        let abci = 26658 + 10 * VICTIM as u16;
        wait_until("gliad's ABCI port", Duration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", abci)).is_ok()
        })?;
        let c = spawn(&run_dir, &ccmd, &node_dir.join("cometbft.log"))?;
        set_pid(&run_dir, &format!("cometbft{VICTIM}"), c)?;
        let target = reference.height()? + 1;
        let caught = Rpc::new(&net.rpc[VICTIM]).wait_height(target, Duration::from_secs(90))?;
        println!("round {round}: killed at height {before}, restarted, caught up to {caught}");
    }
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().ok();
    }
    let admitted = sent.load(Ordering::Relaxed);
    assert!(admitted > 20, "load generator got only {admitted} txs in");
    victim.wait_height(reference.height()? + 1, Duration::from_secs(60))?;
    let top = assert_app_hashes_agree(&net)?;
    println!("{admitted} txs admitted during 4 SIGKILLs; app hashes agree at heights 1..={top}");
    Ok(())
}
