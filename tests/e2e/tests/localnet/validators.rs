//! A fifth validator, started by the test beside the localnet's four, on real CometBFT:
//! it joins with MsgCreateValidator and signs blocks; bad staking txs are refused with the
//! SDK's codes; stopped for longer than the signed-blocks window it is jailed and slashed by
//! the downtime fraction, refused MsgUnjail while in jail time, then unjailed and signing
//! again; and a second process signing with a copy of its key gets it tombstoned and slashed
//! by the double-sign fraction through CometBFT's DuplicateVoteEvidence.
//!
//! Needs a network started with `--test-fixtures` (slashing's 20-block window and 20 s jail)
//! and `--accounts 18` or more (dev13 funds the new operator: each run uses a fresh operator
//! and consensus key, so the test runs again on the same network).

use anyhow::{bail, ensure, Context, Result};
use glia_client::keys::Key;
use glia_client::rpc::send_auto;
use glia_client::tx::{any, TxParams};
use glia_e2e::node::{ExtraNode, NodeOptions};
use glia_e2e::{Network, Rpc, Wallet};
use glia_modules::address::Address;
use glia_modules::coins::{Coin, GasPrice};
use glia_modules::decimal::Dec;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use glia_proto::cosmos::cosmos::slashing::v1beta1::{
    MsgUnjail, Params as SlashingParams, QueryParamsRequest, QueryParamsResponse,
    QuerySigningInfoRequest, QuerySigningInfoResponse, ValidatorSigningInfo,
};
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgCreateValidator, MsgDelegate, MsgEditValidator, MsgUndelegate,
    QueryValidatorRequest, QueryValidatorResponse, Validator,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const BONDED: i32 = 3;
const POWER_REDUCTION: u128 = 1_000_000;
/// 1,234.567891 GLIA: power 1234 against the genesis validators' 400,000.
const SELF_BOND: u128 = 1_234_567_891;
const MIN_SELF_DELEGATION: u128 = 1_000_000_000;

fn coin(amount: &str) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: "uglia".into(),
        amount: amount.into(),
    })
}

fn dec(s: &str) -> String {
    Dec::parse(s).expect("a decimal").to_proto()
}

fn pubkey_any(key: &[u8]) -> Any {
    Any {
        type_url: Ed25519PubKey::type_url(),
        value: Ed25519PubKey { key: key.to_vec() }.encode_to_vec(),
    }
}

#[allow(deprecated)] // delegator_address: left empty, as SDK 0.50 clients do
fn create_validator(
    operator: &Address,
    key: &[u8],
    rate: &str,
    max_rate: &str,
    min_self: u128,
    self_bond: u128,
) -> Any {
    any(&MsgCreateValidator {
        description: Some(Description {
            moniker: "e2e-val5".into(),
            details: "the fifth validator of tests/e2e validators.rs".into(),
            ..Default::default()
        }),
        commission: Some(CommissionRates {
            rate: dec(rate),
            max_rate: dec(max_rate),
            max_change_rate: dec("0.01"),
        }),
        min_self_delegation: min_self.to_string(),
        delegator_address: String::new(),
        validator_address: operator.to_valoper(),
        pubkey: Some(pubkey_any(key)),
        value: coin(&self_bond.to_string()),
    })
}

/// `gliad tx staking ARGS… -o json` signed with the mnemonic in `mnemonic_file`, as an operator
/// runs it; its JSON, which must say code 0.
fn staking_cli(
    net: &Network,
    mnemonic_file: &std::path::Path,
    args: &[&str],
) -> Result<serde_json::Value> {
    let out = std::process::Command::new(glia_e2e::gliad_bin())
        .args(["tx", "staking"])
        .args(args)
        .arg("--mnemonic-file")
        .arg(mnemonic_file)
        .args(["--node", &net.rpc[0], "-o", "json"])
        .env("GLIA_NETWORK", net.run_dir().join("network.json"))
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "gliad tx staking {}: {stdout}{}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value =
        serde_json::from_str(stdout.trim()).with_context(|| format!("-o json printed {stdout}"))?;
    ensure!(j["code"] == 0, "gliad tx staking {}: {j}", args[0]);
    Ok(j)
}

fn validator(rpc: &Rpc, valoper: &str) -> Result<Validator> {
    let r: QueryValidatorResponse = rpc.query(
        "/cosmos.staking.v1beta1.Query/Validator",
        &QueryValidatorRequest {
            validator_addr: valoper.into(),
        },
    )?;
    r.validator.context("no validator in the answer")
}

fn tokens(v: &Validator) -> u128 {
    v.tokens.parse().expect("tokens are an integer")
}

fn signing_info(rpc: &Rpc, valcons: &str) -> Result<ValidatorSigningInfo> {
    let r: QuerySigningInfoResponse = rpc.query(
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        &QuerySigningInfoRequest {
            cons_address: valcons.into(),
        },
    )?;
    r.val_signing_info.context("no signing info in the answer")
}

fn slashing_params(rpc: &Rpc) -> Result<SlashingParams> {
    let r: QueryParamsResponse = rpc.query(
        "/cosmos.slashing.v1beta1.Query/Params",
        &QueryParamsRequest {},
    )?;
    r.params.context("no params")
}

/// A decimal's 10^-18 units, from the integer text protobuf carries.
fn atoms(bytes: &[u8]) -> u128 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("a decimal in its integer form")
}

/// What slashing burns from a validator with `tokens` at the offence: the fraction of its
/// power's worth (power = tokens / 10^6, rounded down), rounded down (staking/slash.rs).
fn slash_amount(tokens: u128, fraction: &[u8]) -> u128 {
    let at_stake = tokens / POWER_REDUCTION * POWER_REDUCTION;
    at_stake * atoms(fraction) / 10u128.pow(18)
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-12-02T16:21:03.123Z`).
fn unix_seconds(t: &str) -> Result<i64> {
    let bad = || anyhow::anyhow!("not an RFC 3339 UTC time: {t:?}");
    let (date, time) = t.split_once('T').ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse())
        .collect::<Result<_, _>>()?;
    let hms: Vec<i64> = time
        .get(..8)
        .ok_or_else(bad)?
        .split(':')
        .map(|x| x.parse())
        .collect::<Result<_, _>>()?;
    ensure!(d.len() == 3 && hms.len() == 3, bad());
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

fn block_time(rpc: &Rpc, h: u64) -> Result<i64> {
    let r = rpc.call("header", json!({"height": h.to_string()}))?;
    unix_seconds(r["header"]["time"].as_str().context("header has no time")?)
}

/// Whether `address` (hex) signed the commit of height `h` (block_id_flag 2: a vote for
/// the block).
fn signed_commit(rpc: &Rpc, h: u64, address: &str) -> Result<bool> {
    let r = rpc.call("commit", json!({"height": h.to_string()}))?;
    let sigs = r["signed_header"]["commit"]["signatures"]
        .as_array()
        .context("commit without signatures")?;
    Ok(sigs.iter().any(|s| {
        s["validator_address"] == address && (s["block_id_flag"] == 2 || s["block_id_flag"] == "2")
    }))
}

/// Waits until `address` has signed `n` commits after height `from`; returns those heights.
fn wait_signing(
    rpc: &Rpc,
    from: u64,
    address: &str,
    n: usize,
    timeout: Duration,
) -> Result<Vec<u64>> {
    let start = Instant::now();
    let mut next = from + 1;
    let mut signed = Vec::new();
    while signed.len() < n {
        if rpc.height()? > next {
            if signed_commit(rpc, next, address)? {
                signed.push(next);
            }
            next += 1;
            continue;
        }
        if start.elapsed() > timeout {
            bail!(
                "{address} signed only the commits of heights {signed:?} between {from} and {next} within {timeout:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Ok(signed)
}

fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f()? {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A bad tx and what CheckTx must answer.
struct Case {
    name: &'static str,
    signer: Wallet,
    msg: Any,
    code: u32,
    codespace: &'static str,
    log_has: String,
}

/// Fixed gas and fee, enough for any staking message (the tx must fail on its message, not
/// its fee).
fn params(net: &Network, w: &Wallet, rpc: &Rpc) -> Result<TxParams> {
    let mut p = w.params(net, rpc)?;
    p.gas_limit = 400_000;
    p.fee = vec![Coin::new(&net.denom, 10_000)];
    Ok(p)
}

fn send(rpc: &Rpc, w: &Wallet, msg: Any, price: &GasPrice) -> Result<serde_json::Value> {
    Ok(send_auto(rpc, &w.key, vec![msg], price)?.1)
}

fn phase(t0: Instant, what: &str) {
    println!("[{:5.1} s] {what}", t0.elapsed().as_secs_f64());
}

#[test]
fn validators_a_fifth_validator_joins_is_jailed_unjailed_and_tombstoned() -> Result<()> {
    let t0 = Instant::now();
    let net = Network::load()?;
    let rpc = net.node(0);
    let price = GasPrice::parse(&net.gas_price).map_err(anyhow::Error::msg)?;
    let sp = slashing_params(&rpc)?;
    let jail_seconds = sp.downtime_jail_duration.map_or(0, |d| d.seconds);
    ensure!(
        sp.signed_blocks_window <= 30 && jail_seconds <= 30,
        "slashing's window is {} blocks and its jail {jail_seconds} s: this test needs a network \
         started with localnet/up.sh --test-fixtures (20 blocks, 20 s), as tests/run.sh does",
        sp.signed_blocks_window
    );

    // A fresh operator each run, funded by dev13 (no other test uses it).
    let funder = net
        .wallet("dev13")
        .context("start the localnet with --accounts 18 (tests/run.sh does)")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    // A mnemonic, so that the operator signs MsgCreateValidator with the CLI as a person would.
    let op_mnemonic = glia_client::keys::mnemonic_from_entropy(
        &Sha256::digest(format!("e2e fifth validator {nanos}")).into(),
    );
    let op = Wallet {
        key: Key::from_mnemonic(&op_mnemonic)?,
    };
    let op_addr = op.key.address.clone();
    let valoper = op_addr.to_valoper();
    send(
        &rpc,
        &funder,
        glia_client::tx::msg_send(
            &funder.key,
            &op.address(),
            &[Coin::new("uglia", 10_000_000_000)],
        ),
        &price,
    )?;

    // ---- 1. Join -------------------------------------------------------------------------
    let mut val5 = ExtraNode::create(&net, "e2e-val5", &NodeOptions::default())?;
    val5.start()?;
    let h = val5.wait_caught_up(&net, Duration::from_secs(120))?;
    phase(
        t0,
        &format!(
            "fifth node caught up at height {h} ({})",
            val5.home.display()
        ),
    );
    let (cons_key, cons_hex) = val5.consensus_key()?;
    let cons20: [u8; 20] = Sha256::digest(&cons_key)[..20].try_into()?;
    assert_eq!(
        hex::encode_upper(cons20),
        cons_hex,
        "CometBFT's address of the key"
    );
    let valcons = glia_modules::slashing::valcons(&cons20).map_err(|e| anyhow::anyhow!(e.log))?;

    // `gliad tx staking create-validator` with the node's own key file, as an operator joins.
    let mnemonic_file = val5.home.join("operator.mnemonic");
    std::fs::write(&mnemonic_file, &op_mnemonic)?;
    let key_file = val5.priv_validator_key().display().to_string();
    let (bond, min_self) = (format!("{SELF_BOND}uglia"), MIN_SELF_DELEGATION.to_string());
    let created = staking_cli(
        &net,
        &mnemonic_file,
        &[
            "create-validator",
            "--validator-key",
            &key_file,
            "--amount",
            &bond,
            "--moniker",
            "e2e-val5",
            "--details",
            "the fifth validator of tests/e2e validators.rs",
            "--commission-rate",
            "0.1",
            "--commission-max-rate",
            "0.2",
            "--min-self-delegation",
            &min_self,
        ],
    )?;
    let created_at: u64 = created["height"].as_str().unwrap_or("0").parse()?;
    let v = wait_for(
        "the new validator to be bonded",
        Duration::from_secs(20),
        || {
            let v = validator(&rpc, &valoper)?;
            Ok((v.status == BONDED).then_some(v))
        },
    )?;
    assert!(!v.jailed);
    assert_eq!(tokens(&v), SELF_BOND);
    let d = v.description.clone().unwrap_or_default();
    assert_eq!(
        (d.moniker.as_str(), d.details.as_str()),
        ("e2e-val5", "the fifth validator of tests/e2e validators.rs")
    );
    // `edit-validator` changes only what it is given: the moniker stays.
    staking_cli(
        &net,
        &mnemonic_file,
        &["edit-validator", "--website", "https://val5.example"],
    )?;
    let d = validator(&rpc, &valoper)?.description.unwrap_or_default();
    assert_eq!(
        (d.moniker.as_str(), d.website.as_str()),
        ("e2e-val5", "https://val5.example")
    );
    let signed = wait_signing(&rpc, created_at, &cons_hex, 3, Duration::from_secs(30))?;
    let vals = rpc.call("validators", json!({"per_page": "100"}))?;
    let power = vals["validators"]
        .as_array()
        .context("validators")?
        .iter()
        .find(|v| v["address"] == cons_hex.as_str())
        .map(|v| v["voting_power"].clone())
        .context("CometBFT's validator set lacks the fifth validator")?;
    assert_eq!(power, json!((SELF_BOND / POWER_REDUCTION).to_string()));
    phase(
        t0,
        &format!("{valoper} ({valcons}) created at height {created_at}: bonded, power {power} in CometBFT's set, signed heights {signed:?}"),
    );

    // ---- 2. Bad inputs --------------------------------------------------------------------
    let unknown = Address::from_bytes(vec![0x42; 20]).to_valoper();
    let other_key: [u8; 32] = Sha256::digest(format!("another key {nanos}")).into();
    let other_key2: [u8; 32] = Sha256::digest(format!("a third key {nanos}")).into();
    let fa = funder.key.address.clone();
    let undelegate = |amount: &str| {
        any(&MsgUndelegate {
            delegator_address: op.address(),
            validator_address: valoper.clone(),
            amount: coin(amount),
        })
    };
    let edit = |rate: &str| {
        any(&MsgEditValidator {
            description: None,
            validator_address: valoper.clone(),
            commission_rate: dec(rate),
            min_self_delegation: String::new(),
        })
    };
    let cases = vec![
        Case {
            name: "consensus key already a validator's",
            signer: funder.clone(),
            msg: create_validator(&fa, &cons_key, "0.1", "0.2", 1, 1_000_000),
            code: 5,
            codespace: "staking",
            log_has: format!("consensus key {cons_hex} is already a validator's"),
        },
        Case {
            name: "commission rate above max rate",
            signer: funder.clone(),
            msg: create_validator(&fa, &other_key, "0.3", "0.2", 1, 1_000_000),
            code: 11,
            codespace: "staking",
            log_has: "rate 0.300000000000000000 is above the max rate 0.200000000000000000".into(),
        },
        Case {
            name: "self-bond below its minimum",
            signer: funder.clone(),
            msg: create_validator(&fa, &other_key2, "0.1", "0.2", 2_000_000, 1_000_000),
            code: 16,
            codespace: "staking",
            log_has: "self delegation 1000000 is below the declared minimum 2000000".into(),
        },
        Case {
            name: "delegation to an unknown validator",
            signer: funder.clone(),
            msg: any(&MsgDelegate {
                delegator_address: funder.address(),
                validator_address: unknown.clone(),
                amount: coin("1000"),
            }),
            code: 3,
            codespace: "staking",
            log_has: format!("validator {unknown} does not exist"),
        },
        Case {
            name: "delegation of zero",
            signer: funder.clone(),
            msg: any(&MsgDelegate {
                delegator_address: funder.address(),
                validator_address: valoper.clone(),
                amount: coin("0"),
            }),
            code: 18,
            codespace: "sdk",
            log_has: "invalid delegation amount: the amount must be positive".into(),
        },
        Case {
            name: "undelegation of zero",
            signer: op.clone(),
            msg: undelegate("0"),
            code: 18,
            codespace: "sdk",
            log_has: "invalid shares amount: the amount must be positive".into(),
        },
        Case {
            name: "undelegation of more than bonded",
            signer: op.clone(),
            msg: undelegate(&(SELF_BOND + 1).to_string()),
            code: 24,
            codespace: "staking",
            log_has: format!(
                "is worth {SELF_BOND}uglia, less than {}uglia",
                SELF_BOND + 1
            ),
        },
        Case {
            name: "commission changed within 24 h",
            signer: op.clone(),
            msg: edit("0.11"),
            code: 12,
            codespace: "staking",
            log_has: "the next change is allowed from".into(),
        },
        Case {
            name: "commission above 100%",
            signer: op.clone(),
            msg: edit("1.5"),
            code: 10,
            codespace: "staking",
            log_has: "commission cannot be more than 100%".into(),
        },
        Case {
            name: "unjail of a validator not jailed",
            signer: op.clone(),
            msg: any(&MsgUnjail {
                validator_addr: valoper.clone(),
            }),
            code: 5,
            codespace: "slashing",
            log_has: format!("{valoper} is not jailed"),
        },
    ];
    let before: Vec<(u128, u64)> = [&op, &funder]
        .iter()
        .map(|w| Ok((rpc.balance(&w.address(), "uglia")?, w.numbers(&rpc)?.1)))
        .collect::<Result<_>>()?;
    let mut failures = Vec::new();
    for c in &cases {
        let p = params(&net, &c.signer, &rpc)?;
        let r = rpc.broadcast(&c.signer.sign(vec![c.msg.clone()], &p))?;
        println!(
            "  {:38} code {:2} {:8} {}",
            c.name, r.code, r.codespace, r.log
        );
        if r.code != c.code || r.codespace != c.codespace || !r.log.contains(&c.log_has) {
            failures.push(format!(
                "{}: want code {} ({}) with a log containing {:?}, got code {} ({}) {:?}",
                c.name, c.code, c.codespace, c.log_has, r.code, r.codespace, r.log
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    rpc.wait_height(rpc.height()? + 2, Duration::from_secs(20))?;
    let after: Vec<(u128, u64)> = [&op, &funder]
        .iter()
        .map(|w| Ok((rpc.balance(&w.address(), "uglia")?, w.numbers(&rpc)?.1)))
        .collect::<Result<_>>()?;
    assert_eq!(
        after, before,
        "a refused tx charged a fee or used a sequence"
    );
    let v = validator(&rpc, &valoper)?;
    assert_eq!((tokens(&v), v.status, v.jailed), (SELF_BOND, BONDED, false));
    phase(
        t0,
        &format!(
            "{} bad txs refused in CheckTx, nothing charged",
            cases.len()
        ),
    );

    // ---- 3. Downtime ----------------------------------------------------------------------
    let t_before = tokens(&validator(&rpc, &valoper)?);
    let heights: Vec<u64> = (0..net.rpc.len())
        .map(|i| net.node(i).height())
        .collect::<Result<_>>()?;
    val5.stop()?;
    phase(t0, &format!("fifth node stopped at height {}", heights[0]));
    let v = wait_for(
        "the stopped validator to be jailed (downtime)",
        Duration::from_secs(30 + 3 * sp.signed_blocks_window as u64),
        || {
            let v = validator(&rpc, &valoper)?;
            Ok((v.jailed && v.status != BONDED).then_some(v))
        },
    )?;
    let info = signing_info(&rpc, &valcons)?;
    let until = info.jailed_until.as_ref().map_or(0, |t| t.seconds);
    let top = rpc.height()?;
    let now = block_time(&rpc, top)?;
    for (i, h) in heights.iter().enumerate() {
        let h2 = net.node(i).height()?;
        assert!(
            h2 >= h + sp.signed_blocks_window as u64 / 2,
            "node {i} went from height {h} to {h2} only while the fifth validator was down"
        );
    }
    let expected = slash_amount(t_before, &sp.slash_fraction_downtime);
    assert!(expected > 0);
    assert_eq!(
        tokens(&v),
        t_before - expected,
        "downtime slash: {t_before} tokens less the fraction {} of its power's worth",
        Dec::from_proto(std::str::from_utf8(&sp.slash_fraction_downtime)?)
            .map_err(|e| anyhow::anyhow!(e.log))?
    );
    assert!(!info.tombstoned);
    assert!(
        until > now - jail_seconds && until <= now + jail_seconds,
        "jailed_until {until} is not the jailing block's time + {jail_seconds} s (latest block time {now})"
    );
    phase(
        t0,
        &format!(
            "jailed by height {top}: tokens {t_before} -> {} (-{expected}), status {}, jailed_until {until} (block time now {now})",
            tokens(&v),
            v.status
        ),
    );

    // Still in jail time: refused, nothing charged.
    let unjail = any(&MsgUnjail {
        validator_addr: valoper.clone(),
    });
    let bal = rpc.balance(&op.address(), "uglia")?;
    let r = rpc.broadcast(&op.sign(vec![unjail.clone()], &params(&net, &op, &rpc)?))?;
    assert_eq!(
        (r.code, r.codespace.as_str()),
        (4, "slashing"),
        "MsgUnjail in jail time: {}",
        r.log
    );
    assert!(
        r.log.contains(&format!("is jailed until {until}"))
            && r.log.contains("cannot be unjailed yet"),
        "{}",
        r.log
    );
    assert_eq!(rpc.balance(&op.address(), "uglia")?, bal);
    phase(
        t0,
        &format!(
            "MsgUnjail before jailed_until: code 4 (slashing): {}",
            r.log
        ),
    );

    val5.start()?;
    let h = val5.wait_caught_up(&net, Duration::from_secs(90))?;
    phase(
        t0,
        &format!("fifth node restarted, caught up at height {h}"),
    );
    // The block below the top: CometBFT's /status counts a block once it is stored, a moment
    // before the app has committed it, and Simulate reads the app's last committed block.
    wait_for("a block past jailed_until", Duration::from_secs(40), || {
        let below_top = rpc.height()?.saturating_sub(1);
        Ok((block_time(&rpc, below_top)? >= until).then_some(()))
    })?;
    let r = send(&rpc, &op, unjail, &price)?;
    let unjailed_at: u64 = r["height"].as_str().unwrap_or("0").parse()?;
    assert!(block_time(&rpc, unjailed_at)? >= until);
    let v = wait_for(
        "the unjailed validator to be bonded",
        Duration::from_secs(20),
        || {
            let v = validator(&rpc, &valoper)?;
            Ok((v.status == BONDED && !v.jailed).then_some(v))
        },
    )?;
    let signed = wait_signing(&rpc, unjailed_at, &cons_hex, 3, Duration::from_secs(30))?;
    phase(
        t0,
        &format!(
            "unjailed at height {unjailed_at}: bonded with {} tokens, signed heights {signed:?}",
            tokens(&v)
        ),
    );

    // ---- 4. Double sign -------------------------------------------------------------------
    let t_before = tokens(&v);
    // The twin proposes nothing and prevotes nil before most proposals reach it, while the
    // fifth node prevotes the block: conflicting votes of one key, which the other validators
    // turn into DuplicateVoteEvidence.
    let mut twin = ExtraNode::create(
        &net,
        "e2e-val5-twin",
        &NodeOptions {
            timeout_propose: Some("10ms".into()),
        },
    )?;
    std::fs::copy(val5.priv_validator_key(), twin.priv_validator_key())?;
    let from = rpc.height()?;
    twin.start()?;
    let h = twin.wait_caught_up(&net, Duration::from_secs(120))?;
    phase(
        t0,
        &format!("twin with the same key caught up at height {h}"),
    );
    let info = wait_for(
        "the double signer to be tombstoned",
        Duration::from_secs(90),
        || {
            let i = signing_info(&rpc, &valcons)?;
            Ok(i.tombstoned.then_some(i))
        },
    )?;
    let top = rpc.height()?;
    twin.stop()?;
    val5.stop()?;
    // The evidence CometBFT committed.
    let mut evidence = None;
    for h in from..=top {
        let b = rpc.call("block", json!({"height": h.to_string()}))?;
        for e in b["block"]["evidence"]["evidence"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if e["type"] == "tendermint/DuplicateVoteEvidence"
                && e["value"]["vote_a"]["validator_address"] == cons_hex.as_str()
            {
                evidence.get_or_insert((h, e.clone()));
            }
        }
    }
    let (ev_height, ev) = evidence.with_context(|| {
        format!("no DuplicateVoteEvidence against {cons_hex} in blocks {from}..={top}")
    })?;
    let (a, b) = (&ev["value"]["vote_a"], &ev["value"]["vote_b"]);
    assert_eq!(a["height"], b["height"]);
    assert_ne!(a["block_id"]["hash"], b["block_id"]["hash"], "{ev}");
    assert_eq!(
        ev["value"]["ValidatorPower"],
        json!((t_before / POWER_REDUCTION).to_string())
    );
    let v = wait_for(
        "the double signer to leave the set",
        Duration::from_secs(20),
        || {
            let v = validator(&rpc, &valoper)?;
            Ok((v.status != BONDED).then_some(v))
        },
    )?;
    assert!(v.jailed);
    let expected = slash_amount(t_before, &sp.slash_fraction_double_sign);
    assert_eq!(tokens(&v), t_before - expected, "double-sign slash");
    assert_eq!(
        info.jailed_until.map(|t| t.seconds),
        Some(glia_modules::slashing::punish::FOREVER)
    );
    phase(
        t0,
        &format!(
            "DuplicateVoteEvidence (votes at height {}) committed at height {ev_height}: tombstoned, jailed, tokens {t_before} -> {} (-{expected})",
            a["height"],
            tokens(&v)
        ),
    );
    // A tombstoned validator stays jailed.
    let r = rpc.broadcast(&op.sign(
        vec![any(&MsgUnjail {
            validator_addr: valoper.clone(),
        })],
        &params(&net, &op, &rpc)?,
    ))?;
    assert_eq!((r.code, r.codespace.as_str()), (4, "slashing"), "{}", r.log);
    assert!(r.log.contains("tombstoned"), "{}", r.log);

    // The four go on without it.
    let h = rpc.height()?;
    for i in 0..net.rpc.len() {
        net.node(i).wait_height(h + 2, Duration::from_secs(30))?;
    }
    phase(t0, "the four genesis validators keep committing");
    drop(twin);
    drop(val5);
    Ok(())
}
