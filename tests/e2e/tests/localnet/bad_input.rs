//! Every kind of bad tx is refused in CheckTx with its own code, codespace and a log that says
//! what is wrong; nothing is charged, nothing changes, and blocks keep coming.

use anyhow::Result;
use glia_client::tx::{any, msg_send, TxParams};
use glia_e2e::{deliver, Network, Wallet};
use glia_modules::coins::Coin;
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::tx::v1beta1::TxRaw;
use glia_proto::cosmos::Any;
use k256::ecdsa::Signature;
use prost::Message;
use std::time::Duration;

struct Case {
    name: &'static str,
    tx: Vec<u8>,
    code: u32,
    log_has: &'static str,
}

fn send_with(w: &Wallet, to: &str, amount: &str) -> Any {
    any(&MsgSend {
        from_address: w.address(),
        to_address: to.into(),
        amount: vec![ProtoCoin {
            denom: "uglia".into(),
            amount: amount.into(),
        }],
    })
}

fn with_raw(tx: &[u8], f: impl FnOnce(&mut TxRaw)) -> Vec<u8> {
    let mut raw = TxRaw::decode(tx).expect("valid tx");
    f(&mut raw);
    raw.encode_to_vec()
}

#[test]
fn bad_txs_are_refused_with_clear_errors_and_cost_nothing() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let w = net.wallet("dev2")?;
    let to = net.accounts[3].address.clone();
    // One good tx first, so the account has a sequence to be stale against.
    let p0 = w.params(&net, &rpc)?;
    deliver(
        &rpc,
        &w.sign(vec![msg_send(&w.key, &to, &[Coin::new("uglia", 1)])], &p0),
    )?;
    let h0 = rpc.wait_height(rpc.height()? + 1, Duration::from_secs(20))?;

    let p = w.params(&net, &rpc)?;
    assert!(p.sequence >= 1);
    let balance = rpc.balance(&w.address(), "uglia")?;
    let good = |p: &TxParams| w.sign(vec![msg_send(&w.key, &to, &[Coin::new("uglia", 7)])], p);
    let with = |f: &dyn Fn(&mut TxParams)| {
        let mut q = p.clone();
        f(&mut q);
        q
    };
    let high_s = with_raw(&good(&p), |raw| {
        let sig = Signature::from_slice(&raw.signatures[0]).unwrap();
        let (r, s) = sig.split_scalars();
        raw.signatures[0] = Signature::from_scalars(r, -*s).unwrap().to_bytes().to_vec();
    });
    let valid = good(&p);
    let cases = vec![
        Case {
            name: "garbage bytes",
            tx: vec![0xff; 48],
            code: 2,
            log_has: "tx parse error",
        },
        Case {
            name: "truncated protobuf",
            tx: valid[..valid.len() - 7].to_vec(),
            code: 2,
            log_has: "tx parse error",
        },
        Case {
            name: "unknown message type",
            tx: w.sign(
                vec![Any {
                    type_url: "/glia.nothing.v1.MsgNothing".into(),
                    value: vec![],
                }],
                &p,
            ),
            code: 2,
            log_has: "unable to resolve type URL \"/glia.nothing.v1.MsgNothing\"",
        },
        Case {
            name: "wrong chain id",
            tx: good(&with(&|q| q.chain_id = "other-chain-1".into())),
            code: 4,
            log_has: "chain-id (glia-local-1)",
        },
        Case {
            name: "bad signature",
            tx: with_raw(&valid, |raw| raw.signatures[0][10] ^= 0x01),
            code: 4,
            log_has: "signature verification failed",
        },
        Case {
            name: "high-S signature",
            tx: high_s,
            code: 4,
            log_has: "lower-S",
        },
        Case {
            name: "wrong account number",
            tx: good(&with(&|q| q.account_number += 1)),
            code: 4,
            log_has: "verify account number",
        },
        Case {
            name: "stale sequence",
            tx: good(&with(&|q| q.sequence -= 1)),
            code: 32,
            log_has: "account sequence mismatch",
        },
        Case {
            name: "future sequence",
            tx: good(&with(&|q| q.sequence += 5)),
            code: 32,
            log_has: "account sequence mismatch",
        },
        Case {
            name: "fee below the minimum",
            tx: good(&with(&|q| q.fee = vec![Coin::new("uglia", 100)])),
            code: 13,
            log_has: "insufficient fees; got: 100uglia required: 5000uglia",
        },
        Case {
            name: "fee in another denom",
            tx: good(&with(&|q| q.fee = vec![Coin::new("ufake", 5000)])),
            code: 13,
            log_has: "fees are paid in uglia",
        },
        Case {
            name: "gas limit exceeded",
            tx: good(&with(&|q| {
                q.gas_limit = 8_000;
                q.fee = vec![Coin::new("uglia", 200)];
            })),
            code: 11,
            log_has: "out of gas",
        },
        Case {
            name: "oversized tx",
            tx: good(&with(&|q| q.memo = "x".repeat(70_000))),
            code: 21,
            log_has: "the maximum is 65536",
        },
        Case {
            name: "memo too long",
            tx: good(&with(&|q| q.memo = "m".repeat(300))),
            code: 12,
            log_has: "maximum number of characters is 256",
        },
        Case {
            name: "overspend",
            tx: w.sign(vec![send_with(&w, &to, &(balance + 1).to_string())], &p),
            code: 5,
            log_has: "insufficient funds",
        },
        Case {
            name: "invalid bech32 recipient",
            tx: w.sign(vec![send_with(&w, "glia1notanaddress", "5")], &p),
            code: 7,
            log_has: "invalid to address",
        },
        Case {
            name: "zero amount",
            tx: w.sign(vec![send_with(&w, &to, "0")], &p),
            code: 10,
            log_has: "amount must be positive",
        },
        Case {
            name: "negative amount",
            tx: w.sign(vec![send_with(&w, &to, "-5")], &p),
            code: 10,
            log_has: "must be a non-negative integer",
        },
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let r = rpc.broadcast(&c.tx)?;
        println!(
            "{:28} code {:2} {:4} {}",
            c.name, r.code, r.codespace, r.log
        );
        if r.code != c.code || r.codespace != "sdk" || !r.log.contains(c.log_has) {
            failures.push(format!(
                "{}: want code {} (sdk) with log containing {:?}, got code {} ({}) {:?}",
                c.name, c.code, c.log_has, r.code, r.codespace, r.log
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Nothing charged, nothing changed, and the chain goes on.
    rpc.wait_height(h0 + 2, Duration::from_secs(30))?;
    assert_eq!(rpc.balance(&w.address(), "uglia")?, balance);
    assert_eq!(w.numbers(&rpc)?.1, p.sequence);
    // And the account still works.
    let r = deliver(&rpc, &good(&p))?;
    assert_eq!(r["tx_result"]["code"], 0);
    Ok(())
}

/// The attack of a QUBO whose coefficients overflow i128 once scaled (2e29 beside 1e-9): it
/// panicked dev-built nodes through Simulate (no signature, no funds needed) and CheckTx, and
/// would have halted the chain from a block. Every node now refuses it with the neuro module's
/// problem error, charges nothing, and goes on committing blocks.
#[test]
fn an_overflowing_qubo_is_refused_by_every_node_which_keeps_running() -> Result<()> {
    use glia_modules::neuro::handler::proto_format;
    use glia_modules::neuro::problem::Format;
    use glia_proto::cosmos::cosmos::tx::v1beta1::SimulateRequest;
    use glia_proto::neuro::v1::MsgSubmitJob;
    let net = Network::load()?;
    let w = net.wallet("dev2")?;
    let msg = MsgSubmitJob {
        creator: w.address(),
        format: proto_format(Format::Qubo) as i32,
        problem: "p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n".into(),
        block_fee: Some(ProtoCoin {
            denom: "uglia".into(),
            amount: "10".into(),
        }),
        max_blocks: 10,
        solution_reward: Some(ProtoCoin {
            denom: "uglia".into(),
            amount: "100".into(),
        }),
        target_energy: String::new(),
    };
    let balance = net.node(0).balance(&w.address(), "uglia")?;
    for i in 0..net.rpc.len() {
        let rpc = net.node(i);
        let mut p = w.params(&net, &rpc)?;
        let (fee, gas) = (p.fee.clone(), p.gas_limit);
        p.fee = vec![];
        p.gas_limit = 0;
        let mut raw = TxRaw::decode(w.sign(vec![any(&msg)], &p).as_slice())?;
        raw.signatures = vec![vec![]];
        let req = SimulateRequest {
            tx_bytes: raw.encode_to_vec(),
            ..Default::default()
        };
        let r = rpc.abci_query(
            "/cosmos.tx.v1beta1.Service/Simulate",
            &req.encode_to_vec(),
            0,
        )?;
        assert_ne!(r.code, 0, "node {i}: Simulate accepted it");
        assert!(
            r.log.contains("line 2") && r.log.contains("too large"),
            "node {i}: Simulate: {}",
            r.log
        );
        (p.fee, p.gas_limit) = (fee, gas);
        let b = rpc.broadcast(&w.sign(vec![any(&msg)], &p))?;
        assert_eq!(
            (b.code, b.codespace.as_str()),
            (3, "neuro"),
            "node {i}: {}",
            b.log
        );
        assert!(b.log.contains("too large"), "node {i}: {}", b.log);
    }
    for i in 0..net.rpc.len() {
        let rpc = net.node(i);
        let h = rpc.height()?;
        rpc.wait_height(h + 2, Duration::from_secs(30))?;
    }
    assert_eq!(
        net.node(0).balance(&w.address(), "uglia")?,
        balance,
        "nothing charged"
    );
    Ok(())
}
