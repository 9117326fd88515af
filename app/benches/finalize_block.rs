//! FinalizeBlock throughput for blocks of signed MsgSends, in process, against the machine's
//! raw k256 verification rate measured in the same run.
//!
//!   cargo bench -p gliad --bench finalize_block --profile dev [-- BLOCKS TXS_PER_BLOCK]
//!
//! Two cases: "cold" (signature cache empty: every signature is verified, spread over all
//! cores, before the txs run in order) and "after CheckTx" (the txs came through this node's
//! mempool first, so their verification results are reused). CheckTx throughput is printed too.

use glia_client::keys::Key;
use glia_client::tx::{msg_send, sign_tx, TxParams};
use glia_modules::coins::Coin;
use gliad::app::{App, NodeConfig};
use gliad::storage::Store;
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use std::time::Instant;
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{RequestCheckTx, RequestFinalizeBlock, RequestInitChain};

const CHAIN: &str = "glia-bench-1";

/// Signatures per second over 256 signed docs of one key, `threads` at a time, each check
/// done by `check` (which must accept).
fn verify_rate(
    threads: usize,
    per_thread: usize,
    check: impl Fn(&VerifyingKey, &[u8], &Signature) -> bool + Sync,
) -> f64 {
    let sk = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let vk = VerifyingKey::from(&sk);
    let items: Vec<(Vec<u8>, Signature)> = (0..256u32)
        .map(|i| {
            let m = format!("sign doc {i}").repeat(8).into_bytes();
            let s: Signature = sk.sign(&m);
            (m, s.normalize_s().unwrap_or(s))
        })
        .collect();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for i in 0..per_thread {
                    let (m, sig) = &items[i % items.len()];
                    assert!(check(&vk, m, sig));
                }
            });
        }
    });
    (threads * per_thread) as f64 / t.elapsed().as_secs_f64()
}

/// k256's own verification: the ceiling the targets are stated against.
fn raw_verify_rate(threads: usize, per_thread: usize) -> f64 {
    verify_rate(threads, per_thread, |vk, m, sig| vk.verify(m, sig).is_ok())
}

/// The same checks through gliad's per-key fixed-base table (keys seen more than once).
fn table_verify_rate(threads: usize, per_thread: usize) -> f64 {
    use gliad::tx::keytable;
    let vk = VerifyingKey::from(&SigningKey::from_slice(&[9u8; 32]).unwrap());
    let table = keytable::Table::new(&(*vk.as_affine()).into());
    verify_rate(threads, per_thread, |_, m, sig| {
        keytable::verify(&table, m, sig)
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter("gliad=info")
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let blocks = *args.first().unwrap_or(&4);
    let per_block = *args.get(1).unwrap_or(&2000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let one = raw_verify_rate(1, 4000);
    let all = raw_verify_rate(cores, 4000);
    let table_one = table_verify_rate(1, 4000);

    let dir = std::env::temp_dir().join(format!("glia-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Store::open(&dir, rt.handle().clone()).unwrap();
    let app = App::new(store, NodeConfig::default());
    let keys: Vec<Key> = (0..per_block)
        .map(|i| Key::from_seed(format!("bench {i}").as_bytes()))
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .map(|k| serde_json::json!({"address": k.address.to_bech32(), "coins": [{"denom": "uglia", "amount": "1000000000000"}]}))
        .collect();
    let genesis = serde_json::json!({"bank": {"balances": balances}});
    app.init_chain(RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: genesis.to_string().into_bytes().into(),
        ..Default::default()
    });
    // Account numbers: the fee collector takes 0 at genesis, then accounts in genesis order.
    let numbers: Vec<u64> = (1..=keys.len() as u64).collect();
    let sink = Key::from_seed(b"bench sink").address.to_bech32();
    let make_block = |seq: u64| -> Vec<Vec<u8>> {
        keys.iter()
            .zip(&numbers)
            .map(|(k, n)| {
                let p = TxParams {
                    chain_id: CHAIN.into(),
                    account_number: *n,
                    sequence: seq,
                    fee: vec![Coin::new("uglia", 2500)],
                    gas_limit: 100_000,
                    memo: String::new(),
                };
                sign_tx(k, vec![msg_send(k, &sink, &[Coin::new("uglia", 1)])], &p)
            })
            .collect()
    };
    let finalize = |height: u64, txs: &[Vec<u8>]| -> (f64, f64) {
        let t = Instant::now();
        let r = app.finalize_block(RequestFinalizeBlock {
            txs: txs.iter().map(|t| t.clone().into()).collect(),
            height: height as i64,
            time: Some(Timestamp {
                seconds: 1_700_000_000 + height as i64,
                nanos: 0,
            }),
            ..Default::default()
        });
        let fin = t.elapsed().as_secs_f64();
        let failed = r.tx_results.iter().filter(|x| x.code != 0).count();
        assert_eq!(
            failed,
            0,
            "{failed} txs failed: {}",
            r.tx_results.iter().find(|x| x.code != 0).unwrap().log
        );
        let t = Instant::now();
        app.commit();
        (fin, t.elapsed().as_secs_f64())
    };
    // Block 1 applies genesis; it is not measured.
    finalize(1, &[]);

    let (mut cold, mut warm, mut check, mut commit) = (0.0, 0.0, 0.0, 0.0);
    let (mut cold_n, mut warm_n) = (0, 0);
    for b in 0..blocks {
        let height = 2 + 2 * b as u64;
        let txs = make_block(2 * b as u64);
        app.0.sigs.clear();
        let (f, c) = finalize(height, &txs);
        cold += f;
        commit += c;
        cold_n += txs.len();

        let txs = make_block(2 * b as u64 + 1);
        let t = Instant::now();
        for tx in &txs {
            let r = app.check_tx(RequestCheckTx {
                tx: tx.clone().into(),
                ..Default::default()
            });
            assert_eq!(r.code, 0, "{}", r.log);
        }
        check += t.elapsed().as_secs_f64();
        let (f, c) = finalize(height + 1, &txs);
        warm += f;
        commit += c;
        warm_n += txs.len();
    }
    let cold_tps = cold_n as f64 / cold;
    let warm_tps = warm_n as f64 / warm;
    println!(
        "FinalizeBlock benchmark: {blocks}+{blocks} blocks of {per_block} MsgSend, {cores} cores"
    );
    println!("{:44} {:>10}", "", "tx/s");
    println!("{:44} {:>10.0}", "raw k256 verify, 1 core", one);
    println!(
        "{:44} {:>10.0}",
        format!("raw k256 verify, {cores} cores (ceiling)"),
        all
    );
    println!(
        "{:44} {:>10.0}   {:.2}x k256",
        "verify through a key's table, 1 core",
        table_one,
        table_one / one
    );
    println!(
        "{:44} {:>10.0}   {:.2} of ceiling",
        "FinalizeBlock, cold (all sigs verified)",
        cold_tps,
        cold_tps / all
    );
    println!(
        "{:44} {:>10.0}   {:.2} of ceiling",
        "FinalizeBlock, after CheckTx (sigs reused)",
        warm_tps,
        warm_tps / all
    );
    println!(
        "{:44} {:>10.0}",
        "CheckTx (sequential, one connection)",
        warm_n as f64 / check
    );
    println!(
        "{:44} {:>10.1} ms/block",
        "Commit (RocksDB write)",
        1000.0 * commit / (2 * blocks) as f64
    );
    std::fs::remove_dir_all(&dir).ok();
}
