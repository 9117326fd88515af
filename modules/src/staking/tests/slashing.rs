//! Downtime, double signing and what a slash does to shares.

use super::*;
use crate::component::{Misbehaviour, MisbehaviourKind};

pub(super) fn unjail(op: &Address) -> Any {
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
    let worth = crate::staking::delegation::tokens_of(
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
    let worth = crate::staking::delegation::tokens_of(
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
        crate::staking::delegation::tokens_of(
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
