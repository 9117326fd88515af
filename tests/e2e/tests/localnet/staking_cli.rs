//! Staking from the CLI as a delegator does it: `gliad tx staking delegate|redelegate|unbond`,
//! `gliad tx distribution set-withdraw-addr|withdraw-all-rewards|set-auto-withdraw`, each read
//! back over REST to the uglia; `gliad tx slashing unjail` of a validator that is not jailed
//! refused with the chain's reason. Uses its own account (dev16), signing from the localnet's test keyring.

use anyhow::{Context, Result};
use glia_e2e::Network;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

use glia_e2e::gliad_bin as gliad;

fn tx(net: &Network, args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new(gliad())
        .arg("tx")
        .args(args)
        .args(["-o", "json"])
        .env("GLIA_NETWORK", net.run_dir().join("network.json"))
        .env("GLIA_HOME", net.run_dir().join("cli"))
        .env("GLIA_KEYRING_BACKEND", "test")
        .output()?;
    let text = String::from_utf8(out.stdout)? + &String::from_utf8(out.stderr)?;
    Ok((out.status.success(), text))
}

fn get(net: &Network, path: &str) -> Result<Value> {
    Ok(ureq::get(&format!("{}{path}", net.rest[0]))
        .call()?
        .into_json()?)
}

fn delegated(net: &Network, val: &str, del: &str) -> Result<u128> {
    match ureq::get(&format!(
        "{}/cosmos/staking/v1beta1/validators/{val}/delegations/{del}",
        net.rest[0]
    ))
    .call()
    {
        Ok(r) => {
            let v: Value = r.into_json()?;
            Ok(v["delegation_response"]["balance"]["amount"]
                .as_str()
                .context("amount")?
                .parse()?)
        }
        Err(ureq::Error::Status(404, _)) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

#[test]
fn staking_cli_delegates_redelegates_unbonds_and_withdraws() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let me = net.wallet("dev16")?.address();
    let vals = get(
        &net,
        "/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED",
    )?;
    let ops: Vec<String> = vals["validators"]
        .as_array()
        .context("validators")?
        .iter()
        .filter_map(|v| v["operator_address"].as_str().map(String::from))
        .collect();
    let (v0, v1) = (&ops[0], &ops[1]);
    let (d0, d1) = (delegated(&net, v0, &me)?, delegated(&net, v1, &me)?);

    // 20,000 GLIA: whole uglia of rewards within a few blocks, 5% of the set's power.
    let (ok, out) = tx(
        &net,
        &[
            "staking",
            "delegate",
            v0,
            "20000000000uglia",
            "--from",
            "dev16",
        ],
    )?;
    assert!(ok, "{out}");
    assert_eq!(delegated(&net, v0, &me)?, d0 + 20_000_000_000);
    let (ok, out) = tx(
        &net,
        &[
            "staking",
            "redelegate",
            v0,
            v1,
            "5000000000uglia",
            "--from",
            "dev16",
        ],
    )?;
    assert!(ok, "{out}");
    assert_eq!(delegated(&net, v0, &me)?, d0 + 15_000_000_000);
    assert_eq!(delegated(&net, v1, &me)?, d1 + 5_000_000_000);
    let (ok, out) = tx(
        &net,
        &[
            "staking",
            "unbond",
            v0,
            "1000000000uglia",
            "--from",
            "dev16",
        ],
    )?;
    assert!(ok, "{out}");
    assert_eq!(delegated(&net, v0, &me)?, d0 + 14_000_000_000);
    let ub = get(
        &net,
        &format!("/cosmos/staking/v1beta1/delegators/{me}/unbonding_delegations"),
    )?;
    assert!(
        ub["unbonding_responses"]
            .as_array()
            .is_some_and(|r| r.iter().any(|u| {
                u["validator_address"] == v0.as_str()
                    && u["entries"]
                        .as_array()
                        .is_some_and(|e| e.iter().any(|e| e["balance"] == "1000000000"))
            })),
        "{ub}"
    );

    // Rewards to a cold address, withdrawn from every delegation in one tx.
    let cold = glia_client::keys::Key::from_seed(format!("staking cli cold {me}").as_bytes())
        .address
        .to_bech32();
    let (ok, out) = tx(
        &net,
        &[
            "distribution",
            "set-withdraw-addr",
            &cold,
            "--from",
            "dev16",
        ],
    )?;
    assert!(ok, "{out}");
    let start = Instant::now();
    let accrued = loop {
        let r = get(
            &net,
            &format!("/cosmos/distribution/v1beta1/delegators/{me}/rewards"),
        )?;
        let total: f64 = r["total"]
            .as_array()
            .and_then(|t| t.iter().find(|c| c["denom"] == "uglia"))
            .and_then(|c| c["amount"].as_str())
            .and_then(|a| a.parse().ok())
            .unwrap_or(0.0);
        if total >= 1.0 || start.elapsed() > Duration::from_secs(40) {
            break total;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(accrued >= 1.0, "no whole uglia of rewards accrued in 40 s");
    let (ok, out) = tx(
        &net,
        &["distribution", "withdraw-all-rewards", "--from", "dev16"],
    )?;
    assert!(ok, "{out}");
    let paid = rpc.balance(&cold, "uglia")?;
    assert!(
        paid as f64 >= accrued.floor(),
        "withdrew {paid} uglia, {accrued} had accrued"
    );

    // No chores: rewards withdrawn to the cold address at the next epoch's end, with no tx.
    let (ok, out) = tx(
        &net,
        &["distribution", "set-auto-withdraw", "on", "--from", "dev16"],
    )?;
    assert!(ok, "{out}");
    let before = rpc.balance(&cold, "uglia")?;
    let start = Instant::now();
    let worker = loop {
        let w = get(&net, &format!("/glia/distribution/v1/workers/{me}"))?;
        let withdrawn: u128 = w["auto_withdrawn"].as_str().unwrap_or("0").parse()?;
        if withdrawn > 0 || start.elapsed() > Duration::from_secs(90) {
            break w;
        }
        std::thread::sleep(Duration::from_millis(1000));
    };
    assert_eq!(worker["auto_withdraw"], true, "{worker}");
    assert_eq!(worker["withdraw_address"], cold.as_str(), "{worker}");
    let withdrawn: u128 = worker["auto_withdrawn"].as_str().unwrap_or("0").parse()?;
    assert!(
        withdrawn > 0,
        "nothing withdrawn within an epoch (30 blocks): {worker}"
    );
    assert!(rpc.balance(&cold, "uglia")? >= before + withdrawn);
    let (ok, out) = tx(
        &net,
        &[
            "distribution",
            "set-auto-withdraw",
            "off",
            "--from",
            "dev16",
        ],
    )?;
    assert!(ok, "{out}");

    // A validator that is not jailed: the chain's reason, nothing sent.
    let (ok, out) = tx(&net, &["slashing", "unjail", "--from", "operator0"])?;
    assert!(!ok && out.contains("not jailed"), "{out}");
    // And bad input named before anything is signed.
    let (ok, out) = tx(
        &net,
        &[
            "staking",
            "delegate",
            "glia1notavaloper",
            "5uglia",
            "--from",
            "dev16",
        ],
    )?;
    assert!(!ok && out.contains("gliavaloper"), "{out}");
    let (ok, out) = tx(
        &net,
        &["staking", "delegate", v0, "5uglia,6ufoo", "--from", "dev16"],
    )?;
    assert!(!ok && out.contains("one amount"), "{out}");
    Ok(())
}
