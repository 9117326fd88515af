//! A CometBFT JSON-RPC client: status, ABCI queries, broadcasts and tx lookups, and sending
//! with gas from Simulate and the node's minimum gas price. The CLI, the load generator, the
//! services and the end-to-end tests all use it.

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use glia_proto::cosmos::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use prost::Message;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Gas asked beyond what Simulate measured, in percent (cosmjs's "auto" asks 140).
pub const GAS_ADJUSTMENT_PERCENT: u64 = 140;

/// Result of an ABCI query.
#[derive(Clone, Debug)]
pub struct QueryResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub value: Vec<u8>,
    pub height: u64,
}

/// Result of `broadcast_tx_sync` (CheckTx).
#[derive(Clone, Debug)]
pub struct Broadcast {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub hash: String,
}

/// A CometBFT JSON-RPC endpoint.
#[derive(Clone, Debug)]
pub struct Rpc {
    pub url: String,
    agent: ureq::Agent,
}

fn num(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

impl Rpc {
    pub fn new(url: &str) -> Rpc {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(20))
            .build();
        Rpc {
            url: url.trim_end_matches('/').to_string(),
            agent,
        }
    }

    pub fn call(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp: Value = match self.agent.post(&self.url).send_json(body) {
            Ok(r) => r.into_json()?,
            Err(ureq::Error::Transport(t)) => bail!(
                "cannot reach the node's RPC at {} ({t}): is the network running? \
                 localnet/up.sh starts the local one; --node URL picks another node",
                self.url
            ),
            Err(e) => return Err(e).with_context(|| format!("{method} on {}", self.url)),
        };
        if let Some(e) = resp.get("error") {
            bail!("{method} on {}: {e}", self.url);
        }
        Ok(resp["result"].clone())
    }

    pub fn height(&self) -> Result<u64> {
        Ok(num(
            &self.call("status", json!({}))?["sync_info"]["latest_block_height"]
        ))
    }

    /// Waits until the node's height reaches `h`.
    pub fn wait_height(&self, h: u64, timeout: Duration) -> Result<u64> {
        let start = Instant::now();
        loop {
            if let Ok(now) = self.height() {
                if now >= h {
                    return Ok(now);
                }
            }
            if start.elapsed() > timeout {
                bail!("{} did not reach height {h} within {timeout:?}", self.url);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn abci_query(&self, path: &str, data: &[u8], height: u64) -> Result<QueryResult> {
        let r = self.call(
            "abci_query",
            json!({"path": path, "data": hex::encode(data), "height": height.to_string(), "prove": false}),
        )?;
        let r = &r["response"];
        Ok(QueryResult {
            code: num(&r["code"]) as u32,
            codespace: r["codespace"].as_str().unwrap_or_default().into(),
            log: r["log"].as_str().unwrap_or_default().into(),
            value: B64.decode(r["value"].as_str().unwrap_or_default())?,
            height: num(&r["height"]),
        })
    }

    /// A module query that must succeed, decoded.
    pub fn query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp> {
        let r = self.abci_query(path, &req.encode_to_vec(), 0)?;
        if r.code != 0 {
            bail!("{path}: code {} ({}): {}", r.code, r.codespace, r.log);
        }
        Ok(Resp::decode(r.value.as_slice())?)
    }

    /// Gas `msgs` need when `key` sends them at `p`'s account and sequence: what Simulate
    /// measures, times [`GAS_ADJUSTMENT_PERCENT`] (the fee and gas limit of `p` are ignored).
    pub fn simulate_gas(
        &self,
        key: &crate::keys::Key,
        msgs: &[glia_proto::cosmos::Any],
        p: &crate::tx::TxParams,
    ) -> Result<u64> {
        Ok(self
            .simulate_gas_used(key, msgs, p)?
            .saturating_mul(GAS_ADJUSTMENT_PERCENT)
            / 100)
    }

    /// What Simulate measures for `msgs` from `key` at `p`'s account and sequence.
    pub fn simulate_gas_used(
        &self,
        key: &crate::keys::Key,
        msgs: &[glia_proto::cosmos::Any],
        p: &crate::tx::TxParams,
    ) -> Result<u64> {
        use glia_proto::cosmos::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
        let probe = crate::tx::TxParams {
            fee: vec![],
            gas_limit: 0,
            ..p.clone()
        };
        let sim: SimulateResponse = self.query(
            "/cosmos.tx.v1beta1.Service/Simulate",
            &SimulateRequest {
                tx_bytes: crate::tx::sign_tx(key, msgs.to_vec(), &probe),
                ..Default::default()
            },
        )?;
        Ok(sim.gas_info.context("simulation gave no gas")?.gas_used)
    }

    /// The node's minimum gas price (`cosmos.base.node.v1beta1.Service/Config`): what its
    /// mempool asks, never less than the chain's own minimum.
    pub fn min_gas_price(&self) -> Result<glia_modules::coins::GasPrice> {
        use glia_proto::cosmos::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
        let c: ConfigResponse = self.query(
            "/cosmos.base.node.v1beta1.Service/Config",
            &ConfigRequest {},
        )?;
        glia_modules::coins::GasPrice::parse(&c.minimum_gas_price)
            .map_err(anyhow::Error::msg)
            .with_context(|| {
                format!(
                    "the node's minimum gas price {:?} does not parse",
                    c.minimum_gas_price
                )
            })
    }

    pub fn account(&self, address: &str) -> Result<Option<BaseAccount>> {
        let req = QueryAccountRequest {
            address: address.into(),
        };
        let r = self.abci_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &req.encode_to_vec(),
            0,
        )?;
        if r.code != 0 {
            if r.log.contains("rpc error: code = NotFound") {
                return Ok(None);
            }
            bail!("account query: {}", r.log);
        }
        let any = QueryAccountResponse::decode(r.value.as_slice())?
            .account
            .context("no account")?;
        Ok(Some(BaseAccount::decode(any.value.as_slice())?))
    }

    pub fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let req = QueryBalanceRequest {
            address: address.into(),
            denom: denom.into(),
        };
        let r: QueryBalanceResponse = self.query("/cosmos.bank.v1beta1.Query/Balance", &req)?;
        Ok(r.balance.context("no coin")?.amount.parse()?)
    }

    pub fn broadcast(&self, tx: &[u8]) -> Result<Broadcast> {
        let r = self.call("broadcast_tx_sync", json!({"tx": B64.encode(tx)}))?;
        Ok(Broadcast {
            code: num(&r["code"]) as u32,
            codespace: r["codespace"].as_str().unwrap_or_default().into(),
            log: r["log"].as_str().unwrap_or_default().into(),
            hash: r["hash"].as_str().unwrap_or_default().into(),
        })
    }

    /// Waits for a tx to be committed and returns `/tx`'s result (height, tx_result).
    pub fn wait_tx(&self, hash_hex: &str, timeout: Duration) -> Result<Value> {
        let start = Instant::now();
        let hash = B64.encode(hex::decode(hash_hex)?);
        loop {
            if let Ok(r) = self.call("tx", json!({"hash": hash})) {
                return Ok(r);
            }
            if start.elapsed() > timeout {
                bail!("tx {hash_hex} not committed within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// App hash in the header of block `h` (the state after block h-1).
    pub fn header_app_hash(&self, h: u64) -> Result<String> {
        let r = self.call("header", json!({"height": h.to_string()}))?;
        Ok(r["header"]["app_hash"]
            .as_str()
            .context("no app_hash")?
            .to_string())
    }
}

/// Sends a signed tx and waits for its block; fails unless CheckTx admitted it.
pub fn deliver(rpc: &Rpc, tx: &[u8]) -> Result<Value> {
    let b = rpc.broadcast(tx)?;
    if b.code != 0 {
        bail!(
            "CheckTx rejected the tx: code {} ({}): {}",
            b.code,
            b.codespace,
            b.log
        );
    }
    rpc.wait_tx(&b.hash, Duration::from_secs(30))
}

/// Attribute value of the first event of `kind` with `key` in a `/tx` result.
pub fn event_attr(tx: &Value, kind: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in tx["tx_result"]["events"].as_array().into_iter().flatten() {
        if e["type"] == kind {
            for a in e["attributes"].as_array().into_iter().flatten() {
                if a["key"] == key {
                    out.push(a["value"].as_str().unwrap_or_default().to_string());
                }
            }
        }
    }
    out
}

/// Signs `msgs` from `key` with gas from a simulation (× 1.4, as cosmjs' "auto"), broadcasts,
/// waits for the block and fails unless the tx succeeded. Returns the tx hash, the `/tx`
/// result and the fee paid.
pub fn send_auto(
    rpc: &Rpc,
    key: &crate::keys::Key,
    msgs: Vec<glia_proto::cosmos::Any>,
    gas_price: &glia_modules::coins::GasPrice,
) -> Result<(String, Value, glia_modules::coins::Coin)> {
    send_with(rpc, key, msgs, gas_price, &TxOptions::default())
}

/// How much gas a tx asks: a simulation's measure times an adjustment, or a fixed limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gas {
    /// Simulated gas × `percent` / 100.
    Auto {
        percent: u64,
    },
    Limit(u64),
}

/// What a CLI user sets of a tx beyond its messages.
#[derive(Clone, Debug)]
pub struct TxOptions {
    pub gas: Gas,
    /// The chain the signer means; refused if the node serves another.
    pub chain_id: Option<String>,
    pub memo: String,
}

impl Default for TxOptions {
    fn default() -> Self {
        TxOptions {
            gas: Gas::Auto {
                percent: GAS_ADJUSTMENT_PERCENT,
            },
            chain_id: None,
            memo: String::new(),
        }
    }
}

/// [`send_auto`] with the gas, chain and memo of `opts`.
pub fn send_with(
    rpc: &Rpc,
    key: &crate::keys::Key,
    msgs: Vec<glia_proto::cosmos::Any>,
    gas_price: &glia_modules::coins::GasPrice,
    opts: &TxOptions,
) -> Result<(String, Value, glia_modules::coins::Coin)> {
    use crate::tx::{sign_tx, TxParams};
    let chain_id = rpc.call("status", json!({}))?["node_info"]["network"]
        .as_str()
        .context("status has no network")?
        .to_string();
    if let Some(want) = &opts.chain_id {
        if want != &chain_id {
            bail!(
                "--chain-id {want}, but {} serves {chain_id}: nothing was sent (check --node)",
                rpc.url
            );
        }
    }
    let acc = rpc.account(&key.address.to_bech32())?.with_context(|| {
        format!(
            "account {} does not exist on chain (fund it first)",
            key.address
        )
    })?;
    let mut params = TxParams {
        chain_id,
        account_number: acc.account_number,
        sequence: acc.sequence,
        fee: vec![],
        gas_limit: 0,
        memo: opts.memo.clone(),
    };
    let gas = match opts.gas {
        Gas::Limit(g) => g,
        Gas::Auto { percent } => {
            rpc.simulate_gas_used(key, &msgs, &params)?
                .saturating_mul(percent)
                / 100
        }
    };
    let fee = glia_modules::coins::Coin::new(&gas_price.denom, gas_price.fee_for(gas));
    params.gas_limit = gas;
    params.fee = vec![fee.clone()];
    let b = rpc.broadcast(&sign_tx(key, msgs, &params))?;
    if b.code != 0 {
        bail!("rejected: code {} ({}): {}", b.code, b.codespace, b.log);
    }
    let r = rpc.wait_tx(&b.hash, Duration::from_secs(60))?;
    if r["tx_result"]["code"].as_u64().unwrap_or(0) != 0 {
        bail!(
            "tx {} failed: code {} ({}): {}",
            b.hash,
            r["tx_result"]["code"],
            r["tx_result"]["codespace"],
            r["tx_result"]["log"]
        );
    }
    Ok((b.hash, r, fee))
}

/// The first message response of a delivered tx, decoded as `T`.
pub fn msg_response<T: Message + Default>(tx: &Value) -> Result<T> {
    use glia_proto::cosmos::cosmos::base::abci::v1beta1::TxMsgData;
    let data = B64.decode(tx["tx_result"]["data"].as_str().unwrap_or_default())?;
    let first = TxMsgData::decode(data.as_slice())?
        .msg_responses
        .into_iter()
        .next()
        .context("the tx returned no message response")?;
    Ok(T::decode(first.value.as_slice())?)
}

/// Polls `step` every 500 ms until it yields a value, showing its progress line on stderr (a
/// spinner and the elapsed time on a terminal); fails with `too_long` once `limit` has passed.
pub fn poll_with_progress<T>(
    limit: Duration,
    too_long: impl Fn() -> String,
    mut step: impl FnMut() -> Result<(String, Option<T>)>,
) -> Result<T> {
    use std::io::{IsTerminal, Write};
    // On a terminal one line redrawn in place, with a spinner and the time so far; in a log or
    // a pipe, a line each time the state changes.
    const SPIN: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut last = String::new();
    let mut tick = 0usize;
    loop {
        let (line, done) = step()?;
        let secs = start.elapsed().as_secs();
        if tty {
            let mark = if done.is_some() {
                '✓'
            } else {
                SPIN[tick % SPIN.len()]
            };
            eprint!("\r\x1b[2K{mark} {line} ({secs} s)");
            if done.is_some() {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        } else if line != last {
            eprintln!("{line}");
        }
        last = line;
        if let Some(v) = done {
            return Ok(v);
        }
        if start.elapsed() >= limit {
            if tty {
                eprintln!();
            }
            bail!("{}", too_long());
        }
        tick = tick.wrapping_add(1);
        std::thread::sleep(Duration::from_millis(500));
    }
}
