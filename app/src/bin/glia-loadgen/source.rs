//! What each sender offers: signed bank sends with consecutive sequences (gliad, simd), or
//! kvstore `key=value` txs padded to the same size (for comparison).

use crate::{rpc_call, Net};
use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_client::keys::Key;
use glia_client::rpc::Rpc;
use glia_client::tx::{any, sign_tx, TxParams};
use glia_modules::coins::{Coin, GasPrice};
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
use glia_proto::cosmos::Any;
use serde_json::json;
use std::collections::VecDeque;

/// One sender's tx source: signed sends with consecutive sequences, or kvstore `key=value`.
pub enum Source {
    Bank {
        key: Box<Key>,
        params: TxParams,
        /// The sender's address under the chain's prefix, the sink's, and the denom sent.
        from: String,
        to: String,
        denom: String,
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
    /// Sender `i`'s signed sends, from dev account `i` through `url` to a sink of its own.
    pub fn bank(
        net: &Net,
        agent: &ureq::Agent,
        url: &str,
        i: usize,
        price: Option<&GasPrice>,
    ) -> Result<Source> {
        let key = Key::from_mnemonic(&net.accounts[i].mnemonic)?;
        let from = bech32(&net.bech32_prefix, key.address.as_bytes())?;
        let (account_number, sequence) = account_numbers(agent, url, &from)?;
        let to = bech32(
            &net.bech32_prefix,
            Key::from_seed(format!("loadgen sink {i}").as_bytes())
                .address
                .as_bytes(),
        )?;
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
        let sample = send(&from, &to, &net.denom);
        params.gas_limit = Rpc::new(url).simulate_gas(&key, &[sample], &params)?;
        let price = price.context("a gas price for the chain")?;
        params.fee = vec![Coin::new(&price.denom, price.fee_for(params.gas_limit))];
        Ok(Source::Bank {
            key: Box::new(key),
            params,
            from,
            to,
            denom: net.denom.clone(),
            ready: VecDeque::new(),
        })
    }

    /// Sender `i`'s kvstore txs; a signed send is ~250 bytes, so they are padded to that.
    pub fn kv(i: usize) -> Source {
        Source::Kv {
            id: i,
            n: 0,
            pad: "v".repeat(230),
        }
    }

    pub fn next(&mut self) -> Vec<u8> {
        match self {
            Source::Bank {
                key,
                params,
                from,
                to,
                denom,
                ready,
            } => {
                // After a resync the sequence may have moved: skip what no longer fits.
                while ready.front().is_some_and(|(seq, _)| *seq < params.sequence) {
                    ready.pop_front();
                }
                let tx = match ready.front() {
                    Some((seq, _)) if *seq == params.sequence => ready.pop_front().unwrap().1,
                    _ => sign_send(key, from, to, denom, params),
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
    pub fn presign(&mut self, n: u64) {
        if let Source::Bank {
            key,
            params,
            from,
            to,
            denom,
            ready,
        } = self
        {
            let mut p = params.clone();
            for _ in 0..n {
                ready.push_back((p.sequence, sign_send(key, from, to, denom, &p)));
                p.sequence += 1;
            }
        }
    }

    /// After a refusal: resynchronise the sequence from the chain.
    pub fn resync(&mut self, agent: &ureq::Agent, url: &str) -> Result<()> {
        if let Source::Bank { params, from, .. } = self {
            let (num, seq) = account_numbers(agent, url, from)?;
            params.account_number = num;
            params.sequence = seq;
        }
        Ok(())
    }
}

/// A send of 1 `denom` (the signer is the key, whatever the prefix its address is spelt in).
fn send(from: &str, to: &str, denom: &str) -> Any {
    any(&MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![Coin::new(denom, 1).to_proto()],
    })
}

fn sign_send(key: &Key, from: &str, to: &str, denom: &str, params: &TxParams) -> Vec<u8> {
    sign_tx(key, vec![send(from, to, denom)], params)
}

/// `bytes` as a bech32 address under `prefix`.
fn bech32(prefix: &str, bytes: &[u8]) -> Result<String> {
    let hrp = bech32::Hrp::parse(prefix).with_context(|| format!("bech32 prefix {prefix}"))?;
    Ok(bech32::encode::<bech32::Bech32>(hrp, bytes)?)
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
