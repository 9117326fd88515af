//! What an operator watches: every node's Prometheus metrics (`GET /metrics` on its REST port)
//! after the image and job tests have run (this file runs after them by name): the height
//! agrees with CometBFT's, txs are counted by result, executors made images on their devices,
//! solvers ran, vote extensions were sized, escrow is reported — and node 3's executor, which
//! the test fixtures make perturb its images, was told it was outvoted. The Grafana dashboard
//! in the repository asks only for metrics that gliad or CometBFT export.

use anyhow::{ensure, Context, Result};
use glia_e2e::Network;
use std::collections::BTreeMap;

/// `name{labels}` → value of every sample.
fn scrape(url: &str) -> Result<BTreeMap<String, f64>> {
    let text = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?
        .into_string()?;
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line
            .rsplit_once(' ')
            .with_context(|| format!("{url}: bad line {line:?}"))?;
        let v: f64 = value
            .parse()
            .with_context(|| format!("{url}: bad value in {line:?}"))?;
        out.insert(name.to_string(), v);
    }
    Ok(out)
}

/// The sum of every sample of `family` (any labels).
fn total(m: &BTreeMap<String, f64>, family: &str) -> f64 {
    m.iter()
        .filter(|(k, _)| k.as_str() == family || k.starts_with(&format!("{family}{{")))
        .map(|(_, v)| v)
        .sum()
}

#[test]
fn ops_every_node_exports_its_metrics_and_the_dashboard_asks_only_for_real_ones() -> Result<()> {
    let net = Network::load()?;
    let profile: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&net.path)?)?;
    let mut all_names = std::collections::BTreeSet::new();
    let (mut images, mut solver_runs) = (0.0, 0.0);
    for (i, rest) in net.rest.iter().enumerate() {
        let m = scrape(&format!("{rest}/metrics"))?;
        let chain = net.node(i).height()? as f64;
        let h = m.get("glia_height").copied().context("no glia_height")?;
        ensure!(
            (chain - h).abs() <= 3.0,
            "node {i}: glia_height {h}, CometBFT at {chain}"
        );
        let ok = m
            .get("glia_txs_total{codespace=\"\",code=\"0\"}")
            .copied()
            .unwrap_or(0.0);
        ensure!(ok > 0.0, "node {i} counted no successful tx");
        ensure!(
            total(&m, "glia_block_interval_seconds_count") > 0.0,
            "node {i}: no block interval"
        );
        ensure!(
            m.get("glia_vote_extension_bytes_count{source=\"own\"}")
                .copied()
                .unwrap_or(0.0)
                > 0.0,
            "node {i} measured none of its vote extensions"
        );
        ensure!(
            m.contains_key("glia_escrow_uglia{module=\"inference\"}"),
            "node {i}: no inference escrow"
        );
        ensure!(
            total(&m, "glia_tasks_settled_total") > 0.0,
            "node {i}: no settled task counted"
        );
        images += total(&m, "glia_executor_images_total");
        solver_runs += m.get("glia_solver_runs_total").copied().unwrap_or(0.0);
        if i == 3 {
            // --test-fixtures: node 3's executor inverts its images; the majority outvotes it.
            let outvoted = m
                .get("glia_executor_penalties_total{kind=\"outvoted\"}")
                .copied()
                .unwrap_or(0.0);
            ensure!(
                outvoted > 0.0,
                "node 3's executor was outvoted (inference tests) but its metrics say {outvoted}"
            );
            let log = std::fs::read_to_string(net.run_dir().join("node3/gliad.log"))?;
            ensure!(
                log.contains("your executor was outvoted"),
                "node 3's log does not tell its operator it was outvoted"
            );
        }
        all_names.extend(
            m.keys()
                .map(|k| k.split('{').next().unwrap_or(k).to_string()),
        );
    }
    ensure!(images > 0.0, "no executor counted an image");
    ensure!(solver_runs > 0.0, "no solver counted a run");

    // CometBFT's own metrics, from the profile's Prometheus URLs.
    let comet = profile["metrics"][0]
        .as_str()
        .context("network.json lists no CometBFT metrics URL")?;
    all_names.extend(
        scrape(comet)?
            .keys()
            .map(|k| k.split('{').next().unwrap_or(k).to_string()),
    );
    // Every metric the dashboard queries exists (histograms by their _bucket series).
    let dash_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../localnet/grafana/glia.json");
    let dash: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&dash_path)?)?;
    let mut asked = 0;
    for p in dash["panels"].as_array().context("panels")? {
        for t in p["targets"].as_array().context("targets")? {
            let expr = t["expr"].as_str().context("expr")?;
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("glia_") || word.starts_with("cometbft_") {
                    asked += 1;
                    ensure!(
                        all_names.contains(word),
                        "the dashboard's panel {:?} asks for {word}, which no node exports",
                        p["title"]
                    );
                }
            }
        }
    }
    ensure!(asked >= 15, "the dashboard asks for only {asked} metrics");
    Ok(())
}
