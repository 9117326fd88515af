//! The randomness executors are drawn with. A proposer used to be able to grind it: the beacon
//! was mixed from extension signatures it held, at the start of the block it built, so with
//! vote subsets, rounds, tx order and filler requests it could choose who served a task. Now:
//!
//! - Each validator registers the end of a sha256 hash chain (`anchor`), built from a secret
//!   seed; its value for height h is the chain's link for h, and the value for h - 1 is the
//!   hash of the value for h. Its vote extension at h reveals that value. Nobody else can know
//!   it before, and it cannot choose it: there is exactly one value per height.
//! - A task requested in block h is drawn in block h + 1, from a beacon mixed with the values
//!   revealed in the votes for h, which did not exist when block h was proposed.
//! - What remains is choice over inclusion: the proposer of h + 1 picks which votes beyond 2/3
//!   to include, and a validator may withhold its value. So a draw leaves out the proposer of
//!   the block that draws and every validator whose value is missing (unless too few remain
//!   to fill the replicas): whoever chose gains nothing by the choice. Colluders choosing for
//!   each other remain (the README's threat model).

pub mod component;
pub mod state;

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::staking::ConsensusAddress;
use glia_proto::inference::v1::BeaconChain;
use sha2::{Digest, Sha256};

/// The most heights a value may be checked across (hashes per check).
pub const MAX_GAP: u64 = 65_536;
/// The longest chain a validator may register.
pub const MAX_CHAIN_LENGTH: u64 = 1 << 22;
/// The length executors register (about 12 days of 1 s blocks).
pub const DEFAULT_CHAIN_LENGTH: u64 = 1 << 20;

/// One link: the value for the height before.
pub fn step(v: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"glia/beacon-chain/v1")
        .chain_update(v)
        .finalize()
        .into()
}

/// Whether `share` is the chain's value for `height`: hashing it back to the last verified
/// height gives the last verified value.
pub fn verify(chain: &BeaconChain, height: u64, share: &[u8]) -> bool {
    let Ok(mut v) = <[u8; 32]>::try_from(share) else {
        return false;
    };
    if height <= chain.last_height || height > chain.end_height {
        return false;
    }
    let gap = height.saturating_sub(chain.last_height);
    if gap > MAX_GAP {
        return false;
    }
    for _ in 0..gap {
        v = step(&v);
    }
    v[..] == chain.last_value[..]
}

/// Verifies the shares carried by the votes for `vote_height` and records the valid ones as
/// their chains' latest values. Returns the validators (hex) with a valid share and the
/// shares, sorted by validator.
pub fn record_shares(
    ctx: &mut Ctx<'_>,
    vote_height: u64,
    shares: &[(String, Vec<u8>)],
) -> AppResult<Vec<(String, [u8; 32])>> {
    let mut valid = Vec::new();
    for (validator, share) in shares {
        let validator = validator.to_ascii_uppercase();
        if share.is_empty() || valid.iter().any(|(v, _)| *v == validator) {
            continue;
        }
        let Some(mut chain) = state::beacon_chain(ctx, &validator)? else {
            continue;
        };
        if !verify(&chain, vote_height, share) {
            continue;
        }
        let value: [u8; 32] = share
            .as_slice()
            .try_into()
            .map_err(|_| AppError::internal("verified share is 32 bytes"))?;
        chain.last_value = value.to_vec();
        chain.last_height = vote_height;
        state::set_beacon_chain(ctx, &chain)?;
        valid.push((validator, value));
    }
    valid.sort();
    Ok(valid)
}

/// The next beacon: the previous one, the block's height and every valid share, in order.
pub fn mix(prev: &[u8; 32], height: u64, shares: &[(String, [u8; 32])]) -> [u8; 32] {
    let mut h = Sha256::new()
        .chain_update(b"glia/beacon/v2")
        .chain_update(prev)
        .chain_update(height.to_be_bytes());
    for (validator, share) in shares {
        h.update((validator.len() as u64).to_be_bytes());
        h.update(validator.as_bytes());
        h.update(share);
    }
    h.finalize().into()
}

/// Active validators without a valid share in this block (hex, sorted): a draw takes them
/// only once those with one are taken (see `assign::draw`).
pub fn absent(kv: &mut impl Kv, shares: &[(String, [u8; 32])]) -> AppResult<Vec<String>> {
    Ok(crate::staking::validators(kv)?
        .into_iter()
        .filter(|v| v.power > 0)
        .map(|v| hex::encode_upper(v.address()))
        .filter(|a| !shares.iter().any(|(s, _)| s == a))
        .collect())
}

/// What a draw uses: the current beacon and the validators it leaves out. The inference
/// component reads them through these, never through the beacon's keys.
pub fn current(kv: &mut impl Kv) -> AppResult<([u8; 32], Vec<String>)> {
    Ok((state::beacon(kv)?, state::draw_excluded(kv)?))
}

/// The chain a validator registered (its anchor and the last value it revealed).
pub fn chain(kv: &mut impl Kv, hex_address: &str) -> AppResult<Option<BeaconChain>> {
    state::beacon_chain(kv, hex_address)
}

/// Registers (or replaces) a validator's chain: the executor's registration carries it.
pub fn register(ctx: &mut Ctx<'_>, chain: &BeaconChain) -> AppResult<()> {
    state::set_beacon_chain(ctx, chain)
}

/// A validator's own chain, held by its node: every 4096th link kept, so a value costs at
/// most 4096 hashes.
#[derive(Clone)]
pub struct LocalChain {
    pub anchor_height: u64,
    pub end_height: u64,
    anchor: [u8; 32],
    checkpoints: Vec<[u8; 32]>,
}

const CHECKPOINT_EVERY: u64 = 4096;

impl LocalChain {
    /// The chain from `seed` whose value for `end_height` is the seed itself, down to
    /// `anchor_height`.
    pub fn new(seed: [u8; 32], anchor_height: u64, end_height: u64) -> LocalChain {
        let len = end_height.saturating_sub(anchor_height);
        let mut checkpoints =
            Vec::with_capacity((len / CHECKPOINT_EVERY).saturating_add(1) as usize);
        let mut v = seed;
        for i in 0..=len {
            if i % CHECKPOINT_EVERY == 0 {
                checkpoints.push(v);
            }
            if i < len {
                v = step(&v);
            }
        }
        LocalChain {
            anchor_height,
            end_height,
            anchor: v,
            checkpoints,
        }
    }

    /// The value for `height`, if the chain covers it.
    pub fn value(&self, height: u64) -> Option<[u8; 32]> {
        if height < self.anchor_height || height > self.end_height {
            return None;
        }
        let i = self.end_height.saturating_sub(height);
        let mut v = *self.checkpoints.get((i / CHECKPOINT_EVERY) as usize)?;
        for _ in 0..i % CHECKPOINT_EVERY {
            v = step(&v);
        }
        Some(v)
    }

    /// The value registered as the anchor (the chain's value for `anchor_height`).
    pub fn anchor(&self) -> [u8; 32] {
        self.anchor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_chain_reveals_values_the_registered_anchor_verifies() {
        let local = LocalChain::new([7; 32], 100, 100 + 10_000);
        let mut chain = BeaconChain {
            validator_address: "AB".into(),
            anchor: local.anchor().to_vec(),
            anchor_height: 100,
            last_value: local.anchor().to_vec(),
            last_height: 100,
            end_height: 10_100,
        };
        for h in [101u64, 102, 5_000, 10_100] {
            let v = local.value(h).unwrap();
            assert!(verify(&chain, h, &v), "height {h}");
            assert!(
                !verify(&chain, h + 1, &v),
                "the value of {h} is not {}'s",
                h + 1
            );
            chain.last_value = v.to_vec();
            chain.last_height = h;
        }
        assert!(local.value(10_101).is_none());
        assert!(!verify(&chain, 10_101, &[0; 32]), "past the end");
        assert!(
            !verify(&chain, 10_100, &local.value(10_100).unwrap()),
            "not twice"
        );
    }

    /// The best strategy of one validator of 4 equal ones to be drawn for a task, by
    /// simulation over the real mixing and drawing code, against its fair share. As the
    /// proposer of the drawing block it may include any votes beyond 2/3 (all four, or any
    /// three); otherwise it may withhold its own value. Under the old rule (the beacon mixed
    /// from whatever votes the proposer included, nobody left out) the same proposer lever
    /// alone is worth 1.5× its share overall (about 3× in the blocks it proposes).
    #[test]
    fn attack_the_best_proposer_strategy_gets_no_more_than_its_fair_share() {
        use crate::inference::assign::{draw, task_seed, Candidate};
        let validators: Vec<String> = (0..4).map(|i| format!("{i:02X}")).collect();
        let pool = || -> Vec<Candidate> {
            validators
                .iter()
                .map(|v| Candidate {
                    operator: format!("op{v}"),
                    validator: v.clone(),
                    weight: 1,
                })
                .collect()
        };
        let me = "op00";
        let heights = 20_000u64;
        for replicas in 1..=3usize {
            let (mut new_hits, mut old_hits) = (0u64, 0u64);
            let mut prev = [0u8; 32];
            for n in 0..heights {
                let share = |i: usize| -> [u8; 32] {
                    Sha256::new()
                        .chain_update(b"sim")
                        .chain_update([i as u8])
                        .chain_update(n.to_be_bytes())
                        .finalize()
                        .into()
                };
                let proposer = &validators[(n % 4) as usize];
                let included: Vec<Vec<usize>> = if n % 4 == 0 {
                    // The strategist proposes: any subset with more than 2/3 of the power.
                    let mut s = vec![vec![0, 1, 2, 3]];
                    s.extend((0..4).map(|drop| (0..4).filter(|i| *i != drop).collect()));
                    s
                } else {
                    // An honest proposer includes every vote; the strategist may withhold.
                    vec![vec![0, 1, 2, 3], vec![1, 2, 3]]
                };
                let wins = |votes: &[usize], leave_out: bool| -> bool {
                    let shares: Vec<(String, [u8; 32])> = votes
                        .iter()
                        .map(|&i| (validators[i].clone(), share(i)))
                        .collect();
                    let beacon = mix(&prev, n, &shares);
                    let seed = task_seed(&beacon, n, 0);
                    let chosen = if leave_out {
                        let absent: Vec<String> = validators
                            .iter()
                            .filter(|v| !shares.iter().any(|(s, _)| s == *v))
                            .cloned()
                            .collect();
                        draw(pool(), replicas, &seed, proposer, &absent)
                    } else {
                        draw(pool(), replicas, &seed, "", &[])
                    };
                    chosen.iter().any(|o| o == me)
                };
                if included.iter().any(|v| wins(v, true)) {
                    new_hits += 1;
                }
                // The old rule: only the proposer's choice of votes, nobody left out.
                if n % 4 == 0 && included.iter().any(|v| wins(v, false))
                    || n % 4 != 0 && wins(&[0, 1, 2, 3], false)
                {
                    old_hits += 1;
                }
                let all: Vec<(String, [u8; 32])> =
                    (0..4).map(|i| (validators[i].clone(), share(i))).collect();
                prev = mix(&prev, n, &all);
            }
            let fair = replicas as f64 / 4.0;
            let new_ratio = new_hits as f64 / heights as f64 / fair;
            let old_ratio = old_hits as f64 / heights as f64 / fair;
            println!(
                "replicas {replicas} of 4: best strategy {new_ratio:.3}× fair now, \
                 {old_ratio:.3}× under the old rule"
            );
            assert!(
                new_ratio <= 1.1,
                "{new_ratio:.3}× fair with {replicas} replicas"
            );
            if replicas == 1 {
                assert!(
                    old_ratio > 1.3,
                    "the simulation sees the old lever: {old_ratio:.3}"
                );
            }
        }
    }
}
