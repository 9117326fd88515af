//! The options every `gliad tx …` command shares: who signs (`--from` a key of the keyring by
//! name or address, else a localnet account of the connection profile; or `--mnemonic-file`),
//! which node (`--node`) and at what gas price. Defaults come from
//! the localnet's connection profile (`--network`, or `GLIA_NETWORK`, which `localnet/gliad`
//! sets), so the walkthroughs need no URLs or key files. Everything is resolved once, before
//! anything is sent: a mnemonic file is read exactly once, so `<(…)` process substitution works.

use anyhow::{bail, Context, Result};
use glia_client::keys::Key;
use glia_client::rpc::Rpc;
use glia_modules::coins::GasPrice;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// CometBFT RPC of a node on this machine (the localnet's node 0).
pub const DEFAULT_NODE: &str = "http://127.0.0.1:26657";

#[derive(Clone, Debug, clap::Args)]
pub struct SignerArgs {
    /// Sign as this key of the keyring (`gliad keys list`; name or address), else as this
    /// localnet account of the connection profile (`dev0`, …, `operator0`, …).
    #[arg(long, value_name = "NAME", conflicts_with = "mnemonic_file")]
    pub from: Option<String>,
    /// Sign with the account whose BIP-39 mnemonic is in this file (read once, so `<(…)`
    /// works).
    #[arg(long, value_name = "FILE")]
    pub mnemonic_file: Option<PathBuf>,
    /// CometBFT RPC URL of the node to send to [default: the profile's first node, else
    /// http://127.0.0.1:26657].
    #[arg(long, value_name = "URL")]
    pub node: Option<String>,
    /// Gas price offered, e.g. 0.025uglia [default: the profile's, else the node's minimum].
    #[arg(long, value_name = "PRICE")]
    pub gas_prices: Option<String>,
    /// Connection profile written by localnet/up.sh (`localnet/.run/network.json`); the
    /// source of `--from` accounts and of the defaults above.
    #[arg(long, value_name = "FILE", env = "GLIA_NETWORK")]
    pub network: Option<PathBuf>,
    /// The chain this tx is for; nothing is sent if the node serves another.
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Gas limit: auto (a simulation's measure × --gas-adjustment) or a number.
    #[arg(long, value_name = "GAS", default_value = "auto")]
    pub gas: String,
    /// What auto gas multiplies the simulated gas by.
    #[arg(long, value_name = "FACTOR", default_value = "1.4")]
    pub gas_adjustment: String,
    /// The tx's memo.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    /// Output format: text, or json (one object on standard output, for scripts; progress
    /// stays on standard error).
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: super::keys::Output,
    #[command(flatten)]
    pub keyring: super::keys::KeyringArgs,
}

/// `1.4` as 140 (percent, two decimals at most); at least 1.
fn adjustment_percent(s: &str) -> Result<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    let pct = if ok {
        format!("{int}{frac:0<2}").parse::<u64>().ok()
    } else {
        None
    };
    match pct {
        Some(p) if (100..=1000).contains(&p) => Ok(p),
        _ => bail!(
            "--gas-adjustment {s:?}: a factor from 1 to 10 with at most two decimals, e.g. 1.4"
        ),
    }
}

/// The part of `network.json` a client needs.
#[derive(Debug, Deserialize)]
struct Profile {
    rpc: Vec<String>,
    gas_price: String,
    #[serde(default)]
    accounts: Vec<ProfileAccount>,
    #[serde(default)]
    operators: Vec<ProfileAccount>,
}

#[derive(Debug, Deserialize)]
struct ProfileAccount {
    name: String,
    mnemonic: String,
}

fn read_profile(path: &Path) -> Result<Profile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the connection profile {}: {e}; start the network with localnet/up.sh \
             (it writes the profile), or pass --node and --mnemonic-file instead",
            path.display()
        )
    })?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a connection profile", path.display()))
}

fn parse_price(price: &str) -> Result<GasPrice> {
    GasPrice::parse(price)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("gas price {price:?}"))
}

/// A resolved signer: the key, the node, the gas price and the tx options.
pub struct Signer {
    pub key: Key,
    pub rpc: Rpc,
    pub gas_price: GasPrice,
    pub opts: glia_client::rpc::TxOptions,
    pub output: super::keys::Output,
}

/// A sent tx: its hash, CometBFT's `/tx` result and the fee paid.
pub type Sent = (String, serde_json::Value, glia_modules::coins::Coin);

impl Signer {
    /// Signs and sends `msgs`, then prints the result: `what` in text, or the tx's figures as
    /// JSON.
    pub fn send_and_print(&self, msgs: Vec<glia_proto::cosmos::Any>, what: &str) -> Result<()> {
        let sent = self.send(msgs)?;
        let text = format!(
            "{what} in block {} (tx {}, fee {})",
            sent.1["height"].as_str().unwrap_or("?"),
            sent.0,
            sent.2
        );
        self.report(&sent, &text, serde_json::json!({}));
        Ok(())
    }

    /// Prints a command's outcome: `text` in text mode; in JSON mode one object, the tx's
    /// figures (`txhash`, `height`, `code`, gas, `fee`) with `extra`'s fields added.
    pub fn report(&self, sent: &Sent, text: &str, extra: serde_json::Value) {
        match self.output {
            super::keys::Output::Text => println!("{text}"),
            super::keys::Output::Json => println!("{}", tx_json(sent, extra)),
        }
    }

    /// Signs and sends `msgs` with this signer's options; waits for the block. Returns the tx
    /// hash, the `/tx` result and the fee paid.
    pub fn send(
        &self,
        msgs: Vec<glia_proto::cosmos::Any>,
    ) -> Result<(String, serde_json::Value, glia_modules::coins::Coin)> {
        glia_client::rpc::send_with(&self.rpc, &self.key, msgs, &self.gas_price, &self.opts)
    }
}

impl SignerArgs {
    /// Reads the profile and the key (once each) and picks the node and gas price.
    pub fn resolve(&self) -> Result<Signer> {
        // The flags first: a mistake there costs no passphrase prompt.
        let gas = match self.gas.as_str() {
            "auto" => glia_client::rpc::Gas::Auto {
                percent: adjustment_percent(&self.gas_adjustment)?,
            },
            n => glia_client::rpc::Gas::Limit(
                n.parse()
                    .map_err(|_| anyhow::anyhow!("--gas {n:?}: auto or a number of gas units"))?,
            ),
        };
        let opts = glia_client::rpc::TxOptions {
            gas,
            chain_id: self.chain_id.clone(),
            memo: self.note.clone(),
        };
        // --from names a key of the keyring first.
        let keyring = match &self.from {
            Some(name) => {
                let k = self.keyring.open()?;
                k.has(name).then_some(k)
            }
            None => None,
        };
        // The profile is read only when something comes from it, so --node and --mnemonic-file
        // work where no localnet runs (localnet/gliad always names its profile).
        let needed = (self.from.is_some() && keyring.is_none()) || self.node.is_none();
        let profile = match &self.network {
            Some(path) if needed => Some(read_profile(path)?),
            _ => None,
        };
        let key = match (&self.from, &self.mnemonic_file) {
            (Some(name), _) if keyring.is_some() => {
                let k = keyring.as_ref().expect("checked");
                super::keys::load(k, name)
                    .with_context(|| format!("key {name} of {}", k.dir().display()))?
            }
            (Some(name), _) => {
                let Some(p) = &profile else {
                    bail!(
                        "--from {name}: no key {name} in the {} keyring ({}; `gliad keys add` \
                         makes one), and no connection profile to find a localnet account in: \
                         run this through localnet/gliad, or pass --network FILE (or set \
                         GLIA_NETWORK), or sign with --mnemonic-file FILE",
                        self.keyring.keyring_backend,
                        self.keyring
                            .open()
                            .map(|k| k.dir().display().to_string())
                            .unwrap_or_default()
                    );
                };
                let all = p.accounts.iter().chain(&p.operators);
                let Some(acc) = all.clone().find(|a| &a.name == name) else {
                    let names: Vec<&str> = all.map(|a| a.name.as_str()).collect();
                    bail!(
                        "no key {name:?} in the keyring and no account {name:?} in {}; it has: {}",
                        self.network.as_deref().unwrap_or(Path::new("?")).display(),
                        names.join(", ")
                    );
                };
                Key::from_mnemonic(acc.mnemonic.trim())
                    .with_context(|| format!("account {name} in the connection profile"))?
            }
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading the mnemonic file {}", file.display()))?;
                Key::from_mnemonic(text.trim())
                    .with_context(|| format!("the mnemonic in {}", file.display()))?
            }
            (None, None) => bail!(
                "who signs? pass --from NAME (a localnet account such as dev0) or \
                 --mnemonic-file FILE"
            ),
        };
        let node = match (&self.node, &profile) {
            (Some(n), _) => n.clone(),
            (None, Some(p)) => p
                .rpc
                .first()
                .cloned()
                .context("the connection profile lists no rpc URL")?,
            (None, None) => DEFAULT_NODE.to_string(),
        };
        let rpc = Rpc::new(&node);
        // --gas-prices, else the profile's, else what the node itself asks (never a constant:
        // a chain may raise its minimum).
        let gas_price = match (&self.gas_prices, &profile) {
            (Some(g), _) => parse_price(g)?,
            (None, Some(p)) => parse_price(&p.gas_price)?,
            (None, None) => rpc.min_gas_price().context(
                "asking the node for its minimum gas price (pass --gas-prices to name one)",
            )?,
        };
        Ok(Signer {
            key,
            rpc,
            gas_price,
            opts,
            output: self.output,
        })
    }
}

/// A sent tx's figures as JSON, with `extra`'s fields added.
pub fn tx_json(sent: &Sent, extra: serde_json::Value) -> serde_json::Value {
    let (hash, r, fee) = sent;
    let mut j = serde_json::json!({
        "txhash": hash, "height": r["height"], "code": r["tx_result"]["code"],
        "gas_wanted": r["tx_result"]["gas_wanted"], "gas_used": r["tx_result"]["gas_used"],
        "fee": fee.to_string(),
    });
    if let (Some(m), serde_json::Value::Object(e)) = (j.as_object_mut(), extra) {
        m.extend(e);
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use glia_client::keys::dev_mnemonic;

    fn args() -> SignerArgs {
        SignerArgs {
            from: None,
            mnemonic_file: None,
            node: None,
            gas_prices: None,
            network: None,
            chain_id: None,
            gas: "auto".into(),
            gas_adjustment: "1.4".into(),
            note: String::new(),
            output: super::super::keys::Output::Text,
            // An empty test keyring: --from falls through to the profile.
            keyring: super::super::keys::KeyringArgs {
                keyring_backend: "test".into(),
                home: Some(
                    std::env::temp_dir().join(format!("glia-signer-home-{}", std::process::id())),
                ),
            },
        }
    }

    fn profile(dir: &Path) -> PathBuf {
        let path = dir.join("network.json");
        let net = serde_json::json!({
            "rpc": ["http://127.0.0.1:36657"], "gas_price": "0.5uglia",
            "accounts": [{"name": "dev0", "address": "x", "mnemonic": dev_mnemonic(0)}],
            "operators": [{"name": "operator0", "address": "y", "mnemonic": dev_mnemonic(1000)}],
        });
        std::fs::write(&path, net.to_string()).unwrap();
        path
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("glia-signer-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn from_reads_the_profile_and_its_defaults() {
        let d = tmp("from");
        let mut a = args();
        a.from = Some("operator0".into());
        a.network = Some(profile(&d));
        let s = a.resolve().unwrap();
        let want = Key::from_mnemonic(&dev_mnemonic(1000)).unwrap();
        assert_eq!(s.key.address, want.address);
        assert_eq!(s.rpc.url, "http://127.0.0.1:36657");
        assert_eq!(s.gas_price, GasPrice::parse("0.5uglia").unwrap());
        // Explicit flags win over the profile.
        a.node = Some("http://127.0.0.1:1".into());
        a.gas_prices = Some("1uglia".into());
        let s = a.resolve().unwrap();
        assert_eq!(s.rpc.url, "http://127.0.0.1:1");
        assert_eq!(s.gas_price, GasPrice::parse("1uglia").unwrap());
    }

    #[test]
    fn errors_say_what_to_do() {
        let d = tmp("errors");
        let mut a = args();
        let e = a.resolve().err().unwrap().to_string();
        assert!(
            e.contains("--from NAME") && e.contains("--mnemonic-file"),
            "{e}"
        );
        a.from = Some("dev0".into());
        let e = a.resolve().err().unwrap().to_string();
        assert!(e.contains("localnet/gliad"), "{e}");
        a.network = Some(d.join("missing.json"));
        let e = a.resolve().err().unwrap().to_string();
        assert!(
            e.contains("localnet/up.sh") && e.contains("missing.json"),
            "{e}"
        );
        a.network = Some(profile(&d));
        a.from = Some("dev9".into());
        let e = a.resolve().err().unwrap().to_string();
        assert!(e.contains("dev0, operator0"), "{e}");
    }

    #[test]
    fn explicit_node_and_key_need_no_profile() {
        let d = tmp("explicit");
        let key = d.join("key");
        std::fs::write(&key, dev_mnemonic(3)).unwrap();
        let mut a = args();
        a.network = Some(d.join("no-network.json"));
        a.mnemonic_file = Some(key);
        // Without --node the profile is needed, and it is missing.
        let e = a.resolve().err().unwrap().to_string();
        assert!(e.contains("no-network.json") && e.contains("--node"), "{e}");
        a.node = Some("http://127.0.0.1:2".into());
        // No profile and no --gas-prices: the price is the node's own, and it cannot be asked.
        let e = a.resolve().err().unwrap().to_string();
        assert!(
            e.contains("minimum gas price") && e.contains("--gas-prices"),
            "{e}"
        );
        a.gas_prices = Some("0.05uglia".into());
        let s = a.resolve().unwrap();
        assert_eq!(s.rpc.url, "http://127.0.0.1:2");
        assert_eq!(s.gas_price, GasPrice::parse("0.05uglia").unwrap());
    }

    #[test]
    fn a_mnemonic_file_is_read_once() {
        // A FIFO can be read once, like bash's <(…): a second read would block or see nothing.
        let d = tmp("fifo");
        let fifo = d.join("mnemonic");
        let _ = std::fs::remove_file(&fifo);
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "mkfifo failed");
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, dev_mnemonic(2) + "\n").unwrap())
        };
        let mut a = args();
        a.mnemonic_file = Some(fifo);
        a.gas_prices = Some("0.025uglia".into());
        let s = a.resolve().unwrap();
        writer.join().unwrap();
        let want = Key::from_mnemonic(&dev_mnemonic(2)).unwrap();
        assert_eq!(s.key.address, want.address);
    }

    #[test]
    fn gas_flags_parse_or_say_what_they_take() {
        assert_eq!(adjustment_percent("1.4").unwrap(), 140);
        assert_eq!(adjustment_percent("2").unwrap(), 200);
        assert_eq!(adjustment_percent("1.25").unwrap(), 125);
        for bad in ["0.9", "1.255", "x", "", "11", "-1"] {
            assert!(adjustment_percent(bad).is_err(), "{bad}");
        }
        let mut a = args();
        a.mnemonic_file = Some("/nonexistent".into());
        a.gas = "lots".into();
        let e = a.resolve().err().unwrap().to_string();
        assert!(e.contains("--gas \"lots\""), "{e}");
    }
}
