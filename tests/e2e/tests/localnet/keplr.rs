//! Keplr against the localnet, with plain HTTP requests: the chain info gliad serves (and
//! up.sh writes to localnet/.run/keplr.json) passes Keplr's suggest-chain schema and its
//! connection checks (chainapsis/keplr-wallet `packages/chain-validator/src/{schema,
//! connection,feature}.ts`); the feature probes answer as an SDK chain's do (ibc-go and
//! ibc-transfer present, spendable balances by a 400, an unknown route 501); every REST path
//! Keplr's wallet, staking and IBC screens call answers with the fields it reads, with CORS;
//! and a send goes through Keplr's own sequence: simulate an unsigned tx (no key yet, a zero
//! signature), sign with the simulated gas at the chain info's low gas price, broadcast by
//! POST, from a new account each run that dev14 (this test's own account) funds.

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_client::tx::{any, TxParams};
use glia_e2e::Network;
use glia_modules::coins::Coin;
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
use glia_proto::cosmos::cosmos::tx::signing::v1beta1::SignMode;
use glia_proto::cosmos::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw,
};
use prost::Message;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

const ACCOUNT: &str = "dev14";

/// Keplr's `SupportedChainFeatures` (schema.ts accepts no other name).
const KEPLR_FEATURES: &[&str] = &[
    "stargate",
    "cosmwasm",
    "wasmd_0.24+",
    "secretwasm",
    "ibc-transfer",
    "no-legacy-stdTx",
    "ibc-go",
    "eth-address-gen",
    "eth-key-sign",
    "query:/cosmos/bank/v1beta1/spendable_balances",
    "axelar-evm-bridge",
    "osmosis-txfees",
    "terra-classic-fee",
    "ibc-go-v7-hot-fix",
    "ibc-pfm",
    "authz-msg-revoke-fixed",
    "osmosis-base-fee-beta",
    "feemarket",
    "evm-feemarket",
    "op-stack-l1-data-fee",
    "force-enable-evm-ledger",
    "ibc-v2",
    "evm-ledger-sign-plain-json",
    "initia-dynamicfee",
    "eth-secp256k1-initia",
    "eth-secp256k1-cosmos",
    "/cosmos.evm.types.v1.ExtensionOptionsWeb3Tx",
];

/// GET: (status, CORS origin header, JSON body or Null).
fn get(url: &str) -> Result<(u16, Option<String>, Value)> {
    let r = match ureq::get(url).timeout(Duration::from_secs(10)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e).with_context(|| format!("GET {url}")),
    };
    let (status, origin) = (
        r.status(),
        r.header("access-control-allow-origin").map(String::from),
    );
    let body = r.into_string()?;
    Ok((
        status,
        origin,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    ))
}

/// GET that must answer 200 with CORS open to every origin.
fn ok(url: &str) -> Result<Value> {
    let (status, origin, body) = get(url)?;
    anyhow::ensure!(status == 200, "GET {url}: {status} {body}");
    anyhow::ensure!(
        origin.as_deref() == Some("*"),
        "GET {url}: no CORS header ({origin:?})"
    );
    Ok(body)
}

/// Keplr's ChainIdHelper.parse: `{identifier}-{version}`, else version 0.
fn parse_chain_id(id: &str) -> (String, u64) {
    if let Some((ident, v)) = id.rsplit_once('-') {
        if !ident.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(v) = v.parse() {
                return (ident.to_string(), v);
            }
        }
    }
    (id.to_string(), 0)
}

/// The rules of Keplr's Joi `ChainInfoSchema` that a Cosmos chain's info meets or breaks.
fn schema_errors(c: &Value) -> Vec<String> {
    let mut e = Vec::new();
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    for url in ["rpc", "rest"] {
        let u = s(url);
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.contains('?') {
            e.push(format!("{url} must be a URI without '?': {u:?}"));
        }
    }
    let id = s("chainId");
    if id.is_empty() || id.len() > 50 {
        e.push(format!("chainId must have 1-50 characters: {id:?}"));
    }
    let (ident, version) = parse_chain_id(&id);
    if version != 0 && parse_chain_id(&ident).0 != ident {
        e.push(format!("chainId {id} nests {{identifier}}-{{version}}"));
    }
    let name = s("chainName");
    if name.is_empty() || name.chars().count() > 36 {
        e.push(format!("chainName must have 1-36 characters: {name:?}"));
    }
    if !c["bip44"]["coinType"].is_u64() {
        e.push("bip44.coinType must be an integer >= 0".into());
    }
    for k in [
        "bech32PrefixAccAddr",
        "bech32PrefixAccPub",
        "bech32PrefixValAddr",
        "bech32PrefixValPub",
        "bech32PrefixConsAddr",
        "bech32PrefixConsPub",
    ] {
        if c["bech32Config"][k].as_str().is_none_or(str::is_empty) {
            e.push(format!("bech32Config.{k} is required"));
        }
    }
    let currency_errors = |cur: &Value, what: &str, e: &mut Vec<String>| {
        for k in ["coinDenom", "coinMinimalDenom"] {
            if cur[k].as_str().is_none_or(str::is_empty) {
                e.push(format!("{what}.{k} is required"));
            }
        }
        if cur["coinDecimals"].as_u64().is_none_or(|d| d > 18) {
            e.push(format!("{what}.coinDecimals must be an integer of 0-18"));
        }
        if cur.get("type").is_some() {
            e.push(format!("{what}.type is forbidden for a native currency"));
        }
    };
    let currencies = c["currencies"].as_array().cloned().unwrap_or_default();
    if currencies.is_empty() {
        e.push("currencies must hold at least one currency".into());
    }
    for (i, cur) in currencies.iter().enumerate() {
        currency_errors(cur, &format!("currencies[{i}]"), &mut e);
    }
    let fees = c["feeCurrencies"].as_array().cloned().unwrap_or_default();
    if fees.is_empty() {
        e.push("feeCurrencies must hold at least one currency".into());
    }
    for (i, cur) in fees.iter().enumerate() {
        currency_errors(cur, &format!("feeCurrencies[{i}]"), &mut e);
        if let Some(step) = cur.get("gasPriceStep") {
            let (l, a, h) = (
                step["low"].as_f64(),
                step["average"].as_f64(),
                step["high"].as_f64(),
            );
            match (l, a, h) {
                (Some(l), Some(a), Some(h)) if l <= a && a <= h => {}
                _ => e.push(format!(
                    "feeCurrencies[{i}].gasPriceStep must be low <= average <= high: {step}"
                )),
            }
        }
    }
    let stake = &c["stakeCurrency"];
    if !stake.is_null() {
        currency_errors(stake, "stakeCurrency", &mut e);
        if !currencies
            .iter()
            .any(|x| x["coinMinimalDenom"] == stake["coinMinimalDenom"])
        {
            e.push("stakeCurrency must be one of the currencies".into());
        }
    }
    let features: Vec<&str> = c["features"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for f in &features {
        if !KEPLR_FEATURES.contains(f) {
            e.push(format!("feature {f:?} is not one Keplr knows"));
        }
    }
    let mut sorted = features.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != features.len() {
        e.push("features must be unique".into());
    }
    e
}

/// Keplr's websocket probe: `{rpc}/websocket` upgraded (101) at once.
fn websocket_opens(rpc: &str) -> Result<()> {
    let hostport = rpc.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport)?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    write!(
        s,
        "GET /websocket HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )?;
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf)?;
    let head = String::from_utf8_lossy(&buf[..n]);
    anyhow::ensure!(
        head.starts_with("HTTP/1.1 101"),
        "websocket refused: {head}"
    );
    Ok(())
}

/// What Keplr simulates (`packages/stores/src/account/cosmos.ts` `simulateTx`): the messages,
/// its account's sequence in amino-JSON sign mode, no key, no gas limit, a zero signature.
fn keplr_simulation_tx(msgs: Vec<glia_proto::cosmos::Any>, sequence: u64) -> Vec<u8> {
    let body = TxBody {
        messages: msgs,
        ..Default::default()
    };
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: None,
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::LegacyAminoJson as i32,
                })),
            }),
            sequence,
        }],
        fee: Some(Fee::default()),
        ..Default::default()
    };
    TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth.encode_to_vec(),
        signatures: vec![vec![0; 64]],
    }
    .encode_to_vec()
}

#[test]
fn keplr_chain_info_passes_its_validator_and_probes() -> Result<()> {
    let net = Network::load()?;
    let rest = &net.rest[0];
    let info = ok(&format!("{rest}/keplr.json"))?;
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(net.run_dir().join("keplr.json"))
            .context("localnet/.run/keplr.json")?,
    )?;
    assert_eq!(
        info, written,
        "up.sh's keplr.json differs from what gliad serves"
    );
    let errors = schema_errors(&info);
    assert!(
        errors.is_empty(),
        "Keplr's schema refuses the chain info: {errors:?}"
    );
    // The schema check can fail: a chain info with a broken rule is refused.
    let mut bad = info.clone();
    bad["feeCurrencies"][0]["gasPriceStep"]["low"] = json!(1.0);
    bad["stakeCurrency"]["coinMinimalDenom"] = json!("ustake");
    assert_eq!(schema_errors(&bad).len(), 2, "{:?}", schema_errors(&bad));

    assert_eq!(info["chainId"], net.chain_id);
    assert_eq!(info["rpc"], net.rpc[0].trim_end_matches('/'));
    assert_eq!(info["rest"], rest.trim_end_matches('/'));
    assert_eq!(info["currencies"][0]["coinMinimalDenom"], net.denom);
    // The low step is the price this node's mempool asks.
    let low = info["feeCurrencies"][0]["gasPriceStep"]["low"]
        .as_f64()
        .unwrap();
    let asked: f64 = net.gas_price.trim_end_matches(net.denom.as_str()).parse()?;
    assert!((low - asked).abs() < 1e-12, "low {low} vs {asked}");

    // Connection checks (connection.ts): RPC status and websocket, REST node info.
    let rpc = info["rpc"].as_str().unwrap();
    // (CometBFT's RPC sets its CORS header only on a request with an Origin.)
    let (code, _, status) = get(&format!("{rpc}/status"))?;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["result"]["node_info"]["network"], net.chain_id);
    websocket_opens(rpc)?;
    let node = ok(&format!("{rest}/cosmos/base/tendermint/v1beta1/node_info"))?;
    assert_eq!(node["default_node_info"]["network"], net.chain_id);

    // Feature probes (feature.ts), each as an SDK chain answers them.
    let t = ok(&format!("{rest}/ibc/apps/transfer/v1/params"))?;
    assert_eq!(
        (
            t["params"]["send_enabled"].as_bool(),
            t["params"]["receive_enabled"].as_bool()
        ),
        (Some(true), Some(true)),
        "ibc-transfer: {t}"
    );
    let (code, origin, body) = get(&format!(
        "{rest}/cosmos/bank/v1beta1/spendable_balances/test"
    ))?;
    assert_eq!(
        (code, origin.as_deref()),
        (400, Some("*")),
        "spendable_balances probe: {body}"
    );
    for missing in [
        "/cosmwasm/wasm/v1/contract/test/smart/test",
        "/feemarket/v1/params",
        "/no/such/route",
    ] {
        let (code, origin, body) = get(&format!("{rest}{missing}"))?;
        assert_eq!(
            (code, origin.as_deref()),
            (501, Some("*")),
            "{missing}: {body}"
        );
        assert_eq!(body["code"], 12, "{missing}: {body}");
    }
    Ok(())
}

#[test]
fn keplr_screens_read_their_rest_paths_and_send() -> Result<()> {
    let net = Network::load()?;
    let rest = &net.rest[0];
    let rpc = net.node(0);
    let w = net.wallet(ACCOUNT)?;
    let addr = w.address();

    // Wallet screen: account, balances (Keplr adds pagination.limit=1000), spendable, supply.
    let acc = ok(&format!("{rest}/cosmos/auth/v1beta1/accounts/{addr}"))?;
    assert_eq!(acc["account"]["address"], addr.as_str());
    for k in ["sequence", "account_number"] {
        assert!(acc["account"][k].as_str().is_some(), "{k}: {acc}");
    }
    let bal = ok(&format!(
        "{rest}/cosmos/bank/v1beta1/balances/{addr}?pagination.limit=1000"
    ))?;
    assert!(bal["balances"][0]["amount"].as_str().is_some(), "{bal}");
    assert_eq!(bal["balances"][0]["denom"], net.denom);
    let sp = ok(&format!(
        "{rest}/cosmos/bank/v1beta1/spendable_balances/{addr}"
    ))?;
    assert_eq!(sp["balances"], bal["balances"]);
    let supply = ok(&format!(
        "{rest}/cosmos/bank/v1beta1/supply/by_denom?denom={}",
        net.denom
    ))?;
    assert!(supply["amount"]["amount"].as_str().is_some(), "{supply}");

    // Staking screens: validators by status, delegations, unbondings, pool, params.
    let bonded = ok(&format!(
        "{rest}/cosmos/staking/v1beta1/validators?pagination.limit=1000&status=BOND_STATUS_BONDED"
    ))?;
    let vals = bonded["validators"].as_array().context("validators")?;
    assert!(vals.len() >= 4, "{bonded}");
    for v in vals {
        assert!(
            v["operator_address"]
                .as_str()
                .is_some_and(|a| a.starts_with("gliavaloper")),
            "{v}"
        );
        assert!(
            v["tokens"].as_str().is_some() && v["description"]["moniker"].is_string(),
            "{v}"
        );
    }
    for status in ["BOND_STATUS_UNBONDING", "BOND_STATUS_UNBONDED"] {
        let r = ok(&format!(
            "{rest}/cosmos/staking/v1beta1/validators?pagination.limit=1000&status={status}"
        ))?;
        assert!(r["validators"].is_array(), "{status}: {r}");
    }
    let d = ok(&format!(
        "{rest}/cosmos/staking/v1beta1/delegations/{addr}?pagination.limit=1000"
    ))?;
    assert!(d["delegation_responses"].is_array(), "{d}");
    let u = ok(&format!(
        "{rest}/cosmos/staking/v1beta1/delegators/{addr}/unbonding_delegations?pagination.limit=1000"
    ))?;
    assert!(u["unbonding_responses"].is_array(), "{u}");
    let pool = ok(&format!("{rest}/cosmos/staking/v1beta1/pool"))?;
    assert!(pool["pool"]["bonded_tokens"].as_str().is_some(), "{pool}");
    let sp = ok(&format!("{rest}/cosmos/staking/v1beta1/params"))?;
    assert!(
        sp["params"]["unbonding_time"]
            .as_str()
            .is_some_and(|t| t.ends_with('s')),
        "{sp}"
    );
    assert_eq!(sp["params"]["bond_denom"], net.denom);
    // Rewards: `total` must be an array (Keplr maps over it).
    let rw = ok(&format!(
        "{rest}/cosmos/distribution/v1beta1/delegators/{addr}/rewards"
    ))?;
    assert!(rw["total"].is_array() && rw["rewards"].is_array(), "{rw}");
    let dp = ok(&format!("{rest}/cosmos/distribution/v1beta1/params"))?;
    assert!(dp["params"]["community_tax"].as_str().is_some(), "{dp}");
    // APR inputs wallets have read (mint, pool, supply), slashing, IBC denom traces.
    for path in [
        "/cosmos/mint/v1beta1/inflation",
        "/cosmos/mint/v1beta1/annual_provisions",
        "/cosmos/slashing/v1beta1/params",
        "/cosmos/slashing/v1beta1/signing_infos",
        "/ibc/apps/transfer/v1/denom_traces",
        "/cosmos/bank/v1beta1/params",
    ] {
        ok(&format!("{rest}{path}"))?;
    }

    // A dApp page on another origin: the browser's preflight is answered.
    let pre = ureq::request("OPTIONS", &format!("{rest}/cosmos/tx/v1beta1/simulate"))
        .set("Origin", "https://dapp.example")
        .set("Access-Control-Request-Method", "POST")
        .set("Access-Control-Request-Headers", "content-type")
        .call()?;
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert!(pre
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));

    // Keplr's send from a new account (funded by dev14, never signed): simulate without a key,
    // then sign with the simulated gas × 1.3 (Keplr's adjustment) at the low gas price and
    // broadcast by POST.
    let fresh =
        glia_client::keys::Key::from_seed(format!("keplr fresh {}", rpc.height()?).as_bytes());
    let fresh_addr = fresh.address.to_bech32();
    let mut p = w.params(&net, &rpc)?;
    p.memo = "fund a new Keplr account".into();
    let fund = any(&MsgSend {
        from_address: addr.clone(),
        to_address: fresh_addr.clone(),
        amount: vec![Coin::new(&net.denom, 1_000_000).to_proto()],
    });
    let r = glia_client::rpc::deliver(&rpc, &w.sign(vec![fund], &p))?;
    assert_eq!(r["tx_result"]["code"], 0, "{r}");
    rpc.wait_height(rpc.height()? + 1, Duration::from_secs(20))?;
    let acc = ok(&format!("{rest}/cosmos/auth/v1beta1/accounts/{fresh_addr}"))?;
    assert!(acc["account"]["pub_key"].is_null(), "{acc}");
    let account_number: u64 = acc["account"]["account_number"]
        .as_str()
        .context("number")?
        .parse()?;
    let sink = glia_client::keys::Key::from_seed(b"keplr sink")
        .address
        .to_bech32();
    let send = any(&MsgSend {
        from_address: fresh_addr.clone(),
        to_address: sink,
        amount: vec![Coin::new(&net.denom, 777).to_proto()],
    });
    let sim: Value = ureq::post(&format!("{rest}/cosmos/tx/v1beta1/simulate"))
        .send_json(json!({"tx_bytes": B64.encode(keplr_simulation_tx(vec![send.clone()], 0))}))?
        .into_json()?;
    let gas_used: u64 = sim["gas_info"]["gas_used"]
        .as_str()
        .context("gas_used")?
        .parse()?;
    assert!(gas_used > 10_000, "{sim}");
    // A bad body is a 400 that says what is wrong, not a crash.
    match ureq::post(&format!("{rest}/cosmos/tx/v1beta1/simulate"))
        .send_json(json!({"tx_bytes": "%%"}))
    {
        Err(ureq::Error::Status(400, r)) => assert!(r.into_string()?.contains("base64")),
        other => bail!("a bad tx_bytes must be a 400, got {other:?}"),
    }
    let info = ok(&format!("{rest}/keplr.json"))?;
    let low = info["feeCurrencies"][0]["gasPriceStep"]["low"]
        .as_f64()
        .unwrap();
    let gas_limit = gas_used * 13 / 10;
    let fee = (gas_limit as f64 * low).ceil() as u128;
    let p = TxParams {
        chain_id: info["chainId"].as_str().unwrap().into(),
        account_number,
        sequence: 0,
        fee: vec![Coin::new(&net.denom, fee)],
        gas_limit,
        memo: "keplr".into(),
    };
    let tx = glia_client::tx::sign_tx(&fresh, vec![send], &p);
    let r: Value = ureq::post(&format!("{rest}/cosmos/tx/v1beta1/txs"))
        .send_json(json!({"tx_bytes": B64.encode(&tx), "mode": "BROADCAST_MODE_SYNC"}))?
        .into_json()?;
    assert_eq!(r["tx_response"]["code"], 0, "{r}");
    let res = rpc.wait_tx(
        r["tx_response"]["txhash"].as_str().unwrap(),
        Duration::from_secs(30),
    )?;
    assert_eq!(res["tx_result"]["code"], 0, "{res}");
    let used: u64 = res["tx_result"]["gas_used"]
        .as_str()
        .unwrap_or("0")
        .parse()?;
    assert!(
        used <= gas_limit,
        "the tx used {used} gas, over the simulated {gas_used} × 1.3"
    );
    let after = ok(&format!(
        "{rest}/cosmos/bank/v1beta1/balances/{fresh_addr}?pagination.limit=1000"
    ))?;
    let after: u128 = after["balances"][0]["amount"].as_str().unwrap().parse()?;
    assert_eq!(after, 1_000_000 - 777 - fee);
    Ok(())
}
