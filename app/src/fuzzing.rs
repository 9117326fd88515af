//! The decode → ante → execute path on arbitrary bytes, over a fixed genesis state: shared by
//! the cargo-fuzz target (`fuzz/`) and the mutation test that runs with the unit tests.

use crate::client::{msg_send, sign_tx, TxParams};
use crate::genesis;
use crate::keys::Key;
use crate::params::ChainParams;
use crate::tx::ante::Env;
use crate::tx::sigverify::SigCache;
use crate::tx::{decode_tx, run_tx, Mode, TxOutcome};
use glia_modules::coins::Coin;
use glia_modules::store::MemStore;
use glia_modules::{BlockInfo, ReadOnly};
use std::sync::OnceLock;

pub const CHAIN_ID: &str = "glia-fuzz-1";

struct Fixture {
    state: MemStore,
    params: ChainParams,
    sigs: SigCache,
    block: BlockInfo,
}

/// The funded key of the fuzz genesis.
pub fn funded_key() -> Key {
    Key::from_seed(b"glia fuzz funded account")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let app_state = serde_json::json!({"bank": {"balances": [
            {"address": funded_key().address.to_bech32(), "coins": [{"denom": "uglia", "amount": "1000000000"}]}
        ]}});
        let mut state = MemStore::default();
        let changes = genesis::build(&state, &genesis::InitChain { chain_id: CHAIN_ID, ..Default::default() }, app_state.to_string().as_bytes()).expect("genesis");
        state.apply(changes);
        let params = ChainParams::load(&mut ReadOnly(&state)).expect("params");
        let block = BlockInfo { chain_id: CHAIN_ID.into(), height: 2, time_unix: 1_700_000_000 };
        Fixture { state, params, sigs: SigCache::default(), block }
    })
}

/// A valid signed tx of the fuzz genesis, as a seed for mutation.
pub fn seed_tx(amount: u128, memo: &str) -> Vec<u8> {
    let k = funded_key();
    let acc = glia_modules::auth::get_account(&mut ReadOnly(&fixture().state), &k.address)
        .expect("state readable")
        .expect("funded account exists");
    let p = TxParams {
        chain_id: CHAIN_ID.into(),
        account_number: acc.account_number,
        sequence: 0,
        fee: vec![Coin::new("uglia", 5000)],
        gas_limit: 200_000,
        memo: memo.into(),
    };
    let to = Key::from_seed(b"fuzz recipient").address.to_bech32();
    sign_tx(
        &k,
        vec![msg_send(&k, &to, &[Coin::new("uglia", amount)])],
        &p,
    )
}

/// Runs arbitrary bytes through the tx pipeline in every mode. Must never panic.
pub fn check_tx_bytes(data: &[u8]) -> Option<TxOutcome> {
    let f = fixture();
    let price = f.params.gas_price().expect("price");
    let tx = decode_tx(data, f.params.max_tx_bytes as usize).ok()?;
    let env = Env {
        params: &f.params,
        gas_price: &price,
        local_min_gas_price: None,
        sigs: &f.sigs,
        block: &f.block,
    };
    let _ = run_tx(&f.state, &tx, Mode::Simulate, &env);
    let _ = run_tx(&f.state, &tx, Mode::Deliver, &env);
    Some(run_tx(&f.state, &tx, Mode::Check, &env))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_tx_passes_and_conserves_supply() {
        let out = check_tx_bytes(&seed_tx(10, "")).expect("decodes");
        assert_eq!(out.code, 0, "{}", out.log);
        let mut after = fixture().state.clone();
        after.apply(out.changes);
        glia_modules::bank::invariants::check(&mut ReadOnly(&after)).unwrap();
    }

    /// Deterministic mutations of valid txs (bit flips, truncations, splices, length-field
    /// damage): nothing panics, and the same bytes always give the same answer.
    #[test]
    fn mutated_txs_never_panic_and_answer_deterministically() {
        let seeds = [
            seed_tx(10, ""),
            seed_tx(u128::MAX, "memo"),
            seed_tx(1, &"z".repeat(200)),
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut decoded = 0;
        for i in 0..6000 {
            let mut t = seeds[i % seeds.len()].clone();
            for _ in 0..(1 + rnd() % 4) {
                let len = t.len().max(1);
                match rnd() % 5 {
                    0 => {
                        let p = (rnd() as usize) % len;
                        if p < t.len() {
                            t[p] ^= 1 << (rnd() % 8);
                        }
                    }
                    1 => t.truncate((rnd() as usize) % len),
                    2 => {
                        let p = (rnd() as usize) % len;
                        if p < t.len() {
                            t[p] = [0x00, 0x7f, 0x80, 0xff][(rnd() % 4) as usize];
                        }
                    }
                    3 => {
                        let p = (rnd() as usize) % len;
                        let extra: Vec<u8> = (0..(rnd() % 16)).map(|_| rnd() as u8).collect();
                        t.splice(p.min(t.len())..p.min(t.len()), extra);
                    }
                    _ => {
                        let p = (rnd() as usize) % len;
                        t.drain(p.min(t.len())..(p + 3).min(t.len()));
                    }
                }
            }
            let a = check_tx_bytes(&t).map(|o| (o.code, o.log, o.gas_used));
            let b = check_tx_bytes(&t).map(|o| (o.code, o.log, o.gas_used));
            assert_eq!(a, b, "nondeterministic answer for mutation {i}");
            decoded += a.is_some() as usize;
        }
        assert!(
            decoded > 100,
            "mutations rarely decode ({decoded}); the test exercises too little"
        );
    }
}
