//! Staking through the message router, block by block: genesis validators bonded through
//! MsgCreateValidator's path, delegations, unbonding, redelegation, the bonded set by power,
//! and the bad inputs with their SDK codes. The invariants are checked after every block.

use super::state::{self, status, BONDED_POOL, NOT_BONDED_POOL};
use super::validators;
use crate::address::Address;
use crate::component::{
    AppBuilder, BlockContext, CommitVote, Components, GenesisInfo, Misbehaviour, MisbehaviourKind,
};
use crate::context::{BlockInfo, Ctx, ReadOnly};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::gas::GasMeter;
use crate::store::MemStore;
use base64::Engine;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgBeginRedelegate, MsgCancelUnbondingDelegation,
    MsgCreateValidator, MsgDelegate, MsgEditValidator, MsgUndelegate,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

const FUNDS: u128 = 1_000_000_000_000;
const BOND: u128 = 100_000_000;
const UNBONDING: i64 = 240;
const BLOCK_SECONDS: i64 = 5;

struct Net {
    app: Components,
    store: MemStore,
    height: u64,
    time: i64,
    /// Operators of the genesis validators, then plain accounts.
    ops: Vec<Address>,
    users: Vec<Address>,
}

fn any<M: Message + Name>(m: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: "uglia".into(),
        amount: amount.to_string(),
    })
}

fn cons_key(i: usize) -> Vec<u8> {
    ed25519_consensus::SigningKey::from([i as u8 + 40; 32])
        .verification_key()
        .to_bytes()
        .to_vec()
}

impl Net {
    /// `n` genesis validators bonding `BOND` each, `users` funded accounts, the set capped
    /// at `max_validators`.
    fn new(n: usize, users: usize, max_validators: u32) -> Net {
        let app = AppBuilder::new()
            .with(crate::auth::component::Auth)
            .with(crate::bank::component::Bank::default())
            .with(super::component::Staking)
            .with(crate::slashing::component::Slashing)
            .begin_order(&[super::component::NAME, crate::slashing::component::NAME])
            .end_order(&[super::component::NAME])
            .build()
            .unwrap();
        let ops: Vec<Address> = (0..n)
            .map(|i| Address::module(&format!("test operator {i}")))
            .collect();
        let users: Vec<Address> = (0..users)
            .map(|i| Address::module(&format!("test user {i}")))
            .collect();
        let mut all: Vec<&Address> = ops.iter().chain(&users).collect();
        all.sort_by_key(|a| a.to_bech32());
        let balances: Vec<_> = all
            .iter()
            .map(|a| {
                serde_json::json!({"address": a.to_bech32(),
                    "coins": [{"denom": "uglia", "amount": FUNDS.to_string()}]})
            })
            .collect();
        let gentxs: Vec<_> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                serde_json::json!({"operator": op.to_bech32(),
                    "consensus_pubkey": base64::engine::general_purpose::STANDARD.encode(cons_key(i)),
                    "self_bond": BOND.to_string(), "moniker": format!("v{i}"),
                    "commission_rate": "0.1", "commission_max_rate": "0.2",
                    "commission_max_change_rate": "0.01"})
            })
            .collect();
        let sections = serde_json::json!({
            "bank": {"balances": balances},
            "staking": {"params": {"unbonding_seconds": UNBONDING, "max_validators": max_validators},
                        "validators": gentxs},
            "slashing": {"signed_blocks_window": 10, "min_signed_per_window": "0.5",
                         "downtime_jail_seconds": 60},
        });
        let mut net = Net {
            app,
            store: MemStore::default(),
            height: 0,
            time: 1_000_000,
            ops,
            users,
        };
        let updates = net
            .step(|app, ctx, block| {
                let s = sections.as_object().unwrap();
                app.init_genesis(ctx, &GenesisInfo::default(), s)?;
                app.validator_updates(ctx, block)
            })
            .unwrap();
        assert_eq!(updates.len(), n.min(max_validators as usize));
        net
    }

    fn step<T>(
        &mut self,
        f: impl FnOnce(&Components, &mut Ctx<'_>, &BlockContext) -> AppResult<T>,
    ) -> AppResult<T> {
        let block = BlockContext {
            info: BlockInfo {
                chain_id: "glia-test".into(),
                height: self.height,
                time_unix: self.time,
                proposer: String::new(),
            },
            ..Default::default()
        };
        let mut ctx = Ctx::new(&self.store, GasMeter::infinite(), &block.info);
        let out = f(&self.app, &mut ctx, &block)?;
        self.app.check_invariants(&mut ctx)?;
        self.store.apply(ctx.into_parts().0);
        Ok(out)
    }

    /// One block carrying `msgs` (each with its signer); returns each message's result and
    /// the block's validator updates.
    fn block(&mut self, msgs: Vec<(Any, Address)>) -> (Vec<AppResult<Any>>, Vec<ValidatorUpdate>) {
        self.block_with(msgs, &[], Vec::new())
    }

    /// A block whose last commit was signed by every validator of the signing set except
    /// `absent`, and which carries `misbehaviour`.
    fn block_with(
        &mut self,
        msgs: Vec<(Any, Address)>,
        absent: &[usize],
        misbehaviour: Vec<Misbehaviour>,
    ) -> (Vec<AppResult<Any>>, Vec<ValidatorUpdate>) {
        self.height += 1;
        self.time += BLOCK_SECONDS;
        let absent: Vec<String> = absent
            .iter()
            .map(|i| hex::encode_upper(state::consensus_address(&cons_key(*i))))
            .collect();
        let last_commit: Vec<CommitVote> = state::validators(&mut self.kv())
            .unwrap()
            .iter()
            .map(|v| {
                let validator = hex::encode_upper(state::consensus_address(&v.pubkey));
                CommitVote {
                    signed: !absent.contains(&validator),
                    validator,
                    power: v.power,
                }
            })
            .collect();
        self.step(|app, ctx, block| {
            let block = &BlockContext {
                last_commit,
                misbehaviour,
                ..block.clone()
            };
            app.begin_block(ctx, block)?;
            let results = msgs
                .iter()
                .map(|(m, signer)| app.dispatch(ctx, m, signer))
                .collect();
            app.end_block(ctx, block)?;
            Ok((results, app.validator_updates(ctx, block)?))
        })
        .unwrap()
    }

    /// One message in a block of its own; its result.
    fn run(&mut self, m: Any, signer: &Address) -> AppResult<Any> {
        self.block(vec![(m, signer.clone())]).0.remove(0)
    }

    fn blocks(&mut self, n: usize) {
        for _ in 0..n {
            self.block(vec![]);
        }
    }

    fn kv(&self) -> ReadOnly<'_> {
        ReadOnly(&self.store)
    }

    fn balance(&self, a: &Address) -> u128 {
        crate::bank::state::balance(&mut self.kv(), a, "uglia").unwrap()
    }

    fn record(&self, op: &Address) -> Option<state::Record> {
        state::record(&mut self.kv(), op).unwrap()
    }

    fn tokens(&self, op: &Address) -> u128 {
        validators::tokens(&self.record(op).unwrap()).unwrap()
    }

    fn signing_power(&self, i: usize) -> i64 {
        state::validator(&mut self.kv(), &state::consensus_address(&cons_key(i)))
            .unwrap()
            .map_or(0, |v| v.power)
    }
}

fn delegate(del: &Address, op: &Address, amount: u128) -> Any {
    any(MsgDelegate {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        amount: coin(amount),
    })
}

fn undelegate(del: &Address, op: &Address, amount: u128) -> Any {
    any(MsgUndelegate {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        amount: coin(amount),
    })
}

fn redelegate(del: &Address, src: &Address, dst: &Address, amount: u128) -> Any {
    any(MsgBeginRedelegate {
        delegator_address: del.to_bech32(),
        validator_src_address: src.to_valoper(),
        validator_dst_address: dst.to_valoper(),
        amount: coin(amount),
    })
}

fn rates(rate: &str, max: &str, change: &str) -> Option<CommissionRates> {
    let d = |s: &str| Dec::parse(s).unwrap().to_proto();
    Some(CommissionRates {
        rate: d(rate),
        max_rate: d(max),
        max_change_rate: d(change),
    })
}

fn create(op: &Address, key: Vec<u8>, bond: u128, r: Option<CommissionRates>) -> Any {
    #[allow(deprecated)]
    any(MsgCreateValidator {
        description: Some(Description {
            moniker: "new".into(),
            ..Default::default()
        }),
        commission: r,
        min_self_delegation: "1000".into(),
        delegator_address: String::new(),
        validator_address: op.to_valoper(),
        pubkey: Some(validators::pack_pubkey(&key)),
        value: coin(bond),
    })
}

fn code(r: AppResult<Any>) -> (&'static str, u32, String) {
    let e: AppError = r.unwrap_err();
    (e.codespace, e.code, e.log)
}

/// Genesis validators are created and self-bonded by MsgCreateValidator's own path: their
/// tokens sit in the bonded pool, their operators paid for them, and InitChain's set is
/// theirs with power = tokens / 10^6.
#[test]
fn genesis_validators_are_bonded_through_the_create_path() {
    let net = Net::new(3, 0, 10);
    for (i, op) in net.ops.iter().enumerate() {
        let r = net.record(op).unwrap();
        assert_eq!(r.status, status::BONDED);
        assert_eq!(validators::tokens(&r).unwrap(), BOND);
        assert_eq!(net.balance(op), FUNDS - BOND);
        assert_eq!(net.signing_power(i), (BOND / 1_000_000) as i64);
    }
    assert_eq!(net.balance(&Address::module(BONDED_POOL)), 3 * BOND);
    assert_eq!(net.balance(&Address::module(NOT_BONDED_POOL)), 0);
}

/// A delegation raises the validator's power in the block's updates, and CometBFT's signing
/// set takes it two blocks later; an undelegation pays out only after the unbonding period.
#[test]
fn delegate_then_undelegate_through_the_unbonding_period() {
    let mut net = Net::new(2, 1, 10);
    let (user, op) = (net.users[0].clone(), net.ops[0].clone());
    let (r, updates) = net.block(vec![(delegate(&user, &op, 50_000_000), user.clone())]);
    r[0].as_ref().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 150);
    assert_eq!(net.signing_power(0), 100, "not before CometBFT applies it");
    net.blocks(1);
    assert_eq!(net.signing_power(0), 100);
    net.blocks(1);
    assert_eq!(
        net.signing_power(0),
        150,
        "two blocks after it was returned"
    );
    assert_eq!(net.balance(&user), FUNDS - 50_000_000);

    net.run(undelegate(&user, &op, 20_000_000), &user).unwrap();
    assert_eq!(net.tokens(&op), BOND + 30_000_000);
    assert_eq!(net.balance(&Address::module(NOT_BONDED_POOL)), 20_000_000);
    let u = state::ubd(&mut net.kv(), &user, &op).unwrap().unwrap();
    assert_eq!(u.entries.len(), 1);
    assert_eq!(u.entries[0].balance, "20000000");
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize - 2);
    assert_eq!(
        net.balance(&user),
        FUNDS - 50_000_000,
        "not paid before the period ends"
    );
    net.blocks(2);
    assert_eq!(net.balance(&user), FUNDS - 30_000_000);
    assert!(state::ubd(&mut net.kv(), &user, &op).unwrap().is_none());
    assert_eq!(net.balance(&Address::module(NOT_BONDED_POOL)), 0);
}

/// A redelegation moves the tokens at once; moving them on again before the source's
/// unbonding period ends is refused (code 32), and allowed after it.
#[test]
fn redelegation_moves_at_once_and_cannot_hop_on() {
    let mut net = Net::new(3, 1, 10);
    let user = net.users[0].clone();
    let [a, b, c] = [net.ops[0].clone(), net.ops[1].clone(), net.ops[2].clone()];
    net.run(delegate(&user, &a, 10_000_000), &user).unwrap();
    net.run(redelegate(&user, &a, &b, 4_000_000), &user)
        .unwrap();
    assert_eq!(net.tokens(&a), BOND + 6_000_000);
    assert_eq!(net.tokens(&b), BOND + 4_000_000);
    let (space, c32, log) = code(net.run(redelegate(&user, &b, &c, 1_000_000), &user));
    assert_eq!((space, c32), ("staking", 32), "{log}");
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 1);
    assert!(state::red(&mut net.kv(), &user, &a, &b).unwrap().is_none());
    net.run(redelegate(&user, &b, &c, 1_000_000), &user)
        .unwrap();
    assert_eq!(net.tokens(&c), BOND + 1_000_000);
}

/// Cancelling part of an undelegation puts it back into the delegation at once.
#[test]
fn cancelling_an_undelegation_rebonds_it() {
    let mut net = Net::new(1, 1, 10);
    let (user, op) = (net.users[0].clone(), net.ops[0].clone());
    net.run(delegate(&user, &op, 10_000_000), &user).unwrap();
    net.run(undelegate(&user, &op, 6_000_000), &user).unwrap();
    let height = net.height as i64;
    let cancel = |amount: u128, h: i64| {
        any(MsgCancelUnbondingDelegation {
            delegator_address: user.to_bech32(),
            validator_address: op.to_valoper(),
            amount: coin(amount),
            creation_height: h,
        })
    };
    let (_, c, log) = code(net.run(cancel(1, height + 7), &user));
    assert_eq!(c, 41, "{log}");
    let (_, c, log) = code(net.run(cancel(7_000_000, height), &user));
    assert_eq!(c, 18, "{log}");
    net.run(cancel(4_000_000, height), &user).unwrap();
    assert_eq!(net.tokens(&op), BOND + 8_000_000);
    let u = state::ubd(&mut net.kv(), &user, &op).unwrap().unwrap();
    assert_eq!(u.entries[0].balance, "2000000");
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 1);
    assert_eq!(net.balance(&user), FUNDS - 8_000_000);
}

/// With room for two, the two highest powers are bonded; a delegation that lifts the third
/// above one of them swaps them, and the tokens move between the pools with their status.
#[test]
fn the_bonded_set_is_the_highest_powers() {
    let mut net = Net::new(3, 1, 2);
    let user = net.users[0].clone();
    let ops = net.ops.clone();
    let bonded: Vec<i32> = ops.iter().map(|o| net.record(o).unwrap().status).collect();
    assert_eq!(bonded.iter().filter(|s| **s == status::BONDED).count(), 2);
    let out = ops
        .iter()
        .position(|o| net.record(o).unwrap().status != status::BONDED)
        .unwrap();
    assert_eq!(net.balance(&Address::module(NOT_BONDED_POOL)), BOND);
    let (r, updates) = net.block(vec![(delegate(&user, &ops[out], 1_000_000), user.clone())]);
    r[0].as_ref().unwrap();
    assert_eq!(updates.len(), 2, "one joins, one leaves: {updates:?}");
    assert!(updates.iter().any(|u| u.power == 101));
    assert!(updates.iter().any(|u| u.power == 0));
    assert_eq!(net.record(&ops[out]).unwrap().status, status::BONDED);
    let left = ops
        .iter()
        .find(|o| net.record(o).unwrap().status == status::UNBONDING)
        .expect("one validator unbonds")
        .clone();
    assert_eq!(net.balance(&Address::module(NOT_BONDED_POOL)), BOND);
    assert_eq!(
        net.balance(&Address::module(BONDED_POOL)),
        2 * BOND + 1_000_000
    );
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 1);
    assert_eq!(net.record(&left).unwrap().status, status::UNBONDED);
}

/// An operator that takes its whole self-bond out is jailed and leaves the set; its
/// delegators keep their claim and get every token back after the unbonding period.
#[test]
fn a_validator_that_leaves_does_not_take_delegators_funds() {
    let mut net = Net::new(2, 1, 10);
    let (user, op) = (net.users[0].clone(), net.ops[0].clone());
    net.run(delegate(&user, &op, 30_000_000), &user).unwrap();
    let (_, updates) = net.block(vec![(undelegate(&op, &op, BOND), op.clone())]);
    let r = net.record(&op).unwrap();
    assert!(r.jailed, "self-delegation below its minimum jails");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 0);
    assert_eq!(r.status, status::UNBONDING);
    net.run(undelegate(&user, &op, 30_000_000), &user).unwrap();
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 2);
    assert_eq!(net.balance(&user), FUNDS);
    assert_eq!(net.balance(&op), FUNDS);
    assert!(
        net.record(&op).is_none(),
        "an empty unbonded validator is removed"
    );
}

/// A new validator joins with MsgCreateValidator: its self-bond makes it bonded and its key
/// is returned to CometBFT.
#[test]
fn a_new_validator_joins_the_set() {
    let mut net = Net::new(2, 1, 10);
    let user = net.users[0].clone();
    let (r, updates) = net.block(vec![(
        create(&user, cons_key(9), 7_000_000, rates("0.05", "0.2", "0.01")),
        user.clone(),
    )]);
    r[0].as_ref().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 7);
    assert_eq!(net.record(&user).unwrap().status, status::BONDED);
    net.blocks(2);
    assert_eq!(net.signing_power(9), 7);
}

/// Bad inputs get the SDK's codes and logs that say what is wrong, and change nothing.
#[test]
fn bad_staking_inputs_get_their_sdk_codes() {
    let mut net = Net::new(2, 2, 10);
    let (user, other) = (net.users[0].clone(), net.users[1].clone());
    let op = net.ops[0].clone();
    let nobody = Address::module("nobody");
    let mut expect = |m: Any, signer: &Address, space: &str, c: u32, words: &str| {
        let (s, got, log) = code(net.run(m, signer));
        assert_eq!((s, got), (space, c), "{log}");
        assert!(log.contains(words), "{log:?} should say {words:?}");
    };
    expect(
        delegate(&user, &nobody, 5),
        &user,
        "staking",
        3,
        "does not exist",
    );
    expect(
        undelegate(&user, &op, 5),
        &user,
        "staking",
        19,
        "no delegation",
    );
    expect(
        delegate(&user, &op, 0),
        &user,
        "sdk",
        18,
        "must be positive",
    );
    expect(
        undelegate(&op, &op, BOND + 1),
        &op,
        "staking",
        24,
        "worth 100000000uglia",
    );
    expect(
        create(&user, cons_key(0), 5_000_000, rates("0.1", "0.2", "0.01")),
        &user,
        "staking",
        5,
        "already a validator's",
    );
    expect(
        create(&op, cons_key(8), 5_000_000, rates("0.1", "0.2", "0.01")),
        &op,
        "staking",
        4,
        "already exists",
    );
    expect(
        create(&user, cons_key(8), 5_000_000, rates("0.3", "0.2", "0.01")),
        &user,
        "staking",
        11,
        "above the max rate",
    );
    expect(
        create(&user, cons_key(8), 5_000_000, rates("0.1", "1.2", "0.01")),
        &user,
        "staking",
        10,
        "more than 100%",
    );
    expect(
        create(&user, cons_key(8), 5_000_000, rates("0.1", "0.2", "0.3")),
        &user,
        "staking",
        14,
        "max change rate",
    );
    expect(
        create(&user, cons_key(8), 999, rates("0.1", "0.2", "0.01")),
        &user,
        "staking",
        16,
        "below the declared minimum",
    );
    let edit = |rate: &str| {
        any(MsgEditValidator {
            description: None,
            validator_address: op.to_valoper(),
            commission_rate: Dec::parse(rate).unwrap().to_proto(),
            min_self_delegation: String::new(),
        })
    };
    expect(edit("0.15"), &op, "staking", 12, "next change is allowed");
    // The unrelated account cannot sign for the operator.
    let (s, c, _) = code(net.run(delegate(&user, &op, 5), &other));
    assert_eq!((s, c), ("sdk", 4));
    assert_eq!(net.balance(&user), FUNDS);
    assert_eq!(net.balance(&other), FUNDS);
}

/// A day after creation the commission may change, by at most the max change rate.
#[test]
fn commission_changes_are_bounded_by_the_max_change_rate() {
    let mut net = Net::new(1, 0, 10);
    let op = net.ops[0].clone();
    net.time += 24 * 3600;
    let edit = |rate: &str| {
        any(MsgEditValidator {
            description: None,
            validator_address: op.to_valoper(),
            commission_rate: Dec::parse(rate).unwrap().to_proto(),
            min_self_delegation: String::new(),
        })
    };
    let (s, c, log) = code(net.run(edit("0.12"), &op));
    assert_eq!((s, c), ("staking", 15), "{log}");
    net.run(edit("0.11"), &op).unwrap();
    let r = net.record(&op).unwrap();
    let rate = &r.commission.unwrap().commission_rates.unwrap().rate;
    assert_eq!(
        Dec::from_proto(rate).unwrap().to_string(),
        "0.110000000000000000"
    );
}

fn unjail(op: &Address) -> Any {
    any(glia_proto::cosmos::cosmos::slashing::v1beta1::MsgUnjail {
        validator_addr: op.to_valoper(),
    })
}

fn signing_info(
    net: &Net,
    i: usize,
) -> glia_proto::cosmos::cosmos::slashing::v1beta1::ValidatorSigningInfo {
    let who = crate::slashing::valcons(&state::consensus_address(&cons_key(i))).unwrap();
    crate::slashing::state::info(&mut net.kv(), &who)
        .unwrap()
        .unwrap()
}

/// A validator that misses more than half of a 10-block window is slashed 1% of the stake it
/// had, jailed and taken out of the set; MsgUnjail is refused until its jail time is over,
/// then it rejoins.
#[test]
fn downtime_jails_and_slashes_and_unjail_waits_for_the_jail_time() {
    let mut net = Net::new(3, 0, 10);
    let op = net.ops[0].clone();
    let mut jailed_at = None;
    for b in 0..20 {
        let (_, updates) = net.block_with(vec![], &[0], Vec::new());
        if !updates.is_empty() {
            assert_eq!(updates.len(), 1);
            assert_eq!(updates[0].power, 0, "the jailed validator leaves the set");
            jailed_at = Some(b);
            break;
        }
    }
    assert!(
        jailed_at.is_some(),
        "jailed within 20 blocks of missing every one"
    );
    let r = net.record(&op).unwrap();
    assert!(r.jailed);
    assert_eq!(
        validators::tokens(&r).unwrap(),
        BOND - BOND / 100,
        "1% burned"
    );
    let info = signing_info(&net, 0);
    assert_eq!(info.missed_blocks_counter, 0, "its window starts over");
    assert_eq!(state::seconds(&info.jailed_until), net.time + 60);
    let (s, c, log) = code(net.run(unjail(&op), &op));
    assert_eq!((s, c), ("slashing", 4), "{log}");
    net.time += 60;
    let (r, updates) = net.block(vec![(unjail(&op), op.clone())]);
    r[0].as_ref().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].power, 99,
        "back in the set with its slashed stake"
    );
    let (s, c, _) = code(net.run(unjail(&op), &op));
    assert_eq!((s, c), ("slashing", 5), "not jailed any more");
}

/// Double signing slashes 5% of the stake at the offence — first from what left the
/// validator after it (an undelegation and a redelegation, each 5% of its initial amount),
/// the rest from its tokens — jails it for good and tombstones it. Its delegators can still
/// undelegate and are paid what their shares are worth.
#[test]
fn double_signing_slashes_unbonding_and_redelegated_stake_and_tombstones() {
    let mut net = Net::new(3, 1, 10);
    let user = net.users[0].clone();
    let (a, b) = (net.ops[0].clone(), net.ops[1].clone());
    net.run(delegate(&user, &a, 20_000_000), &user).unwrap();
    net.blocks(2);
    let offence = net.height;
    let power = net.signing_power(0);
    assert_eq!(power, 120);
    net.run(undelegate(&user, &a, 4_000_000), &user).unwrap();
    net.run(redelegate(&user, &a, &b, 2_000_000), &user)
        .unwrap();
    let b_tokens = net.tokens(&b);
    let a_tokens = net.tokens(&a);
    let evidence = Misbehaviour {
        kind: MisbehaviourKind::DuplicateVote,
        validator: hex::encode_upper(state::consensus_address(&cons_key(0))),
        power,
        height: offence,
        time_unix: net.time,
        total_voting_power: 320,
    };
    let (_, updates) = net.block_with(vec![], &[], vec![evidence.clone()]);
    // a leaves; b loses the slashed redelegated stake (102 → 101 power).
    let mut powers: Vec<i64> = updates.iter().map(|u| u.power).collect();
    powers.sort();
    assert_eq!(powers, vec![0, 101]);
    // 5% of 120 power × 10^6 = 6,000,000: 200,000 from the undelegation, 100,000 from the
    // redelegated stake at b, 5,700,000 from a's tokens.
    let u = state::ubd(&mut net.kv(), &user, &a).unwrap().unwrap();
    assert_eq!(u.entries[0].balance, "3800000");
    assert_eq!(net.tokens(&b), b_tokens - 100_000);
    assert_eq!(net.tokens(&a), a_tokens - 5_700_000);
    let info = signing_info(&net, 0);
    assert!(info.tombstoned);
    // The same evidence again changes nothing; unjailing is refused for good.
    let before = net.tokens(&a);
    net.block_with(vec![], &[], vec![evidence]);
    assert_eq!(net.tokens(&a), before);
    net.time += 10 * 365 * 24 * 3600;
    let (s, c, log) = code(net.run(unjail(&a), &a));
    assert_eq!((s, c), ("slashing", 4), "{log}");
    assert!(log.contains("tombstoned"), "{log}");
    // The delegator leaves the tombstoned validator with what its shares are worth now.
    let d = state::delegation(&mut net.kv(), &user, &a)
        .unwrap()
        .unwrap();
    let r = net.record(&a).unwrap();
    let worth = super::delegation::tokens_of(
        Dec::from_proto(&d.shares).unwrap(),
        validators::tokens(&r).unwrap(),
        validators::shares(&r).unwrap(),
    )
    .unwrap();
    assert!(worth < 14_000_000 && worth > 13_000_000, "{worth}");
    net.run(undelegate(&user, &a, worth), &user).unwrap();
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 1);
    // Paid: the slashed undelegation (3.8M) and the rest of the delegation; 2M stay at b.
    assert_eq!(net.balance(&user), FUNDS - 20_000_000 + 3_800_000 + worth);
}

/// After a slash a share is worth less than a token: round trips of odd amounts through
/// delegate and undelegate never pay out more than went in (rounding favours who stays).
#[test]
fn attack_rounding_never_pays_out_more_than_went_in() {
    let mut net = Net::new(2, 1, 10);
    let user = net.users[0].clone();
    let a = net.ops[0].clone();
    let power = net.signing_power(0);
    let evidence = Misbehaviour {
        kind: MisbehaviourKind::DuplicateVote,
        validator: hex::encode_upper(state::consensus_address(&cons_key(0))),
        power,
        height: net.height,
        time_unix: net.time,
        total_voting_power: 200,
    };
    net.block_with(vec![], &[], vec![evidence]);
    let start = net.balance(&user);
    let mut put_in = 0u128;
    for amount in [7u128, 13, 999, 1_000_003, 3, 77_777] {
        net.run(delegate(&user, &a, amount), &user).unwrap();
        put_in += amount;
    }
    let d = state::delegation(&mut net.kv(), &user, &a)
        .unwrap()
        .unwrap();
    let r = net.record(&a).unwrap();
    let worth = super::delegation::tokens_of(
        Dec::from_proto(&d.shares).unwrap(),
        validators::tokens(&r).unwrap(),
        validators::shares(&r).unwrap(),
    )
    .unwrap();
    assert!(worth <= put_in, "{worth} > {put_in}");
    // Asking for one more than the delegation is worth is refused.
    let (_, c, _) = code(net.run(undelegate(&user, &a, worth + 1), &user));
    assert_eq!(c, 24);
    for chunk in [worth / 3, worth / 3] {
        net.run(undelegate(&user, &a, chunk), &user).unwrap();
    }
    let rest = {
        let d = state::delegation(&mut net.kv(), &user, &a)
            .unwrap()
            .unwrap();
        let r = net.record(&a).unwrap();
        super::delegation::tokens_of(
            Dec::from_proto(&d.shares).unwrap(),
            validators::tokens(&r).unwrap(),
            validators::shares(&r).unwrap(),
        )
        .unwrap()
    };
    net.run(undelegate(&user, &a, rest), &user).unwrap();
    net.blocks((UNBONDING / BLOCK_SECONDS) as usize + 1);
    assert!(net.balance(&user) <= start, "paid out more than was put in");
    assert!(
        start - net.balance(&user) <= 6,
        "lost more than rounding: {}",
        start - net.balance(&user)
    );
}
