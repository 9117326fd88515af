//! What must hold after every block: the pools hold exactly the tokens staking owes from them,
//! every validator's shares are the sum of its delegations, and the power index and the
//! bonded set agree with the records.

use super::state::{self, key_of, state_key, status, BONDED_POOL, NOT_BONDED_POOL};
use super::validators;
use crate::bank::Escrow;
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{Delegation, UnbondingDelegation};
use std::collections::{BTreeMap, BTreeSet};

pub fn check(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let broken = |m: String| Err(AppError::internal(format!("staking invariant broken: {m}")));
    let mut bonded = 0u128;
    let mut not_bonded = 0u128;
    let mut shares: BTreeMap<String, Dec> = BTreeMap::new();
    let mut index = BTreeSet::new();
    let mut bonded_set = BTreeSet::new();
    for r in state::records(ctx)? {
        let t = validators::tokens(&r)?;
        let sum = if r.status == status::BONDED {
            bonded_set.insert(key_of(&validators::operator(&r)?));
            &mut bonded
        } else {
            &mut not_bonded
        };
        *sum = sum
            .checked_add(t)
            .ok_or_else(|| AppError::overflow("pool sum"))?;
        let op = key_of(&validators::operator(&r)?);
        if let Some(p) = validators::indexed_power(&r)? {
            index.insert(state_key::power(p, &op));
        }
        shares.insert(op, validators::shares(&r)?);
    }
    for (_, v) in ctx.scan(state_key::UBDS_PREFIX)? {
        let u: UnbondingDelegation = value::decode("unbonding delegation", &v)?;
        for e in &u.entries {
            not_bonded = not_bonded
                .checked_add(state::int_of(&e.balance)?)
                .ok_or_else(|| AppError::overflow("pool sum"))?;
        }
    }
    Escrow::new(BONDED_POOL).check(ctx, bonded, "bonded validators' tokens")?;
    Escrow::new(NOT_BONDED_POOL).check(
        ctx,
        not_bonded,
        "unbonded validators' tokens and undelegations",
    )?;
    let mut summed: BTreeMap<String, Dec> = BTreeMap::new();
    for (k, v) in ctx.scan(state_key::DELEGATIONS_PREFIX)? {
        let d: Delegation = value::decode("delegation", &v)?;
        let op = k.rsplit('/').next().unwrap_or_default().to_string();
        let s = summed.entry(op).or_default();
        *s = s.checked_add(Dec::from_proto(&d.shares)?)?;
    }
    for (op, s) in &shares {
        let d = summed.remove(op).unwrap_or_default();
        if d != *s {
            return broken(format!(
                "validator {op} has {s} shares but its delegations hold {d}"
            ));
        }
    }
    if let Some((op, _)) = summed.into_iter().next() {
        return broken(format!("delegations to {op}, which does not exist"));
    }
    let stored: BTreeSet<String> = ctx
        .kv_scan_keys(state_key::POWER_PREFIX)?
        .into_iter()
        .collect();
    if stored != index {
        return broken(format!(
            "the power index has {} entries, the records call for {}",
            stored.len(),
            index.len()
        ));
    }
    let last: BTreeSet<String> = ctx
        .kv_scan_keys(state_key::LAST_POWER_PREFIX)?
        .into_iter()
        .map(|k| k[state_key::LAST_POWER_PREFIX.len()..].to_string())
        .collect();
    if last != bonded_set {
        return broken(format!(
            "{} validators are bonded but {} are in the last set",
            bonded_set.len(),
            last.len()
        ));
    }
    Ok(())
}
