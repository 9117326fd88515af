//! Bonding, unbonding, redelegation, the bonded set and bad inputs.

use super::*;

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

/// Every block records its header (as FinalizeBlock tells it) and the bonded set, for
/// relayers and IBC light clients; entries older than `historical_entries` are dropped, and
/// a height without one answers not found (code 38).
#[test]
fn historical_info_is_kept_for_the_last_entries() {
    let mut net = Net::new(3, 0, 2);
    net.step(|_, ctx, _| {
        let mut p = state::params(ctx)?;
        p.historical_entries = 3;
        state::set_params(ctx, &p)
    })
    .unwrap();
    net.blocks(6);
    let h = net.height;
    let q = |net: &Net, height: i64| {
        super::super::query::historical_info(
            &mut net.kv(),
            glia_proto::cosmos::cosmos::staking::v1beta1::QueryHistoricalInfoRequest { height },
        )
    };
    let info = q(&net, h as i64).unwrap().hist.unwrap();
    let header = info.header.unwrap();
    assert_eq!(
        (header.height, header.chain_id.as_str()),
        (h as i64, "glia-test")
    );
    assert_eq!(header.time.unwrap().seconds, net.time);
    assert_eq!(info.valset.len(), 2, "the bonded set only (max 2 of 3)");
    assert!(info.valset.iter().all(|v| v.status == status::BONDED));
    for old in [h - 3, h - 4] {
        let e = q(&net, old as i64).unwrap_err();
        assert_eq!(e.code, 38, "{}", e.log);
    }
    assert!(q(&net, (h - 2) as i64).is_ok());
    assert_eq!(q(&net, -1).unwrap_err().code, 18);
}
