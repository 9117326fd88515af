//! Every validator reports the same app hash at every height.

use anyhow::Result;
use glia_e2e::Network;

/// Compares the header app hash of every height on every node; returns the heights checked.
pub fn assert_app_hashes_agree(net: &Network) -> Result<u64> {
    let nodes: Vec<_> = (0..net.rpc.len()).map(|i| net.node(i)).collect();
    let top = nodes
        .iter()
        .map(|n| n.height())
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .min()
        .unwrap();
    for h in 1..=top {
        let hashes = nodes
            .iter()
            .map(|n| n.header_app_hash(h))
            .collect::<Result<Vec<_>>>()?;
        assert!(
            hashes.iter().all(|x| *x == hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }
    Ok(top)
}

#[test]
fn all_validators_agree_on_app_hash_at_every_height() -> Result<()> {
    let net = Network::load()?;
    let top = assert_app_hashes_agree(&net)?;
    assert!(top >= 2, "only {top} blocks");
    // And the app's own view (ABCI Info, through CometBFT) matches.
    let infos: Vec<String> = (0..net.rpc.len())
        .map(|i| {
            let r = net.node(i).call("abci_info", serde_json::json!({}))?;
            Ok(r["response"]["data"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        })
        .collect::<Result<_>>()?;
    assert!(infos.iter().all(|d| d == "gliad"), "{infos:?}");
    println!(
        "app hashes agree on {} nodes for heights 1..={top}",
        net.rpc.len()
    );
    Ok(())
}

/// Staking's historical info at a height is that block's real header as CometBFT committed it:
/// the same app hash (the previous block's, which FinalizeBlock does not send and the app
/// supplies), next validators' hash, time to the nanosecond and proposer. IBC light clients
/// of Glia rely on exactly these fields.
#[test]
fn historical_info_matches_cometbft_headers() -> Result<()> {
    use anyhow::{ensure, Context};
    use glia_proto::cosmos::cosmos::staking::v1beta1::{
        QueryHistoricalInfoRequest, QueryHistoricalInfoResponse,
    };
    let net = Network::load()?;
    let rpc = net.node(0);
    let top = rpc.height()?.saturating_sub(1); // committed by the app for sure
    for h in [top.saturating_sub(2), top] {
        let r: QueryHistoricalInfoResponse = rpc.query(
            "/cosmos.staking.v1beta1.Query/HistoricalInfo",
            &QueryHistoricalInfoRequest { height: h as i64 },
        )?;
        let ours = r.hist.and_then(|i| i.header).context("a header")?;
        let theirs = rpc.call("header", serde_json::json!({"height": h.to_string()}))?;
        let th = &theirs["header"];
        let hex_of = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_uppercase();
        ensure!(ours.height == h as i64 && th["chain_id"] == ours.chain_id.as_str());
        ensure!(
            hex::encode_upper(&ours.app_hash) == hex_of(&th["app_hash"]),
            "app hash at {h}: ours {}, CometBFT {}",
            hex::encode_upper(&ours.app_hash),
            th["app_hash"]
        );
        ensure!(
            hex::encode_upper(&ours.next_validators_hash) == hex_of(&th["next_validators_hash"]),
            "next validators hash at {h}"
        );
        ensure!(
            hex::encode_upper(&ours.proposer_address) == hex_of(&th["proposer_address"]),
            "proposer at {h}"
        );
        let t = ours.time.context("time")?;
        let time = th["time"].as_str().unwrap_or_default();
        let frac = time
            .split('.')
            .nth(1)
            .map(|f| f.trim_end_matches('Z'))
            .unwrap_or("0");
        let nanos: i32 = format!("{frac:0<9}")[..9].parse()?;
        ensure!(
            t.nanos == nanos,
            "nanoseconds at {h}: {} vs {time}",
            t.nanos
        );
    }
    Ok(())
}
