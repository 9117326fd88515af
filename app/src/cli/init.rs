//! `gliad init MONIKER --home H`: a node home for gliad and CometBFT, ready to join a network.
//!
//! CometBFT owns its keys and `config.toml`, so `cometbft init` writes them (its defaults,
//! current for the pinned version); this command then puts the network's genesis in place
//! (from a file or a node's RPC), names the node, points it at its peers, creates gliad's own
//! directory (`H/glia`) and prints the two commands that start the node.

use anyhow::{bail, Context, Result};
use glia_client::rpc::Rpc;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Debug, clap::Args)]
pub struct InitArgs {
    /// The node's name (CometBFT's `moniker`; also the default for create-validator).
    pub moniker: String,
    /// The node's home: CometBFT's config/ and data/, and gliad's glia/.
    #[arg(long)]
    pub home: PathBuf,
    /// The network's genesis: a genesis.json file, or a node's RPC URL (`http://HOST:26657`)
    /// to fetch it from.
    #[arg(long)]
    pub genesis: String,
    /// Persistent peers, `ID@HOST:PORT,...`. Default: the node named by --genesis when it is
    /// an RPC URL (its node id and p2p port, at the URL's host).
    #[arg(long)]
    pub peers: Option<String>,
    /// Let several nodes share one IP address (a network on one machine, as the localnet):
    /// sets CometBFT's `allow_duplicate_ip` and clears `addr_book_strict`.
    #[arg(long)]
    pub allow_duplicate_ip: bool,
    /// The CometBFT binary (the pinned v0.38 release; `localnet/cometbft` runs the one
    /// `localnet/up.sh` installed).
    #[arg(long, default_value = "cometbft")]
    pub cometbft: PathBuf,
    /// Replace a home that already holds a genesis (its keys are kept).
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: InitArgs) -> Result<()> {
    let genesis_path = a.home.join("config/genesis.json");
    if genesis_path.exists() && !a.overwrite {
        bail!(
            "{} already holds a genesis; pass --overwrite to replace it (the node's keys are kept)",
            a.home.display()
        );
    }
    let genesis = genesis_text(&a.genesis)?;
    let chain_id = serde_json::from_str::<serde_json::Value>(&genesis)
        .ok()
        .and_then(|g| g["chain_id"].as_str().map(str::to_string))
        .context("the genesis has no chain_id: is it a CometBFT genesis file?")?;
    let out = Command::new(&a.cometbft)
        .args(["init", "--home"])
        .arg(&a.home)
        .output()
        .with_context(|| {
            format!(
                "running {} init: install CometBFT v0.38 (localnet/up.sh does) or pass --cometbft PATH",
                a.cometbft.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "{} init failed: {}",
            a.cometbft.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(&genesis_path, &genesis)
        .with_context(|| format!("writing {}", genesis_path.display()))?;
    let peers = match (&a.peers, a.genesis.starts_with("http")) {
        (Some(p), _) => p.clone(),
        (None, true) => peer_of(&a.genesis)?,
        (None, false) => String::new(),
    };
    let config = a.home.join("config/config.toml");
    let mut text = std::fs::read_to_string(&config)
        .with_context(|| format!("reading {}", config.display()))?;
    let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    text = set_key(&text, "moniker", &quoted(&a.moniker))?;
    text = set_key(&text, "persistent_peers", &quoted(&peers))?;
    if a.allow_duplicate_ip {
        text = set_key(&text, "allow_duplicate_ip", "true")?;
        text = set_key(&text, "addr_book_strict", "false")?;
    }
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    let glia = a.home.join("glia");
    std::fs::create_dir_all(&glia).with_context(|| format!("creating {}", glia.display()))?;
    let home = a.home.display();
    println!("initialised {home} for chain {chain_id} as {}", a.moniker);
    if peers.is_empty() {
        println!(
            "no peers: add some to {} (persistent_peers)",
            config.display()
        );
    } else {
        println!("peers: {peers}");
    }
    println!("start the node (two processes):");
    println!("  gliad start --home {home}/glia --rpc http://127.0.0.1:26657");
    println!("  {} start --home {home}", a.cometbft.display());
    println!(
        "then, once it has caught up, bond a stake: gliad tx staking create-validator \
         --validator-key {home}/config/priv_validator_key.json --amount AMOUNT \
         --moniker {} --from OPERATOR",
        a.moniker
    );
    Ok(())
}

/// The genesis document: read from a file, or fetched from a node's RPC `/genesis`.
fn genesis_text(src: &str) -> Result<String> {
    if src.starts_with("http://") || src.starts_with("https://") {
        let g = Rpc::new(src)
            .call("genesis", serde_json::json!({}))
            .with_context(|| format!("fetching the genesis from {src}"))?;
        let doc = g
            .get("genesis")
            .context("the node's /genesis has no genesis")?;
        return Ok(serde_json::to_string_pretty(doc)?);
    }
    std::fs::read_to_string(Path::new(src)).with_context(|| format!("reading {src}"))
}

/// `ID@HOST:PORT` of the node behind an RPC URL: its id and p2p port from `/status`, at the
/// URL's host (the node's own listen address is often 0.0.0.0).
fn peer_of(rpc_url: &str) -> Result<String> {
    let s = Rpc::new(rpc_url)
        .call("status", serde_json::json!({}))
        .with_context(|| format!("asking {rpc_url} for its node id"))?;
    let info = &s["node_info"];
    let id = info["id"].as_str().context("no node id in /status")?;
    let listen = info["listen_addr"].as_str().unwrap_or("");
    let port = listen
        .rsplit(':')
        .next()
        .filter(|p| !p.is_empty())
        .unwrap_or("26656");
    let host = rpc_url
        .split("://")
        .nth(1)
        .and_then(|r| r.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .with_context(|| format!("no host in {rpc_url}"))?;
    Ok(format!("{id}@{host}:{port}"))
}

/// `text` with the first `key = …` line (TOML, at the start of a line) set to `value`.
fn set_key(text: &str, key: &str, value: &str) -> Result<String> {
    let prefix = format!("{key} =");
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if !found && l.starts_with(&prefix) {
                found = true;
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    if !found {
        bail!("CometBFT's config.toml has no {key}: is this CometBFT v0.38?");
    }
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::set_key;

    #[test]
    fn set_key_replaces_the_first_line_of_the_key_only() {
        let t = "moniker = \"a\"\n[p2p]\npersistent_peers = \"\"\n# persistent_peers = x\n";
        let t = set_key(t, "persistent_peers", "\"id@h:1\"").unwrap();
        assert_eq!(
            t,
            "moniker = \"a\"\n[p2p]\npersistent_peers = \"id@h:1\"\n# persistent_peers = x\n"
        );
        assert!(set_key(&t, "no_such_key", "1").is_err());
    }
}
