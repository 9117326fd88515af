//! `gliad query`: every module's queries from the app's route table, answered by a node and
//! printed as its REST API writes them (the same JSON, field for field); the web page's glia
//! routes (tasks, executors, models, jobs) served over REST by reflection; mistakes named.

use anyhow::{Context, Result};
use glia_e2e::Network;
use serde_json::Value;
use std::process::Command;

use glia_e2e::gliad_bin as gliad;

fn query(net: &Network, args: &[&str]) -> Result<(bool, String, String)> {
    let out = Command::new(gliad())
        .arg("query")
        .args(args)
        .env("GLIA_NETWORK", net.run_dir().join("network.json"))
        .output()
        .context("running gliad query")?;
    Ok((
        out.status.success(),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

fn json(net: &Network, args: &[&str]) -> Result<Value> {
    let (ok, out, err) = query(net, args)?;
    anyhow::ensure!(ok, "gliad query {args:?}: {err}");
    Ok(serde_json::from_str(&out)?)
}

fn rest(net: &Network, path: &str) -> Result<Value> {
    Ok(ureq::get(&format!("{}{path}", net.rest[0]))
        .call()?
        .into_json()?)
}

#[test]
fn query_cli_answers_as_the_rest_api_for_every_module() -> Result<()> {
    let net = Network::load()?;
    let dev0 = net.accounts[0].address.clone();
    // The same JSON as REST, for a cosmos module and for glia's own (reflection).
    let pairs: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["bank", "all-balances", &dev0],
            format!("/cosmos/bank/v1beta1/balances/{dev0}"),
        ),
        (
            vec!["auth", "account", &dev0],
            format!("/cosmos/auth/v1beta1/accounts/{dev0}"),
        ),
        (
            vec!["staking", "params"],
            "/cosmos/staking/v1beta1/params".into(),
        ),
        (
            vec!["inference", "models"],
            "/glia/inference/v1/models".into(),
        ),
        (
            vec!["inference", "params"],
            "/glia/inference/v1/params".into(),
        ),
        (vec!["neuro", "params"], "/glia/neuro/v1/params".into()),
        (
            vec!["ibc-transfer", "params"],
            "/ibc/apps/transfer/v1/params".into(),
        ),
    ];
    for (args, path) in &pairs {
        let mut a = args.clone();
        a.extend(["-o", "json"]);
        assert_eq!(
            json(&net, &a)?,
            rest(&net, path)?,
            "gliad query {args:?} vs GET {path}"
        );
    }
    let models = json(&net, &["inference", "models", "-o", "json"])?;
    assert!(
        models["models"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["id"] == "tiny")),
        "{models}"
    );
    // Request fields as flags, enums by name, nested pagination.
    let bonded = json(
        &net,
        &[
            "staking",
            "validators",
            "--status",
            "BOND_STATUS_BONDED",
            "-o",
            "json",
        ],
    )?;
    assert!(
        bonded["validators"]
            .as_array()
            .is_some_and(|v| v.len() >= 4),
        "{bonded}"
    );
    let one = json(
        &net,
        &["bank", "balance", &dev0, "--denom", "uglia", "-o", "json"],
    )?;
    assert_eq!(one["balance"]["denom"], "uglia");
    let page = json(
        &net,
        &[
            "inference",
            "executors",
            "--pagination.limit",
            "1",
            "-o",
            "json",
        ],
    )?;
    assert_eq!(
        page["executors"].as_array().map(Vec::len),
        Some(1),
        "{page}"
    );
    let jobs = json(
        &net,
        &["neuro", "jobs", "--status", "JOB_STATUS_OPEN", "-o", "json"],
    )?;
    assert!(jobs["jobs"].is_array(), "{jobs}");
    // A past height.
    let h = net.node(0).height()?;
    let then = json(
        &net,
        &[
            "bank",
            "total-supply",
            "--height",
            &(h - 1).to_string(),
            "-o",
            "json",
        ],
    )?;
    assert!(then["supply"].is_array(), "{then}");

    // Listings, and each mistake named.
    let (ok, out, _) = query(&net, &[])?;
    assert!(
        ok && out.contains("inference") && out.contains("staking"),
        "{out}"
    );
    let (ok, out, _) = query(&net, &["neuro"])?;
    assert!(ok && out.contains("gliad query neuro job <id>"), "{out}");
    for (args, want) in [
        (vec!["nosuch"], "no module \"nosuch\""),
        (vec!["bank", "nosuch"], "no query \"nosuch\" in bank"),
        (vec!["bank", "all-balances"], "takes 1 argument"),
        (
            vec!["inference", "tasks", "--status", "DONE"],
            "TASK_STATUS_COMPLETED",
        ),
        (vec!["inference", "task", "999999"], "not found"),
    ] {
        let (ok, _, err) = query(&net, &args)?;
        assert!(!ok && err.contains(want), "{args:?}: {err}");
    }
    Ok(())
}
