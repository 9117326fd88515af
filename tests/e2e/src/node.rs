//! An extra node beside the localnet's validators, started by a test: its own home (from
//! `cometbft init`, the network's genesis and node 0's config with its own ports and the
//! validators as persistent peers), a CometBFT and a gliad without executor (a copy of node
//! 0's running binary), both marked and
//! listed in the run dir's `pids` as `localnet/lib.sh` does (so `localnet/down.sh` stops them
//! too), and stopped when the value is dropped, whatever the test's outcome.

use crate::{Network, Rpc};
use anyhow::{bail, ensure, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the extra node differs from node 0.
#[derive(Clone, Debug, Default)]
pub struct NodeOptions {
    /// CometBFT's `[consensus] timeout_propose` (node 0's when `None`).
    pub timeout_propose: Option<String>,
}

/// The ports an extra node listens on (all on 127.0.0.1).
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub p2p: u16,
    pub rpc: u16,
    pub abci: u16,
    pub grpc: u16,
    pub api: u16,
}

/// One process of an extra node.
struct Proc {
    name: String,
    child: Child,
}

/// A CometBFT + gliad pair with its own home under the localnet's run dir.
pub struct ExtraNode {
    pub name: String,
    /// CometBFT's home; gliad's is `home/glia`.
    pub home: PathBuf,
    pub ports: Ports,
    run_dir: PathBuf,
    cometbft: PathBuf,
    gliad: PathBuf,
    gas_price: String,
    procs: Vec<Proc>,
}

/// `n` ports the kernel says are free now.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let socks = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    socks.iter().map(|s| Ok(s.local_addr()?.port())).collect()
}

/// The pid `localnet/lib.sh` recorded for `name` (the last one).
pub fn pid_of(run_dir: &Path, name: &str) -> Result<u32> {
    let text = std::fs::read_to_string(run_dir.join("pids"))?;
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .rfind(|(n, _)| *n == name)
        .with_context(|| format!("{name} not in {}/pids", run_dir.display()))?
        .1
        .trim()
        .parse()
        .context("pid")
}

/// The binary a running process executes (its path: a build since may have replaced it).
fn exe_of(pid: u32) -> Result<PathBuf> {
    let p = std::fs::read_link(format!("/proc/{pid}/exe"))
        .with_context(|| format!("reading /proc/{pid}/exe (is the localnet running?)"))?;
    let s = p.to_string_lossy();
    Ok(match s.strip_suffix(" (deleted)") {
        Some(path) => PathBuf::from(path),
        None => p,
    })
}

/// Rewrites `key = value` lines of a TOML file by (section, key), as localnet/up.sh does;
/// fails if a key is not there.
pub fn set_toml_keys(path: &Path, edits: &[(&str, &str, String)]) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let mut section = String::new();
    let mut seen = vec![false; edits.len()];
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            // A comment, kept as it is.
        } else if t.starts_with('[') && t.ends_with(']') && !t.starts_with("[[") {
            section = t[1..t.len() - 1].trim().to_string();
        } else if let Some((k, _)) = t.split_once('=') {
            let k = k.trim();
            if let Some(i) = edits
                .iter()
                .position(|(s, key, _)| *s == section && *key == k)
            {
                out.push_str(&format!("{k} = {}\n", edits[i].2));
                seen[i] = true;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    let missing: Vec<String> = edits
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|((s, k, _), _)| format!("[{s}] {k}"))
        .collect();
    ensure!(
        missing.is_empty(),
        "{}: keys not found: {missing:?}",
        path.display()
    );
    std::fs::write(path, out)?;
    Ok(())
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

impl ExtraNode {
    /// A new home `RUN_DIR/NAME` (replacing one left by an earlier run), ready to start.
    pub fn create(net: &Network, name: &str, opts: &NodeOptions) -> Result<ExtraNode> {
        let run_dir = net.run_dir();
        let node0 = run_dir.join("node0");
        let cometbft = exe_of(pid_of(&run_dir, "cometbft0")?)?;
        let home = run_dir.join(name);
        if home.exists() {
            std::fs::remove_dir_all(&home)?;
        }
        std::fs::create_dir_all(home.join("glia"))?;
        // Node 0's very gliad, copied from the running process: a build since may have
        // replaced the file it started from with one that computes another state.
        let gliad = home.join("gliad");
        let gliad0 = pid_of(&run_dir, "gliad0")?;
        std::fs::copy(format!("/proc/{gliad0}/exe"), &gliad)
            .with_context(|| format!("copying node 0's gliad (pid {gliad0})"))?;
        let out = Command::new(&cometbft)
            .args(["init", "--home"])
            .arg(&home)
            .output()?;
        ensure!(
            out.status.success(),
            "cometbft init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::copy(
            node0.join("config/genesis.json"),
            home.join("config/genesis.json"),
        )?;
        // Node 0's config (timeouts, mempool, indexer as the others run them), with this
        // node's own ports and every validator as a persistent peer.
        std::fs::copy(
            node0.join("config/config.toml"),
            home.join("config/config.toml"),
        )?;
        let mut peers = Vec::new();
        for i in 0..net.rpc.len() {
            let out = Command::new(&cometbft)
                .args(["show-node-id", "--home"])
                .arg(run_dir.join(format!("node{i}")))
                .output()?;
            ensure!(out.status.success(), "cometbft show-node-id of node{i}");
            let id = String::from_utf8(out.stdout)?.trim().to_string();
            peers.push(format!("{id}@127.0.0.1:{}", 26656 + 10 * i));
        }
        let p = free_ports(5)?;
        let ports = Ports {
            p2p: p[0],
            rpc: p[1],
            abci: p[2],
            grpc: p[3],
            api: p[4],
        };
        let mut edits = vec![
            ("", "moniker", quoted(name)),
            (
                "",
                "proxy_app",
                quoted(&format!("tcp://127.0.0.1:{}", ports.abci)),
            ),
            (
                "rpc",
                "laddr",
                quoted(&format!("tcp://127.0.0.1:{}", ports.rpc)),
            ),
            ("rpc", "pprof_laddr", quoted("")),
            (
                "p2p",
                "laddr",
                quoted(&format!("tcp://127.0.0.1:{}", ports.p2p)),
            ),
            ("p2p", "persistent_peers", quoted(&peers.join(","))),
            ("instrumentation", "prometheus", "false".into()),
        ];
        if let Some(t) = &opts.timeout_propose {
            edits.push(("consensus", "timeout_propose", quoted(t)));
        }
        set_toml_keys(&home.join("config/config.toml"), &edits)?;
        Ok(ExtraNode {
            name: name.to_string(),
            home,
            ports,
            run_dir,
            cometbft,
            gliad,
            gas_price: net.gas_price.clone(),
            procs: Vec::new(),
        })
    }

    pub fn rpc(&self) -> Rpc {
        Rpc::new(&format!("http://127.0.0.1:{}", self.ports.rpc))
    }

    pub fn priv_validator_key(&self) -> PathBuf {
        self.home.join("config/priv_validator_key.json")
    }

    /// The consensus key: (ed25519 public key, CometBFT's hex address).
    pub fn consensus_key(&self) -> Result<(Vec<u8>, String)> {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.priv_validator_key())?)?;
        let key = B64.decode(
            v["pub_key"]["value"]
                .as_str()
                .context("priv_validator_key.json has no pub_key")?,
        )?;
        let address = v["address"]
            .as_str()
            .context("priv_validator_key.json has no address")?
            .to_uppercase();
        Ok((key, address))
    }

    /// Starts a process in its own process group with the localnet's marker, output appended to
    /// `HOME/LOG`, listed in the run dir's `pids` (as lib.sh's `start_proc`).
    fn spawn(&mut self, proc_name: &str, log: &str, cmd: &mut Command) -> Result<()> {
        let log_path = self.home.join(log);
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let child = cmd
            .env("GLIA_LOCALNET", &self.run_dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {proc_name}"))?;
        let name = format!("{proc_name}-{}", self.name);
        let mut pids = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.run_dir.join("pids"))?;
        std::io::Write::write_all(&mut pids, format!("{name} {}\n", child.id()).as_bytes())?;
        self.procs.push(Proc { name, child });
        Ok(())
    }

    /// Starts gliad, waits for its ABCI port, then CometBFT.
    pub fn start(&mut self) -> Result<()> {
        ensure!(self.procs.is_empty(), "{} is already running", self.name);
        let p = self.ports;
        let mut g = Command::new(&self.gliad);
        g.arg("start")
            .arg("--home")
            .arg(self.home.join("glia"))
            .args(["--abci", &format!("127.0.0.1:{}", p.abci)])
            .args(["--grpc", &format!("127.0.0.1:{}", p.grpc)])
            .args(["--api", &format!("127.0.0.1:{}", p.api)])
            .args(["--min-gas-price", &self.gas_price])
            .args(["--rpc", &format!("http://127.0.0.1:{}", p.rpc)])
            .arg("--no-neuro");
        self.spawn("gliad", "gliad.log", &mut g)?;
        let start = Instant::now();
        while !port_open(p.abci) {
            if let Some(st) = self.procs[0].child.try_wait()? {
                bail!(
                    "{}'s gliad exited ({st}) before listening; see {}",
                    self.name,
                    self.home.join("gliad.log").display()
                );
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!("{}'s gliad did not open port {} in 60 s", self.name, p.abci);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut c = Command::new(&self.cometbft);
        c.arg("start").arg("--home").arg(&self.home);
        self.spawn("cometbft", "cometbft.log", &mut c)
    }

    /// Waits until the node has caught up with `net`'s node 0.
    pub fn wait_caught_up(&mut self, net: &Network, timeout: Duration) -> Result<u64> {
        let start = Instant::now();
        let rpc = self.rpc();
        loop {
            let target = net.node(0).height()?;
            if let Ok(s) = rpc.call("status", serde_json::json!({})) {
                let h: u64 = s["sync_info"]["latest_block_height"]
                    .as_str()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                if s["sync_info"]["catching_up"] == false && h + 1 >= target && h > 0 {
                    return Ok(h);
                }
            }
            for p in &mut self.procs {
                if let Some(st) = p.child.try_wait()? {
                    bail!("{} exited ({st}); see {}", p.name, self.home.display());
                }
            }
            if start.elapsed() > timeout {
                bail!(
                    "{} did not catch up with node 0 (height {target}) within {timeout:?}; see {}/cometbft.log",
                    self.name,
                    self.home.display()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Stops CometBFT first, then gliad (SIGTERM to each process group, SIGKILL after 10 s),
    /// and takes them out of the run dir's `pids`. The home is kept (restart with `start`).
    pub fn stop(&mut self) -> Result<()> {
        let mut procs = std::mem::take(&mut self.procs);
        procs.sort_by_key(|p| !p.name.starts_with("cometbft"));
        for p in &mut procs {
            let pid = p.child.id().to_string();
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            while p.child.try_wait()?.is_none() {
                if start.elapsed() > Duration::from_secs(10) {
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{pid}")])
                        .stderr(Stdio::null())
                        .status();
                    p.child.wait()?;
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let path = self.run_dir.join("pids");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let ours: Vec<String> = procs
                .iter()
                .map(|p| format!("{} {}", p.name, p.child.id()))
                .collect();
            let kept: String = text
                .lines()
                .filter(|l| !ours.iter().any(|o| o == l.trim()))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&path, kept)?;
        }
        // The ports are free again once the processes are gone.
        for port in [self.ports.rpc, self.ports.p2p, self.ports.abci] {
            let start = Instant::now();
            while port_open(port) && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    pub fn running(&self) -> bool {
        !self.procs.is_empty()
    }
}

impl Drop for ExtraNode {
    /// Stops the processes; the home stays for its logs, less the copy of gliad.
    fn drop(&mut self) {
        if self.running() {
            if let Err(e) = self.stop() {
                eprintln!("stopping {}: {e:#}", self.name);
            }
        }
        let _ = std::fs::remove_file(&self.gliad);
    }
}
