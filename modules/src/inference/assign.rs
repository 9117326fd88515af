//! Choosing executors: deterministic, weighted by voting power × quality, from the randomness
//! beacon (see [`super::beacon`]: values nobody knew when the request's block was proposed,
//! and a draw that leaves out whoever chose which values it saw), so every validator computes
//! the same assignment and nobody can pick it.

use super::{capacity, state};
use crate::address::Address;
use crate::context::Kv;
use crate::error::AppResult;
use crate::staking;
use glia_proto::inference::v1::{Executor, Model};
use sha2::{Digest, Sha256};

/// An executor that may take a task: registered, not jailed, holding the model with the
/// registry's hash, on a validator with power, and not the task's creator (self-dealing earns
/// nothing).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub operator: String,
    /// The executor's validator (hex consensus address).
    pub validator: String,
    pub weight: u128,
}

/// Executors that may take `work` more (kilo pixel-steps) for this model at `height`: not
/// jailed, its queue has room (see `capacity`), weighted by power × quality as of `height`.
/// Every draw (first slots and replacements) and the request's own check pick from these.
pub fn candidates(
    kv: &mut impl Kv,
    model: &Model,
    creator: &Address,
    work: u64,
    height: u64,
) -> AppResult<Vec<Candidate>> {
    let p = state::params(kv)?;
    let mut out = Vec::new();
    for (_, e) in state::executors(kv)? {
        if e.operator == creator.as_str()
            || capacity::jailed(&e)
            || !holds(&e, model)
            || !capacity::has_room(&e, work, &p)
        {
            continue;
        }
        let Some(addr) = hex20(&e.validator_address) else {
            continue;
        };
        let Some(v) = staking::validator(kv, &addr)? else {
            continue;
        };
        let quality = capacity::quality_at(&e, height, &p);
        if v.power <= 0 || quality == 0 {
            continue;
        }
        out.push(Candidate {
            operator: e.operator.clone(),
            validator: e.validator_address.to_ascii_uppercase(),
            // power > 0 is an i64 and quality at most 10^4: the product fits u128.
            weight: (v.power as u128).saturating_mul(u128::from(quality)),
        });
    }
    Ok(out)
}

fn holds(e: &Executor, model: &Model) -> bool {
    e.models
        .iter()
        .any(|h| h.model_id == model.id && h.weights_sha256 == model.weights_sha256)
}

pub fn hex20(s: &str) -> Option<[u8; 20]> {
    let v = hex::decode(s).ok()?;
    v.try_into().ok()
}

/// Picks `k` distinct candidates (fewer if there are fewer), each draw weighted, from a
/// stream of hashes of `seed`.
pub fn pick(mut pool: Vec<Candidate>, k: usize, seed: &[u8; 32]) -> Vec<String> {
    let mut chosen = Vec::with_capacity(k);
    let mut counter = 0u64;
    while chosen.len() < k && !pool.is_empty() {
        let total = pool.iter().fold(0u128, |t, c| t.saturating_add(c.weight));
        let Some(total) = std::num::NonZeroU128::new(total) else {
            break;
        };
        let h = Sha256::new()
            .chain_update(seed)
            .chain_update(counter.to_be_bytes())
            .finalize();
        counter = counter.wrapping_add(1);
        let mut r = u128::from_be_bytes(h[..16].try_into().expect("16 bytes")) % total;
        let idx = pool
            .iter()
            .position(|c| {
                if r < c.weight {
                    true
                } else {
                    r = r.saturating_sub(c.weight);
                    false
                }
            })
            .expect("r < total");
        chosen.push(pool.remove(idx).operator);
    }
    chosen
}

/// The seed for one task's draw: the current beacon, the task and which draw it is.
/// Draws `k` executors in three tiers, each with a seed of its own: first validators this
/// block's draw keeps, then those whose beacon value is missing, and the block's proposer only
/// when every other candidate is taken. So neither withholding a value nor leaving out others'
/// votes (to empty the first tier) can put the one who chose on a task.
pub fn draw(
    pool: Vec<Candidate>,
    k: usize,
    seed: &[u8; 32],
    proposer: &str,
    absent: &[String],
) -> Vec<String> {
    let is = |c: &Candidate, v: &str| c.validator.eq_ignore_ascii_case(v);
    let (last, rest): (Vec<Candidate>, Vec<Candidate>) =
        pool.into_iter().partition(|c| is(c, proposer));
    let (second, first): (Vec<Candidate>, Vec<Candidate>) = rest
        .into_iter()
        .partition(|c| absent.iter().any(|a| is(c, a)));
    let mut chosen = Vec::with_capacity(k);
    for (tier, group) in [first, second, last].into_iter().enumerate() {
        if chosen.len() >= k {
            break;
        }
        let tier_seed: [u8; 32] = Sha256::new()
            .chain_update(b"glia/inference/assign-tier")
            .chain_update(seed)
            .chain_update((tier as u32).to_be_bytes())
            .finalize()
            .into();
        let more = k.saturating_sub(chosen.len());
        chosen.extend(pick(group, more, &tier_seed));
    }
    chosen
}

pub fn task_seed(beacon: &[u8; 32], task_id: u64, round: u32) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"glia/inference/assign")
        .chain_update(beacon)
        .chain_update(task_id.to_be_bytes())
        .chain_update(round.to_be_bytes())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Vec<Candidate> {
        ["a", "b", "c", "d"]
            .iter()
            .zip([1u128, 1, 1, 97])
            .map(|(o, w)| Candidate {
                operator: o.to_string(),
                validator: o.to_uppercase(),
                weight: w,
            })
            .collect()
    }

    #[test]
    fn picks_are_distinct_deterministic_and_weighted() {
        let s = task_seed(&[1; 32], 7, 0);
        let a = pick(pool(), 3, &s);
        assert_eq!(a, pick(pool(), 3, &s));
        let mut d = a.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 3);
        assert_eq!(pick(pool(), 9, &s).len(), 4);
        // "d" carries 97% of the weight: first pick over many seeds is mostly "d".
        let firsts = (0..400u64)
            .filter(|i| pick(pool(), 1, &task_seed(&[2; 32], *i, 0))[0] == "d")
            .count();
        assert!(
            (360..=400).contains(&firsts),
            "d first {firsts} of 400 times"
        );
    }
}
