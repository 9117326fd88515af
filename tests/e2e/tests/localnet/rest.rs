//! The HTTP API as Keplr uses it: account and balances in grpc-gateway JSON, broadcast by POST.

use anyhow::Result;
use base64::Engine;
use glia_client::tx::msg_send;
use glia_e2e::Network;
use glia_modules::coins::Coin;
use std::time::Duration;

#[test]
fn keplr_rest_routes_read_state_and_broadcast() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(1);
    let rest = &net.rest[1];
    let w = net.wallet("dev3")?;
    let get = |path: &str| -> Result<serde_json::Value> {
        Ok(ureq::get(&format!("{rest}{path}")).call()?.into_json()?)
    };
    let acc = get(&format!("/cosmos/auth/v1beta1/accounts/{}", w.address()))?;
    assert_eq!(acc["account"]["@type"], "/cosmos.auth.v1beta1.BaseAccount");
    assert_eq!(acc["account"]["address"], w.address());
    let seq: u64 = acc["account"]["sequence"].as_str().unwrap().parse()?;
    let bal = get(&format!("/cosmos/bank/v1beta1/balances/{}", w.address()))?;
    let amount: u128 = bal["balances"][0]["amount"].as_str().unwrap().parse()?;
    assert_eq!(amount, rpc.balance(&w.address(), "uglia")?);
    // The other bank routes Keplr reads, served from the bank component's route table.
    let one = get(&format!(
        "/cosmos/bank/v1beta1/balances/{}/by_denom?denom=uglia",
        w.address()
    ))?;
    assert_eq!(one["balance"]["denom"], "uglia", "{one}");
    let supply = get("/cosmos/bank/v1beta1/supply/by_denom?denom=uglia")?;
    let total: u128 = supply["amount"]["amount"].as_str().unwrap().parse()?;
    assert!(total >= amount, "{supply}");
    let page = get("/cosmos/bank/v1beta1/supply?pagination.limit=1&pagination.count_total=true")?;
    assert_eq!(page["supply"].as_array().map(Vec::len), Some(1), "{page}");
    assert!(page["pagination"]["total"].as_str().is_some(), "{page}");
    // A missing parameter is a 400 that names it.
    match ureq::get(&format!("{rest}/cosmos/bank/v1beta1/supply/by_denom")).call() {
        Err(ureq::Error::Status(400, r)) => assert!(r.into_string()?.contains("denom")),
        other => panic!("expected 400, got {other:?}"),
    }
    // Unknown account: 404 with a NotFound message, as grpc-gateway answers.
    let unknown = glia_client::keys::Key::from_seed(b"rest unknown")
        .address
        .to_bech32();
    match ureq::get(&format!("{rest}/cosmos/auth/v1beta1/accounts/{unknown}")).call() {
        Err(ureq::Error::Status(404, r)) => assert!(r.into_string()?.contains("NotFound")),
        other => panic!("expected 404, got {other:?}"),
    }
    // Broadcast through REST.
    let mut p = w.params(&net, &rpc)?;
    assert_eq!(p.sequence, seq);
    p.memo = "via rest".into();
    let tx = w.sign(
        vec![msg_send(
            &w.key,
            &glia_client::keys::Key::from_seed(b"rest sink")
                .address
                .to_bech32(),
            &[Coin::new("uglia", 11)],
        )],
        &p,
    );
    let body = serde_json::json!({"tx_bytes": base64::engine::general_purpose::STANDARD.encode(&tx), "mode": "BROADCAST_MODE_SYNC"});
    let r: serde_json::Value = ureq::post(&format!("{rest}/cosmos/tx/v1beta1/txs"))
        .send_json(body)?
        .into_json()?;
    assert_eq!(r["tx_response"]["code"], 0, "{r}");
    let res = rpc.wait_tx(
        r["tx_response"]["txhash"].as_str().unwrap(),
        Duration::from_secs(30),
    )?;
    assert_eq!(res["tx_result"]["code"], 0);
    // Blobs: a well-formed hash that is not stored is 404, a malformed one 400.
    match ureq::get(&format!("{rest}/blobs/{}", "ab".repeat(32))).call() {
        Err(ureq::Error::Status(404, _)) => {}
        other => panic!("expected 404, got {other:?}"),
    }
    match ureq::get(&format!("{rest}/blobs/..%2F..%2Fetc%2Fpasswd")).call() {
        Err(ureq::Error::Status(400, _)) => {}
        other => panic!("expected 400, got {other:?}"),
    }
    Ok(())
}
