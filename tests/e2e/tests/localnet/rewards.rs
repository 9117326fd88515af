//! Rewards on the running localnet: every block's emission reaches the validators that sign
//! (their outstanding rewards and commission grow, the community pool too), and the
//! useful-work pool pays, at an epoch's end, the executors and solvers whose work the earlier
//! tests' requesters paid for (`inference.rs`, `neuro.rs` run before this file by name).
//! Queries only: the operator accounts sign for the executors and solvers.

use anyhow::{bail, ensure, Context, Result};
use glia_e2e::Network;
use serde_json::Value;
use std::time::{Duration, Instant};

fn get(net: &Network, path: &str) -> Result<Value> {
    let url = format!("{}{path}", net.rest[0]);
    let r = ureq::get(&url)
        .timeout(Duration::from_secs(10))
        .call()
        .with_context(|| format!("GET {url}"))?;
    Ok(serde_json::from_str(&r.into_string()?)?)
}

fn amount(v: &Value) -> f64 {
    v.as_array()
        .and_then(|l| l.iter().find(|c| c["denom"] == "uglia"))
        .and_then(|c| c["amount"].as_str())
        .and_then(|a| a.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn validators_are_paid_and_the_useful_work_pool_pays_workers() -> Result<()> {
    let net = Network::load()?;
    let validators = get(
        &net,
        "/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED",
    )?;
    let first = validators["validators"][0]["operator_address"]
        .as_str()
        .context("a bonded validator")?
        .to_string();
    let outstanding = |net: &Network| -> Result<f64> {
        let o = get(
            net,
            &format!("/cosmos/distribution/v1beta1/validators/{first}/outstanding_rewards"),
        )?;
        Ok(amount(&o["rewards"]["rewards"]))
    };
    let before = outstanding(&net)?;
    net.node(0)
        .wait_height(net.node(0).height()? + 3, Duration::from_secs(30))?;
    let after = outstanding(&net)?;
    ensure!(
        after > before,
        "a signing validator's rewards grow: {before} then {after}"
    );
    let c = get(
        &net,
        &format!("/cosmos/distribution/v1beta1/validators/{first}/commission"),
    )?;
    ensure!(
        amount(&c["commission"]["commission"]) > 0.0,
        "commission accrues: {c}"
    );
    let pool = get(&net, "/cosmos/distribution/v1beta1/community_pool")?;
    ensure!(
        amount(&pool["pool"]) > 0.0,
        "the community pool fills: {pool}"
    );

    // The useful-work pool: an operator (executor or solver) is paid from it within a few
    // epochs (the earlier tests' tasks and jobs were paid for by dev accounts, not the workers'
    // own party); `total_earned` is cumulative, so payouts before this test count too.
    let w = get(&net, "/glia/distribution/v1/useful_work")?;
    let epoch: u64 = w["params"]["epoch_blocks"]
        .as_str()
        .context("epoch_blocks")?
        .parse()?;
    ensure!(
        epoch <= 60,
        "the localnet's epoch is short enough to test: {epoch}"
    );
    let deadline = Instant::now() + Duration::from_secs(3 * epoch + 60);
    loop {
        let mut earned = Vec::new();
        for op in &net.operators {
            let r = get(
                &net,
                &format!("/glia/distribution/v1/workers/{}", op.address),
            )?;
            let e: u128 = r["total_earned"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0);
            earned.push(e);
        }
        if earned.iter().any(|e| *e > 0) {
            let w = get(&net, "/glia/distribution/v1/useful_work")?;
            ensure!(
                w["last_payout"].is_object(),
                "a completed payout is shown: {w}"
            );
            return Ok(());
        }
        if Instant::now() > deadline {
            let w = get(&net, "/glia/distribution/v1/useful_work")?;
            bail!("no operator earned from the useful-work pool in 3 epochs: {earned:?}; {w}");
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}
