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
