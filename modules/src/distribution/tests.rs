//! Distribution through the message router on the staking harness with the emission on:
//! rewards by power and commission, absent validators, withdraw addresses, slashes, leaving
//! validators, the useful-work pool and self-dealing, amino forms and error codes. Every
//! block checks every invariant (distribution's: the module account holds exactly what is
//! owed).

use super::dec_coins::DecCoins;
use super::state::{self, WORK_POOL};
use super::{f1, work};
use crate::address::Address;
use crate::component::{Misbehaviour, MisbehaviourKind};
use crate::decimal::Dec;
use crate::staking::state::{consensus_address, key_of};
use crate::staking::tests::{any, code, cons_key, delegate, undelegate, Net, BOND, UNBONDING};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    MsgFundCommunityPool, MsgSetWithdrawAddress, MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
};
use glia_proto::cosmos::Any;
use serde_json::json;

/// Four validators of `BOND` each, four users, the emission on (the default: about 2.75
/// GLIA a block), and these distribution params.
fn net(work_tax: &str, community_tax: &str, epoch: u64) -> Net {
    Net::with_rewards(
        4,
        4,
        10,
        json!({}),
        json!({"useful_work_tax": work_tax, "community_tax": community_tax, "epoch_blocks": epoch}),
    )
}

fn withdraw(del: &Address, op: &Address) -> Any {
    any(MsgWithdrawDelegatorReward {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
    })
}

fn withdraw_commission(op: &Address) -> Any {
    any(MsgWithdrawValidatorCommission {
        validator_address: op.to_valoper(),
    })
}

fn set_withdraw(del: &Address, to: &Address) -> Any {
    any(MsgSetWithdrawAddress {
        delegator_address: del.to_bech32(),
        withdraw_address: to.to_bech32(),
    })
}

fn pending(net: &Net, del: &Address, op: &Address) -> Dec {
    f1::pending_rewards(&mut net.kv(), op, del)
        .unwrap()
        .amount_of("uglia")
}

fn outstanding(net: &Net, op: &Address) -> Dec {
    state::outstanding(&mut net.kv(), &key_of(op))
        .unwrap()
        .amount_of("uglia")
}

fn commission(net: &Net, op: &Address) -> Dec {
    state::commission(&mut net.kv(), &key_of(op))
        .unwrap()
        .amount_of("uglia")
}

fn community(net: &Net) -> Dec {
    state::community_pool(&mut net.kv())
        .unwrap()
        .amount_of("uglia")
}

fn close(a: Dec, b: Dec, tolerance_units: u128) -> bool {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi.checked_sub(lo).unwrap() <= Dec::from_int(tolerance_units).unwrap()
}

/// Delegations of the same size from the same block earn the same, three times the size
/// earns three times as much (lazy accounting, no per-delegator work per block), and the
/// validator keeps its commission rate of what it is allocated.
#[test]
fn rewards_follow_stake_and_commission() {
    let mut net = net("0", "0", 1000);
    let (a, b, c) = (
        net.users[0].clone(),
        net.users[1].clone(),
        net.users[2].clone(),
    );
    let op = net.ops[1].clone();
    net.block(vec![
        (delegate(&a, &op, BOND), a.clone()),
        (delegate(&b, &op, BOND), b.clone()),
        (delegate(&c, &op, 3 * BOND), c.clone()),
    ]);
    net.blocks(30);
    let (ra, rb, rc) = (
        pending(&net, &a, &op),
        pending(&net, &b, &op),
        pending(&net, &c, &op),
    );
    assert!(ra > Dec::from_int(1_000_000).unwrap(), "earned {ra}");
    assert_eq!(ra, rb, "equal stakes from the same block earn the same");
    let three = ra.checked_mul(Dec::from_int(3).unwrap()).unwrap();
    assert!(close(rc, three, 1), "3× the stake: {rc} vs 3 × {ra}");
    // Commission: 10% of everything allocated to the validator, to within rounding.
    let tenth = outstanding(&net, &op)
        .checked_mul(Dec::parse("0.1").unwrap())
        .unwrap();
    assert!(close(commission(&net, &op), tenth, 1));
    // Withdrawing pays at least what was pending before the block (the block adds its own
    // allocation first) and starts again from nothing.
    let before = net.balance(&a);
    net.run(withdraw(&a, &op), &a).unwrap();
    let paid = net.balance(&a) - before;
    assert!(paid >= ra.floor() && paid > 0);
    assert!(pending(&net, &a, &op) < Dec::from_int(1).unwrap());
    let op_before = net.balance(&op);
    let acc = commission(&net, &op);
    net.run(withdraw_commission(&op), &op).unwrap();
    assert!(net.balance(&op) - op_before >= acc.floor());
    assert!(commission(&net, &op) < Dec::ONE, "only the fractions stay");
}

/// The shares of validators that did not sign the last block go to the community pool, and
/// the community tax with them.
#[test]
fn absent_validators_earn_nothing_while_absent() {
    let mut net = net("0", "0.02", 1000);
    net.blocks(3);
    let (o2, o0, pool) = (
        outstanding(&net, &net.ops[2]),
        outstanding(&net, &net.ops[0]),
        community(&net),
    );
    // Four missed blocks: fewer than the harness's slashing window (10 blocks, half signed)
    // jails for.
    for _ in 0..4 {
        net.block_with(vec![], &[2], vec![]);
    }
    assert!(!net.record(&net.ops[2]).unwrap().jailed);
    assert_eq!(outstanding(&net, &net.ops[2]), o2, "nothing while absent");
    let gained0 = outstanding(&net, &net.ops[0]).checked_sub(o0).unwrap();
    let gained_pool = community(&net).checked_sub(pool).unwrap();
    // The pool got the absent quarter of 98% plus 2% of everything: more than a present
    // validator's quarter of 98%.
    assert!(
        gained_pool > gained0,
        "pool {gained_pool}, present validator {gained0}"
    );
}

/// Rewards go to the withdraw address (a cold address, not the hot key that delegates);
/// a module account is refused as a withdraw address.
#[test]
fn rewards_go_to_the_withdraw_address() {
    let mut net = net("0", "0", 1000);
    let (a, op) = (net.users[0].clone(), net.ops[0].clone());
    let cold = Address::module("a cold wallet");
    net.run(delegate(&a, &op, BOND), &a).unwrap();
    net.run(set_withdraw(&a, &cold), &a).unwrap();
    net.blocks(5);
    let before = net.balance(&a);
    net.run(withdraw(&a, &op), &a).unwrap();
    assert_eq!(net.balance(&a), before, "nothing to the hot key");
    assert!(net.balance(&cold) > 0, "the cold address is paid");
    // Undelegating pays the rewards earned so far there too.
    let cold_before = net.balance(&cold);
    net.blocks(2);
    net.run(undelegate(&a, &op, BOND), &a).unwrap();
    assert!(net.balance(&cold) > cold_before);
    let refused = code(net.run(set_withdraw(&a, &Address::module(WORK_POOL)), &a));
    assert_eq!((refused.0, refused.1), ("sdk", 4), "{}", refused.2);
    assert!(
        refused.2.contains("not allowed to receive funds"),
        "{}",
        refused.2
    );
}

/// What users of other chains were hurt by: a delegator of a validator that double-signed
/// (slashed, jailed, tombstoned) still claims its rewards — earned on the slashed stake from
/// the slash on — and undelegates; when the operator leaves too, the validator is removed,
/// its commission paid to it, and nothing of the delegators' is taken.
#[test]
fn delegators_claim_and_leave_a_tombstoned_and_removed_validator() {
    let mut net = net("0", "0", 1000);
    let (a, op) = (net.users[0].clone(), net.ops[3].clone());
    net.run(delegate(&a, &op, BOND), &a).unwrap();
    net.blocks(5);
    let evidence = Misbehaviour {
        kind: MisbehaviourKind::DuplicateVote,
        validator: hex::encode_upper(consensus_address(&cons_key(3))),
        power: net.signing_power(3),
        height: net.height,
        time_unix: net.time,
        total_voting_power: 500,
    };
    net.block_with(vec![], &[], vec![evidence]);
    assert!(net.record(&op).unwrap().jailed);
    let slashes = crate::distribution::f1::pending_rewards(&mut net.kv(), &op, &a).unwrap();
    assert!(!slashes.is_zero(), "earned before the slash");
    net.blocks(3);
    let before = net.balance(&a);
    net.run(withdraw(&a, &op), &a)
        .expect("claiming from a tombstoned validator");
    assert!(net.balance(&a) > before);
    let tokens_before = net.tokens(&op);
    net.run(undelegate(&a, &op, BOND * 95 / 100), &a)
        .expect("undelegating from a tombstoned validator");
    assert!(net.tokens(&op) < tokens_before);
    // The operator takes its own stake out: the validator is removed once it has unbonded.
    let self_bond = net.tokens(&op);
    net.run(undelegate(&op, &op, self_bond), &op).unwrap();
    for _ in 0..(UNBONDING / crate::staking::tests::BLOCK_SECONDS + 3) {
        net.block(vec![]);
    }
    assert!(net.record(&op).is_none(), "removed");
    let ok = key_of(&op);
    assert!(
        state::current(&mut net.kv(), &ok).is_err(),
        "its records are gone"
    );
    assert_eq!(commission(&net, &op), Dec::ZERO);
    // The delegator got back what the slash left of its stake (95% of BOND, floor).
    assert!(net.balance(&a) >= before + BOND * 95 / 100 - 1);
}

/// Funding the community pool moves coins into it, in whole and in the pool's record.
#[test]
fn anyone_funds_the_community_pool() {
    let mut net = net("0", "0", 1000);
    let a = net.users[0].clone();
    let before = community(&net);
    net.run(
        any(MsgFundCommunityPool {
            amount: vec![ProtoCoin {
                denom: "uglia".into(),
                amount: "12345".into(),
            }],
            depositor: a.to_bech32(),
        }),
        &a,
    )
    .unwrap();
    // The block's own allocation (fees of no one, emission to validators) leaves the pool
    // as it was but for the deposit (community tax 0).
    assert_eq!(
        community(&net).checked_sub(before).unwrap(),
        Dec::from_int(12345).unwrap()
    );
}

/// Withdrawals with nothing to withdraw or no one to withdraw from fail with the SDK's
/// codes and change nothing.
#[test]
fn bad_withdrawals_fail_with_their_codes() {
    let mut net = net("0", "0", 1000);
    let (a, op) = (net.users[0].clone(), net.ops[0].clone());
    let ghost = Address::module("no validator");
    let (cs, c, log) = code(net.run(withdraw(&a, &ghost), &a));
    assert_eq!((cs, c), ("distribution", 12), "{log}");
    let (cs, c, log) = code(net.run(withdraw(&a, &op), &a));
    assert_eq!((cs, c), ("distribution", 5), "{log}");
    assert!(log.contains("no delegation"), "{log}");
    // A validator with a zero rate never has commission.
    let (cs, c, log) = code(net.run(withdraw_commission(&ghost), &ghost));
    assert_eq!((cs, c), ("distribution", 12), "{log}");
    let empty = any(MsgSetWithdrawAddress {
        delegator_address: a.to_bech32(),
        withdraw_address: String::new(),
    });
    let (cs, c, log) = code(net.run(empty, &a));
    assert_eq!((cs, c), ("distribution", 3), "{log}");
}

fn record(
    net: &mut Net,
    worker: &Address,
    validator: Option<usize>,
    requester: &Address,
    paid: u128,
    quality: u32,
) {
    let cons = validator.map(|i| consensus_address(&cons_key(i)));
    net.step(|_, ctx, _| {
        work::record(
            ctx,
            work::Work {
                worker,
                validator: cons,
                requester,
                paid,
                quality_bps: quality,
                kind: "image",
            },
        )
    })
    .unwrap();
}

fn pool(net: &Net) -> u128 {
    net.balance(&Address::module(WORK_POOL))
}

/// Runs to the end of the current 10-block epoch and the block after it, where its payout
/// runs (the epoch's end only closes it).
fn finish_epoch(net: &mut Net) {
    while !net.height.is_multiple_of(10) {
        net.block(vec![]);
    }
    net.block(vec![]);
}

/// The useful-work pool pays, after the epoch's end, work that other parties paid for, by
/// quality-weighted fees and at most `max_reward_per_fee` of them; work the worker paid for
/// itself — directly, through its validator's operator, or to its own withdraw address —
/// earns nothing, and an epoch of only such work leaves the pool untouched.
#[test]
fn the_useful_work_pool_pays_others_work_and_ignores_self_dealing() {
    let mut net = net("0.2", "0", 10);
    let [w1, w2, w3, req] = [0, 1, 2, 3].map(|i| net.users[i].clone());
    let op0 = net.ops[0].clone();
    net.blocks(2);
    // Epoch 1: only self-dealing.
    record(&mut net, &w1, None, &w1, 5_000_000_000, 10_000);
    record(&mut net, &w3, Some(0), &op0, 5_000_000_000, 10_000); // its validator's operator
    net.run(set_withdraw(&w2, &req), &w2).unwrap();
    record(&mut net, &w2, None, &req, 5_000_000_000, 10_000); // its own withdraw address
    net.run(set_withdraw(&w2, &w2), &w2).unwrap();
    let before = [w1.clone(), w2.clone(), w3.clone(), req.clone()].map(|a| net.balance(&a));
    finish_epoch(&mut net);
    let last = state::last_payout(&mut net.kv()).unwrap().unwrap();
    assert_eq!((last.epoch, last.paid.as_str(), last.workers), (1, "0", 0));
    assert_eq!(
        (last.height, last.carried.clone()),
        (11, last.pot.clone()),
        "all of the pot back"
    );
    assert!(last.pot.parse::<u128>().unwrap() > 0);
    for (a, b) in [&w1, &w2, &w3, &req].iter().zip(before) {
        assert_eq!(net.balance(a), b, "self-dealing drained nothing");
    }
    // Epoch 2: honest work. w1 and w2 earn the same fees from `req`, w2 at half quality:
    // the pot is shared 2:1, and all of it is paid (the fees are far above it).
    record(&mut net, &w1, None, &req, 1_000_000_000, 10_000);
    record(&mut net, &w2, None, &req, 1_000_000_000, 5_000);
    assert_eq!(work::scores(&mut net.kv(), 2).unwrap().len(), 2);
    let before = [w1.clone(), w2.clone()].map(|a| net.balance(&a));
    finish_epoch(&mut net);
    let paid: Vec<u128> = [&w1, &w2]
        .iter()
        .zip(before)
        .map(|(a, b)| net.balance(a) - b)
        .collect();
    assert!(
        paid[0] > 0 && paid[0].abs_diff(2 * paid[1]) <= 1,
        "2:1 by quality: {paid:?}"
    );
    let last = state::last_payout(&mut net.kv()).unwrap().unwrap();
    assert_eq!((last.epoch, last.workers), (2, 2));
    assert_eq!(last.paid, (paid[0] + paid[1]).to_string());
    assert!(
        last.carried.parse::<u128>().unwrap() < 3,
        "all paid but rounding: {last:?}"
    );
    assert!(
        work::scores(&mut net.kv(), 2).unwrap().is_empty(),
        "the epoch's records are gone"
    );
    assert!(work::paying(&mut net.kv()).unwrap().is_empty());
    // Epoch 3: little work, a full pool: w3 (a validator's executor, paid by another party)
    // gets at most the fees it earned (max_reward_per_fee 1); the rest waits.
    record(&mut net, &w3, Some(0), &req, 1_000, 10_000);
    let (before, pool_before) = (net.balance(&w3), pool(&net));
    finish_epoch(&mut net);
    assert_eq!(net.balance(&w3) - before, 1_000, "capped at its fees");
    assert!(
        pool(&net) > pool_before,
        "the rest carried over (and new blocks' shares added)"
    );
    assert_eq!(work::earned(&mut net.kv(), &w3).unwrap(), 1_000);
}

/// An epoch's end costs the same with any number of workers: it only closes the epoch; the
/// payout then runs over the next blocks, `payout_records_per_block` records a block (a
/// worker, or one of its requester marks), and pays everyone exactly once.
#[test]
fn the_payout_of_many_workers_is_spread_over_blocks() {
    let mut net = Net::with_rewards(
        4,
        4,
        10,
        json!({}),
        json!({"useful_work_tax": "0.5", "community_tax": "0", "epoch_blocks": 10,
               "payout_records_per_block": 7, "max_reward_per_fee": "1000"}),
    );
    let workers: Vec<Address> = (0..12)
        .map(|i| Address::module(&format!("worker {i}")))
        .collect();
    let requesters: Vec<Address> = (0..3)
        .map(|i| Address::module(&format!("req {i}")))
        .collect();
    net.blocks(1);
    for w in &workers {
        for r in &requesters {
            record(&mut net, w, None, r, 1_000, 10_000);
        }
    }
    while net.height % 10 != 9 {
        net.block(vec![]);
    }
    net.block(vec![]); // height 10: the epoch closes
    assert_eq!(
        work::paying(&mut net.kv()).unwrap().len(),
        1,
        "closed, not yet paid"
    );
    assert!(workers.iter().all(|w| net.balance(w) == 0));
    // 12 workers × (3 marks + 1 record) = 48 records at 7 a block: 7 blocks.
    let mut blocks = 0;
    while !work::paying(&mut net.kv()).unwrap().is_empty() {
        net.block(vec![]);
        blocks += 1;
        assert!(blocks <= 7, "the payout runs at 7 records a block");
    }
    assert_eq!(blocks, 7);
    let paid: Vec<u128> = workers.iter().map(|w| net.balance(w)).collect();
    assert!(
        paid.iter().all(|p| *p > 0 && p.abs_diff(paid[0]) <= 1),
        "equal work, equal pay: {paid:?}"
    );
    let last = state::last_payout(&mut net.kv()).unwrap().unwrap();
    assert_eq!(last.workers, 12);
    assert_eq!(last.paid, paid.iter().sum::<u128>().to_string());
    let marks = crate::context::Kv::kv_scan_keys(
        &mut net.kv(),
        crate::distribution::state::state_key::WORK_PAIR_PREFIX,
    );
    assert!(marks.unwrap().is_empty(), "every requester mark deleted");
}

/// The amino JSON of each message, as cosmjs's converters write it (what Keplr signs).
#[test]
fn amino_forms_match_cosmjs() {
    let (a, op) = (Address::module("amino a"), Address::module("amino op"));
    let j = |m: Any| super::msgs::amino_json(&m).unwrap().unwrap();
    assert_eq!(
        j(withdraw(&a, &op)),
        json!({"type": "cosmos-sdk/MsgWithdrawDelegationReward",
            "value": {"delegator_address": a.to_bech32(), "validator_address": op.to_valoper()}})
    );
    assert_eq!(
        j(withdraw_commission(&op)),
        json!({"type": "cosmos-sdk/MsgWithdrawValidatorCommission",
            "value": {"validator_address": op.to_valoper()}})
    );
    assert_eq!(
        j(set_withdraw(&a, &op)),
        json!({"type": "cosmos-sdk/MsgModifyWithdrawAddress",
            "value": {"delegator_address": a.to_bech32(), "withdraw_address": op.to_bech32()}})
    );
    let fund = any(MsgFundCommunityPool {
        amount: vec![ProtoCoin {
            denom: "uglia".into(),
            amount: "7".into(),
        }],
        depositor: a.to_bech32(),
    });
    assert_eq!(
        j(fund),
        json!({"type": "cosmos-sdk/MsgFundCommunityPool",
            "value": {"amount": [{"denom": "uglia", "amount": "7"}], "depositor": a.to_bech32()}})
    );
    assert!(super::msgs::amino_json(&undelegate(&a, &op, 1)).is_none());
    let _ = DecCoins::default();
}

/// Stakes far above what a product of two 18-decimal amounts can hold (10^9 GLIA delegated to
/// a validator of 10^9 GLIA: shares × tokens ≈ 10^30 units²) delegate, earn, are slashed and
/// unbond without an overflow (an internal error here would halt every node).
#[test]
fn large_stakes_never_overflow_the_share_arithmetic() {
    let mut net = net("0", "0", 1000);
    let (a, b, op) = (
        net.users[0].clone(),
        net.users[1].clone(),
        net.ops[2].clone(),
    );
    let big: u128 = 1_000_000_000_000_000; // 10^9 GLIA
    net.step(|_, ctx, _| {
        crate::bank::mint(ctx, &a, &[crate::coins::Coin::new("uglia", 3 * big)])?;
        crate::bank::mint(ctx, &b, &[crate::coins::Coin::new("uglia", 3 * big)])
    })
    .unwrap();
    let (r, _) = net.block(vec![
        (delegate(&a, &op, big), a.clone()),
        (delegate(&b, &op, 2 * big), b.clone()),
    ]);
    assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
    net.blocks(5);
    let (ra, rb) = (pending(&net, &a, &op), pending(&net, &b, &op));
    assert!(ra > Dec::ZERO && close(rb, ra.checked_mul(Dec::from_int(2).unwrap()).unwrap(), 1));
    let evidence = Misbehaviour {
        kind: MisbehaviourKind::DuplicateVote,
        validator: hex::encode_upper(consensus_address(&cons_key(2))),
        power: net.signing_power(2),
        height: net.height,
        time_unix: net.time,
        total_voting_power: 1,
    };
    net.block_with(vec![], &[], vec![evidence]);
    net.run(withdraw(&a, &op), &a).unwrap();
    net.run(undelegate(&b, &op, big), &b).unwrap();
    net.run(delegate(&a, &op, big), &a).unwrap();
}

fn auto_withdraw(del: &Address, enabled: bool) -> Any {
    any(glia_proto::distribution::v1::MsgSetAutoWithdraw {
        delegator_address: del.to_bech32(),
        enabled,
    })
}

fn cursor(net: &Net) -> Option<String> {
    crate::value::text(
        &mut net.kv(),
        state::state_key::AUTO_WITHDRAW_CURSOR,
        "cursor",
    )
    .unwrap()
}

/// Earnings without chores: a delegator that turned on automatic withdrawal is paid its
/// rewards, at its (cold) withdraw address, at every epoch's end with no withdraw tx; so is an
/// operator's commission; a delegator that did not ask keeps its rewards pending; turning it
/// off stops it; the query reports what was withdrawn so.
#[test]
fn auto_withdraw_pays_rewards_and_commission_every_epoch_without_a_tx() {
    let mut net = net("0", "0", 10);
    let (a, b) = (net.users[0].clone(), net.users[1].clone());
    let (op0, op1) = (net.ops[0].clone(), net.ops[1].clone());
    let cold = Address::module("a's cold wallet");
    net.run(delegate(&a, &op0, BOND), &a).unwrap();
    net.run(delegate(&a, &op1, BOND), &a).unwrap();
    net.run(delegate(&b, &op0, BOND), &b).unwrap();
    net.run(set_withdraw(&a, &cold), &a).unwrap();
    net.run(auto_withdraw(&a, true), &a).unwrap();
    net.run(auto_withdraw(&op0, true), &op0).unwrap();
    let (a_before, b_before, op0_before) = (net.balance(&a), net.balance(&b), net.balance(&op0));
    finish_epoch(&mut net);
    net.blocks(2);
    assert_eq!(cursor(&net), None, "the run finished");
    let cold_paid = net.balance(&cold);
    assert!(cold_paid > 0, "a's rewards reached its withdraw address");
    assert_eq!(net.balance(&a), a_before, "nothing to a's own key");
    assert!(
        pending(&net, &a, &op0) < pending(&net, &b, &op0),
        "a's rewards were withdrawn, b's are still pending"
    );
    assert_eq!(net.balance(&b), b_before, "b did not ask");
    assert!(
        net.balance(&op0) > op0_before,
        "op0's commission (and its self-delegation's rewards) paid"
    );
    let q = |net: &Net, w: &Address| {
        let mut kv = net.kv();
        work::auto_withdraw_of(&mut kv, w).unwrap()
    };
    assert_eq!(q(&net, &a), (true, cold_paid));
    assert_eq!(q(&net, &b), (false, 0));
    // Off: the next epoch pays a nothing more.
    net.run(auto_withdraw(&a, false), &a).unwrap();
    finish_epoch(&mut net);
    net.blocks(2);
    assert_eq!(net.balance(&cold), cold_paid);
    assert_eq!(q(&net, &a), (false, cold_paid));
    let bad = code(net.run(auto_withdraw(&Address::from_bytes(vec![]), true), &a));
    assert_eq!(bad.0, "sdk", "{}", bad.2);
}

/// The withdrawals are spread over blocks like the pool's payout: at one record a block, an
/// account with three delegations and a commission takes four blocks, each withdrawing one.
#[test]
fn auto_withdrawals_are_spread_over_blocks() {
    let mut net = Net::with_rewards(
        4,
        4,
        10,
        json!({}),
        json!({"useful_work_tax": "0", "community_tax": "0", "epoch_blocks": 10,
               "payout_records_per_block": 1}),
    );
    let op0 = net.ops[0].clone();
    for op in [net.ops[1].clone(), net.ops[2].clone(), net.ops[3].clone()] {
        net.run(delegate(&op0, &op, BOND), &op0).unwrap();
    }
    net.run(auto_withdraw(&op0, true), &op0).unwrap();
    while !net.height.is_multiple_of(10) {
        net.block(vec![]);
    }
    assert!(cursor(&net).is_some(), "the epoch's end started the run");
    let mut steps = 0;
    while cursor(&net).is_some() {
        let before = net.balance(&op0);
        net.block(vec![]);
        steps += 1;
        assert!(
            net.balance(&op0) > before,
            "every block withdraws something"
        );
        assert!(steps <= 5, "one record a block");
    }
    // Commission, then op0's self-delegation and its three delegations: five records.
    assert_eq!(steps, 5);
}
