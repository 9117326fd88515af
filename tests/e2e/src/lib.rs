//! Helpers for end-to-end tests against a running Glia localnet: its connection profile, a
//! CometBFT JSON-RPC client, and wallets that sign as cosmjs does.

use anyhow::{anyhow, Context, Result};
use glia_client::keys::Key;
use glia_client::tx::{sign_tx, TxParams};
use glia_modules::coins::Coin;
use glia_proto::cosmos::Any;
use std::path::PathBuf;

pub mod grpc;
pub mod node;

pub use glia_client::rpc::{deliver, event_attr, Broadcast, QueryResult, Rpc};

/// The localnet's connection profile (`network.json`).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Network {
    pub chain_id: String,
    pub denom: String,
    pub rpc: Vec<String>,
    pub grpc: Vec<String>,
    pub rest: Vec<String>,
    pub gas_price: String,
    pub accounts: Vec<DevAccount>,
    /// Validator operators (operator0 runs node 0's executor, ...).
    #[serde(default)]
    pub operators: Vec<DevAccount>,
    pub homes: Vec<String>,
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct DevAccount {
    pub name: String,
    pub address: String,
    pub mnemonic: String,
}

/// The gliad binary the tests run as a user would: $GLIAD, else the workspace's dev build.
pub fn gliad_bin() -> PathBuf {
    std::env::var("GLIAD")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/gliad")
        })
}

impl Network {
    /// Reads `$GLIA_NETWORK` (default `localnet/.run/network.json`).
    pub fn load() -> Result<Network> {
        let path = std::env::var("GLIA_NETWORK")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../localnet/.run/network.json")
            });
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no connection profile at {} — start the localnet (tests/run.sh does)",
                path.display()
            )
        })?;
        let mut n: Network = serde_json::from_str(&text)?;
        n.path = path;
        Ok(n)
    }

    /// The directory that holds the network's homes, logs and pids.
    pub fn run_dir(&self) -> PathBuf {
        let dir = self.path.parent().expect("profile has a parent dir");
        // Canonical, as localnet/lib.sh marks its processes with the real path.
        dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
    }

    pub fn node(&self, i: usize) -> Rpc {
        Rpc::new(&self.rpc[i])
    }

    pub fn wallet(&self, name: &str) -> Result<Wallet> {
        let a = self
            .accounts
            .iter()
            .chain(&self.operators)
            .find(|a| a.name == name)
            .ok_or_else(|| anyhow!("no dev account {name}"))?;
        let key = Key::from_mnemonic(&a.mnemonic)?;
        anyhow::ensure!(
            key.address.to_bech32() == a.address,
            "mnemonic of {name} derives another address"
        );
        Ok(Wallet { key })
    }
}

/// A signing account.
#[derive(Clone)]
pub struct Wallet {
    pub key: Key,
}

impl Wallet {
    pub fn address(&self) -> String {
        self.key.address.to_bech32()
    }

    /// Account number and sequence as the chain has them now.
    pub fn numbers(&self, rpc: &Rpc) -> Result<(u64, u64)> {
        let acc = rpc
            .account(&self.address())?
            .context("account does not exist")?;
        Ok((acc.account_number, acc.sequence))
    }

    /// Default tx parameters for this account on `net`: 200k gas at the chain's price.
    pub fn params(&self, net: &Network, rpc: &Rpc) -> Result<TxParams> {
        // The last tx of this account may have been delivered through another node, which
        // commits a moment before this one: read the sequence once this node has caught up,
        // or CheckTx here sees the newer one (code 32).
        let top = net
            .rpc
            .iter()
            .filter_map(|u| Rpc::new(u).height().ok())
            .max()
            .unwrap_or(0);
        rpc.wait_height(top, std::time::Duration::from_secs(20))?;
        let (account_number, sequence) = self.numbers(rpc)?;
        Ok(TxParams {
            chain_id: net.chain_id.clone(),
            account_number,
            sequence,
            fee: vec![Coin::new(&net.denom, 5000)],
            gas_limit: 200_000,
            memo: String::new(),
        })
    }

    pub fn sign(&self, msgs: Vec<Any>, p: &TxParams) -> Vec<u8> {
        sign_tx(&self.key, msgs, p)
    }
}
