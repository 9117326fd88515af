//! The decode → ante → execute path on arbitrary bytes, over a fixed genesis state: shared by
//! the cargo-fuzz target (`fuzz/`) and the mutation test that runs with the unit tests.

use crate::genesis;
use crate::params::ChainParams;
use crate::tx::ante::Env;
use crate::tx::sigverify::SigCache;
use crate::tx::{decode_tx, run_tx, Mode, TxOutcome};
use glia_client::keys::Key;
use glia_client::tx::{msg_send, sign_tx, TxParams};
use glia_modules::coins::Coin;
use glia_modules::store::MemStore;
use glia_modules::{BlockInfo, ReadOnly};
use std::sync::OnceLock;

mod qubo_reference;

pub const CHAIN_ID: &str = "glia-fuzz-1";

struct Fixture {
    state: MemStore,
    params: ChainParams,
    sigs: SigCache,
    block: BlockInfo,
    components: glia_modules::component::Components,
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
        let components = crate::components::glia(std::sync::Arc::new(glia_modules::component::NoNode));
        let mut state = MemStore::default();
        let changes = genesis::build(&state, &components, &genesis::InitChain { chain_id: CHAIN_ID, ..Default::default() }, app_state.to_string().as_bytes()).expect("genesis").0;
        state.apply(changes);
        let params = ChainParams::load(&mut ReadOnly(&state)).expect("params");
        let block = BlockInfo { chain_id: CHAIN_ID.into(), height: 2, time_unix: 1_700_000_000, ..Default::default() };
        Fixture { state, params, sigs: SigCache::default(), block, components }
    })
}

/// The funded account's first tx's parameters, paying `fee` uglia for `gas_limit`.
fn funded_params(fee: u128, gas_limit: u64, memo: &str) -> TxParams {
    let acc =
        glia_modules::auth::get_account(&mut ReadOnly(&fixture().state), &funded_key().address)
            .expect("state readable")
            .expect("funded account exists");
    TxParams {
        chain_id: CHAIN_ID.into(),
        account_number: acc.account_number,
        sequence: 0,
        fee: vec![Coin::new("uglia", fee)],
        gas_limit,
        memo: memo.into(),
    }
}

/// A valid signed tx of the fuzz genesis, as a seed for mutation.
pub fn seed_tx(amount: u128, memo: &str) -> Vec<u8> {
    let k = funded_key();
    let p = funded_params(5000, 200_000, memo);
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
    let tx = decode_tx(&f.components, data, f.params.max_tx_bytes as usize).ok()?;
    let env = Env {
        params: &f.params,
        gas_price: &price,
        local_min_gas_price: None,
        sigs: &f.sigs,
        block: &f.block,
        components: &f.components,
    };
    let _ = run_tx(&f.state, &tx, Mode::Simulate, &env);
    let _ = run_tx(&f.state, &tx, Mode::Deliver, &env);
    Some(run_tx(&f.state, &tx, Mode::Check, &env))
}

/// Parses arbitrary bytes as a neuro problem (the first byte picks CNF, WCNF or QUBO) under
/// small limits, and checks what parses: energies computable for assignments drawn from the
/// input, the packed form round-trips, and a QUBO's clause form gives the same energies.
/// Must never panic.
pub fn check_problem_bytes(data: &[u8]) -> Option<i64> {
    use glia_modules::neuro::problem::{pack, unpack, Format, Limits, Problem};
    let (first, rest) = data.split_first()?;
    let format = [Format::Cnf, Format::Wcnf, Format::Qubo][usize::from(*first % 3)];
    let text = std::str::from_utf8(rest).ok()?;
    let limits = Limits {
        max_vars: 4096,
        max_clauses: 4096,
        max_literals: 16_384,
    };
    let parsed = Problem::parse(format, text, &limits);
    if format == Format::Qubo {
        qubo_reference::check(text, &parsed, data);
    }
    let p = parsed.ok()?;
    let n = p.num_vars() as usize;
    let mut last = None;
    for salt in 0..3u8 {
        let x: Vec<bool> = (0..n)
            .map(|i| data[i % data.len()].rotate_left(u32::from(salt)) >> (i % 8) & 1 == 1)
            .collect();
        let packed = pack(&x);
        assert_eq!(unpack(&packed, n as u32).ok()?, x, "pack/unpack round trip");
        let e = p.energy(&x);
        assert_eq!(
            e,
            p.energy_packed(&packed),
            "packed and unpacked energies differ"
        );
        if let (Problem::Qubo(q), Ok(e)) = (&p, &e) {
            let (c, k) = q.to_clauses();
            let via = Problem::MaxSat(c)
                .energy(&x)
                .expect("QUBO clauses are all soft");
            assert_eq!(via + k, *e, "QUBO clause mapping disagrees");
        }
        last = e.ok();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic mutations of valid problem texts: no panic, and the checks of
    /// `check_problem_bytes` hold for everything that still parses.
    #[test]
    fn attack_mutated_problems_never_panic_and_verify_consistently() {
        let seeds: [&[u8]; 8] = [
            b"\x00p cnf 5 3\n1 -2 0\n2 3 -5 0\n-1 4 0\n",
            b"\x01p wcnf 3 3 10\n10 1 2 0\n3 -1 0\n4 -2 3 0\n",
            b"\x01h 1 2 0\n3 -1 0\n7 2 0\n",
            b"\x02p qubo 3 4 1.5\n0 0 -1\n0 1 2\n1 1 0.25\n1 2 -3e-1\n",
            // Near the bounds: scaling to 10^9 overflows i128 or passes 2^62, or just stays below.
            b"\x02p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n",
            b"\x02p qubo 2 3 -4e9\n0 0 4611686018\n1 1 -1e-9\n0 0 -3e9\n",
            b"\x02p qubo 3 3 9e17\n0 1 3e18\n0 1 -3e18\n2 2 4.6e18\n",
            // Found by the fuzzer: a malformed header that echoes "2^62" in its error.
            b"\x02p \x00d 6 2 2 6 2 \x02p qubo 2!61\x00d\x00o 2^6216 \n",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const ALPHABET: &[u8] = b"0123456789- \n.epcnfquwh";
        for s in seeds {
            check_problem_bytes(s);
        }
        let mut parsed = 0;
        for i in 0..40_000 {
            let mut t = seeds[i % seeds.len()].to_vec();
            for _ in 0..(1 + rnd() % 3) {
                let len = t.len();
                let p = 1 + (rnd() as usize) % (len - 1).max(1);
                match rnd() % 4 {
                    0 if p < t.len() => t[p] = ALPHABET[(rnd() as usize) % ALPHABET.len()],
                    1 => t.truncate(p.max(1)),
                    2 if p < t.len() => {
                        t.remove(p);
                    }
                    _ => t.insert(p.min(t.len()), ALPHABET[(rnd() as usize) % 13]),
                }
            }
            parsed += check_problem_bytes(&t).is_some() as usize;
        }
        assert!(
            parsed > 1000,
            "mutations rarely parse ({parsed}): the test exercises too little"
        );
    }

    /// The attack of a QUBO whose coefficients overflow i128 once scaled (2e29 beside 1e-9):
    /// through decode → ante → execute in Simulate, Deliver and Check modes it is refused with
    /// the neuro module's problem error naming the line, and panics nowhere
    /// (before the fix, dev builds panicked here and release builds wrapped).
    #[test]
    fn attack_an_overflowing_qubo_is_refused_not_a_panic() {
        use glia_modules::neuro::handler::proto_format;
        use glia_modules::neuro::problem::Format;
        use glia_proto::neuro::v1::MsgSubmitJob;
        let k = funded_key();
        let msg = MsgSubmitJob {
            creator: k.address.to_bech32(),
            format: proto_format(Format::Qubo) as i32,
            problem: "p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n".into(),
            block_fee: Some(Coin::new("uglia", 10).to_proto()),
            max_blocks: 10,
            solution_reward: Some(Coin::new("uglia", 100).to_proto()),
            target_energy: String::new(),
        };
        let tx = sign_tx(
            &k,
            vec![glia_client::tx::any(&msg)],
            &funded_params(10_000, 400_000, ""),
        );
        let out = std::panic::catch_unwind(|| check_tx_bytes(&tx))
            .expect("the tx pipeline panicked")
            .expect("decodes");
        assert_eq!(out.codespace, "neuro", "{}", out.log);
        assert_eq!(out.code, 3, "{}", out.log);
        assert!(
            out.log.contains("line 2") && out.log.contains("too large"),
            "{}",
            out.log
        );
    }

    /// Coins sent to a bech32m spelling of an address would sit under a second state key that
    /// the key's owner never reads: the send is refused as an invalid address.
    #[test]
    fn attack_a_send_to_a_bech32m_spelling_is_refused() {
        let k = funded_key();
        let to = Key::from_seed(b"bech32m recipient").address;
        let hrp = bech32::Hrp::parse("glia").unwrap();
        let m = bech32::encode::<bech32::Bech32m>(hrp, to.as_bytes()).unwrap();
        let p = funded_params(5000, 200_000, "");
        let tx = sign_tx(&k, vec![msg_send(&k, &m, &[Coin::new("uglia", 7)])], &p);
        assert!(
            check_tx_bytes(&tx).is_none(),
            "refused when the tx is decoded"
        );
        let e = decode_tx(
            &fixture().components,
            &tx,
            fixture().params.max_tx_bytes as usize,
        )
        .expect_err("refused");
        assert_eq!((e.code, e.codespace), (7, "sdk"), "{}", e.log);
        assert!(e.log.contains("bech32m"), "{}", e.log);
        // The bech32 spelling of the same bytes is accepted.
        let tx = sign_tx(
            &k,
            vec![msg_send(&k, &to.to_bech32(), &[Coin::new("uglia", 7)])],
            &p,
        );
        assert_eq!(check_tx_bytes(&tx).expect("decodes").code, 0);
    }

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
    fn attack_mutated_txs_never_panic_and_answer_deterministically() {
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
