//! Every endpoint `localnet/up.sh` prints answers as what it claims to be: each node's CometBFT
//! RPC, gRPC, REST, blob store and Prometheus metrics, and the web page. Read from the
//! connection profile itself, so an endpoint added there without a server fails here.

use anyhow::{ensure, Context, Result};
use glia_e2e::{grpc, Network};
use glia_proto::cosmos::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
use glia_proto::cosmos::cosmos::base::tendermint::v1beta1::{
    GetNodeInfoRequest, GetNodeInfoResponse,
};
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    QueryParamsRequest as StakingParamsRequest, QueryParamsResponse as StakingParams,
};
use serde_json::Value;

fn get(url: &str) -> Result<(String, String)> {
    let r = ureq::get(url)
        .timeout(std::time::Duration::from_secs(10))
        .call()
        .with_context(|| format!("GET {url}"))?;
    let kind = r.content_type().to_string();
    Ok((kind, r.into_string()?))
}

fn list<'a>(profile: &'a Value, key: &str) -> Result<Vec<&'a str>> {
    let v = profile[key]
        .as_array()
        .with_context(|| format!("network.json has no list {key}"))?;
    v.iter()
        .map(|u| u.as_str().context("not a string"))
        .collect()
}

#[test]
fn every_printed_endpoint_answers() -> Result<()> {
    let net = Network::load()?;
    let profile: Value = serde_json::from_slice(&std::fs::read(&net.path)?)?;
    let n = profile["validators"].as_u64().context("validators")? as usize;
    for key in ["rpc", "grpc", "rest", "blobs", "metrics"] {
        ensure!(list(&profile, key)?.len() == n, "{key}: one per validator");
    }
    let dev0 = &net.accounts[0].address;
    for i in 0..n {
        let rpc = list(&profile, "rpc")?[i];
        let (_, body) = get(&format!("{rpc}/status"))?;
        let status: Value = serde_json::from_str(&body)?;
        assert_eq!(
            status["result"]["node_info"]["network"], net.chain_id,
            "{rpc}/status"
        );

        let addr = list(&profile, "grpc")?[i];
        let cfg: ConfigResponse = grpc::call(
            addr,
            "/cosmos.base.node.v1beta1.Service/Config",
            &ConfigRequest {},
            None,
        )
        .with_context(|| format!("gRPC {addr}"))?;
        assert!(
            cfg.minimum_gas_price.ends_with(&net.denom),
            "gRPC {addr}: minimum gas price {:?}",
            cfg.minimum_gas_price
        );

        // Node info (Hermes reads the CometBFT version from build_deps, Keplr the network),
        // alike over gRPC and REST, with this node's own CometBFT identity.
        let info: GetNodeInfoResponse = grpc::call(
            addr,
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
            &GetNodeInfoRequest {},
            None,
        )?;
        let node = info.default_node_info.context("no default_node_info")?;
        assert_eq!(node.network, net.chain_id, "gRPC {addr}: node info");
        assert_eq!(
            node.moniker, status["result"]["node_info"]["moniker"],
            "{addr}"
        );
        let deps = info.application_version.context("no version")?.build_deps;
        assert!(
            deps.iter().any(
                |m| m.path == "github.com/cometbft/cometbft" && m.version.starts_with("v0.38.")
            ),
            "gRPC {addr}: build deps {deps:?}"
        );
        // Staking params as Hermes reads them before relaying: an unbonding time and a
        // positive number of historical entries.
        let sp: StakingParams = grpc::call(
            addr,
            "/cosmos.staking.v1beta1.Query/Params",
            &StakingParamsRequest {},
            None,
        )?;
        let sp = sp.params.context("no staking params")?;
        assert_eq!(
            sp.unbonding_time.map(|d| d.seconds),
            Some(240),
            "gRPC {addr}"
        );
        assert!(sp.historical_entries > 0, "gRPC {addr}: {sp:?}");
        let rest = list(&profile, "rest")?[i];
        // Every validator's liveness, counted from the commits' votes.
        let (_, body) = get(&format!("{rest}/cosmos/slashing/v1beta1/signing_infos"))?;
        let infos: Value = serde_json::from_str(&body)?;
        let infos = infos["info"].as_array().context("signing infos")?;
        assert_eq!(infos.len(), n, "one signing info per validator: {body}");
        for i in infos {
            let offset: u64 = i["index_offset"]
                .as_str()
                .context("index_offset")?
                .parse()?;
            let missed: u64 = i["missed_blocks_counter"]
                .as_str()
                .context("missed")?
                .parse()?;
            assert!(offset > 0 && missed <= offset, "{i}");
            assert!(
                i["address"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("gliavalcons1")),
                "{i}"
            );
        }
        // The emission as Keplr reads it for APR: a positive inflation and annual provisions.
        let (_, body) = get(&format!("{rest}/cosmos/mint/v1beta1/inflation"))?;
        let inflation: Value = serde_json::from_str(&body)?;
        let rate = inflation["inflation"].as_str().context("inflation")?;
        assert!(rate.len() > 18 && rate != "0.000000000000000000", "{body}");
        let (_, body) = get(&format!("{rest}/cosmos/mint/v1beta1/annual_provisions"))?;
        assert!(body.contains("annual_provisions"), "{body}");
        let (_, body) = get(&format!("{rest}/cosmos/staking/v1beta1/params"))?;
        let rest_params: Value = serde_json::from_str(&body)?;
        assert_eq!(rest_params["params"]["unbonding_time"], "240s", "{body}");
        assert_eq!(
            rest_params["params"]["min_commission_rate"], "0.000000000000000000",
            "{body}"
        );
        let (_, body) = get(&format!("{rest}/cosmos/base/tendermint/v1beta1/node_info"))?;
        let rest_info: Value = serde_json::from_str(&body)?;
        assert_eq!(
            rest_info["default_node_info"]["network"], net.chain_id,
            "{body}"
        );
        assert_eq!(
            rest_info["default_node_info"]["version"], node.version,
            "{rest}: node info {body}"
        );

        let (_, body) = get(&format!("{rest}/cosmos/bank/v1beta1/balances/{dev0}"))?;
        let bal: Value = serde_json::from_str(&body)?;
        assert!(bal["balances"].is_array(), "{rest}: {body}");
        // The base URL is the node's page, its scripts under /ui/.
        let (kind, page) = get(&format!("{rest}/"))?;
        assert!(kind.starts_with("text/html"), "{rest}/: {kind}");
        assert!(page.contains("<title>Glia</title>"), "{rest}/: {page}");
        let (kind, script) = get(&format!("{rest}/ui/app.js"))?;
        assert!(
            kind.starts_with("text/javascript"),
            "{rest}/ui/app.js: {kind}"
        );
        assert!(script.contains("import"), "{rest}/ui/app.js: {script}");

        // A blob store answers a hash it does not hold with 404 and says so.
        let blobs = list(&profile, "blobs")?[i];
        match ureq::get(&format!("{blobs}/{}", "cd".repeat(32))).call() {
            Err(ureq::Error::Status(404, r)) => {
                assert!(r.into_string()?.contains("no blob"), "{blobs}")
            }
            other => panic!("{blobs}: expected 404 for an unknown blob, got {other:?}"),
        }

        let metrics = list(&profile, "metrics")?[i];
        let (_, body) = get(metrics)?;
        assert!(
            body.contains("cometbft_consensus_height"),
            "{metrics}: no consensus height in {} bytes",
            body.len()
        );
    }
    // The web page, as the profile names it: the page's document, whose scripts read the chain
    // over the same origin's REST (the browser test, tests/web, runs them); and gliad's own
    // metrics beside it, whose height is the chain's.
    let web = profile["web"].as_str().context("web")?;
    let (kind, page) = get(web)?;
    assert!(kind.starts_with("text/html"), "{web}: {kind}");
    assert!(page.contains("/ui/app.js"), "{web}: {page}");
    let (_, metrics) = get(&format!("{}metrics", web))?;
    let height: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("glia_height "))
        .and_then(|s| s.trim().parse().ok())
        .with_context(|| format!("{web}metrics: no glia_height in {metrics}"))?;
    assert!(height > 0, "{web}: height {height}");
    Ok(())
}
