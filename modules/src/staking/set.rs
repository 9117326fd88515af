//! The block lifecycle of staking: the signing set's scheduled changes (begin of block), the
//! undelegations, redelegations and validator unbondings that complete (end of block), and
//! the bonded set chosen by power, whose changes go back to CometBFT.

use super::state::{self, address_of_key, key_of, state_key, status, Validator};
use super::validators::{self, move_between_pools, save};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{Redelegation, UnbondingDelegation};
use glia_proto::staking::v1::ValidatorUpdates;
use prost::Message;
use std::collections::BTreeMap;
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};

/// Begin of block `height`: the updates returned two blocks ago take effect in the signing
/// set, as CometBFT applies them now.
pub fn apply_pending(ctx: &mut Ctx<'_>, height: u64) -> AppResult<()> {
    let key = state_key::pending(height);
    let Some(p) = value::get::<ValidatorUpdates>(ctx, &key, "pending validator updates")? else {
        return Ok(());
    };
    for v in &p.updates {
        state::set_validator(ctx, v)?;
    }
    ctx.delete(key)
}

/// The keys under `prefix` whose time part (the 16 hex digits after it) is at most `now`.
fn due(ctx: &mut Ctx<'_>, prefix: &str, now: i64) -> AppResult<Vec<String>> {
    let end = state_key::time_key(now);
    let mut out = Vec::new();
    let mut start = prefix.to_string();
    loop {
        let keys = ctx.kv_scan_keys_from(prefix, &start, 64)?;
        let n = keys.len();
        for k in keys {
            if k.get(prefix.len()..prefix.len().saturating_add(16))
                .is_some_and(|t| t > end.as_str())
            {
                return Ok(out);
            }
            start = format!("{k}\0");
            out.push(k);
        }
        if n < 64 {
            return Ok(out);
        }
    }
}

/// The parts of a queue key after its prefix and time.
fn parts<'k>(key: &'k str, prefix: &str) -> AppResult<Vec<&'k str>> {
    let rest = key
        .get(prefix.len().saturating_add(17)..)
        .ok_or_else(|| AppError::internal(format!("corrupt queue key {key}")))?;
    Ok(rest.split('/').collect())
}

/// Pays out every undelegation entry that has completed.
pub fn complete_unbondings(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let now = ctx.block.time_unix;
    for key in due(ctx, state_key::UBD_QUEUE_PREFIX, now)? {
        ctx.delete(key.clone())?;
        let p = parts(&key, state_key::UBD_QUEUE_PREFIX)?;
        let [dk, ok] = p[..] else {
            return Err(AppError::internal(format!("corrupt queue key {key}")));
        };
        let ukey = state_key::ubd(dk, ok);
        let Some(mut u) = value::get::<UnbondingDelegation>(ctx, &ukey, "unbonding delegation")?
        else {
            continue; // cancelled or paid with an earlier key
        };
        let del = address_of_key(dk)?;
        let mut paid = 0u128;
        let mut kept = Vec::new();
        for e in u.entries {
            if state::seconds(&e.completion_time) <= now {
                paid = paid
                    .checked_add(state::int_of(&e.balance)?)
                    .ok_or_else(|| AppError::overflow("completed undelegations"))?;
            } else {
                kept.push(e);
            }
        }
        if paid > 0 {
            bank::transfer(
                ctx,
                &Address::module(state::NOT_BONDED_POOL),
                &del,
                &[Coin::new(BASE_DENOM, paid)],
            )
            .map_err(|e| AppError::internal(format!("paying an undelegation: {}", e.log)))?;
        }
        ctx.emit(
            "complete_unbonding",
            &[
                ("validator", u.validator_address.clone()),
                ("delegator", u.delegator_address.clone()),
                ("amount", Coin::new(BASE_DENOM, paid).to_string()),
            ],
        );
        u.entries = kept;
        if u.entries.is_empty() {
            ctx.delete(ukey)?;
            ctx.delete(state_key::ubd_by_val(ok, dk))?;
        } else {
            ctx.put(ukey, u.encode_to_vec())?;
        }
    }
    Ok(())
}

/// Drops every redelegation entry whose source's unbonding period has passed.
pub fn complete_redelegations(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let now = ctx.block.time_unix;
    for key in due(ctx, state_key::RED_QUEUE_PREFIX, now)? {
        ctx.delete(key.clone())?;
        let p = parts(&key, state_key::RED_QUEUE_PREFIX)?;
        let [dk, sk, tk] = p[..] else {
            return Err(AppError::internal(format!("corrupt queue key {key}")));
        };
        let rkey = state_key::red(dk, sk, tk);
        let Some(mut r) = value::get::<Redelegation>(ctx, &rkey, "redelegation")? else {
            continue;
        };
        r.entries
            .retain(|e| state::seconds(&e.completion_time) > now);
        if r.entries.is_empty() {
            ctx.delete(rkey)?;
            ctx.delete(state_key::red_by_src(sk, dk, tk))?;
            ctx.delete(state_key::red_by_dst(tk, dk, sk))?;
        } else {
            ctx.put(rkey, r.encode_to_vec())?;
        }
        ctx.emit(
            "complete_redelegation",
            &[
                ("source_validator", r.validator_src_address.clone()),
                ("destination_validator", r.validator_dst_address.clone()),
                ("delegator", r.delegator_address.clone()),
            ],
        );
    }
    Ok(())
}

/// Validators whose unbonding period has passed become unbonded; one nobody is bonded to any
/// more is removed.
pub fn complete_validator_unbondings(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let now = ctx.block.time_unix;
    for key in due(ctx, state_key::VAL_QUEUE_PREFIX, now)? {
        ctx.delete(key.clone())?;
        let p = parts(&key, state_key::VAL_QUEUE_PREFIX)?;
        let [ok] = p[..] else {
            return Err(AppError::internal(format!("corrupt queue key {key}")));
        };
        let Some(mut r) = state::record(ctx, &address_of_key(ok)?)? else {
            continue;
        };
        if r.status != status::UNBONDING || state::seconds(&r.unbonding_time) > now {
            continue; // bonded again since, or a later unbonding has its own key
        }
        r.status = status::UNBONDED;
        if validators::shares(&r)? == crate::decimal::Dec::ZERO {
            validators::remove(ctx, &r)?;
        } else {
            save(ctx, &r)?;
        }
    }
    Ok(())
}

fn update(pubkey: Vec<u8>, power: u64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(Sum::Ed25519(pubkey)),
        }),
        power: i64::try_from(power).unwrap_or(i64::MAX),
    }
}

/// Chooses the bonded set (the `max_validators` highest powers among validators not jailed)
/// and returns its changes since the last call. Validators joining are bonded (their tokens
/// move to the bonded pool); validators leaving start unbonding. At genesis (`height` 0) the
/// set becomes the signing set at once; later, two blocks on, when CometBFT applies it.
pub fn apply_set(ctx: &mut Ctx<'_>, height: u64) -> AppResult<Vec<ValidatorUpdate>> {
    let p = state::params(ctx)?;
    let max = p.max_validators as usize;
    let mut chosen: Vec<(String, u64)> = Vec::new();
    for k in ctx.kv_scan_keys_from(state_key::POWER_PREFIX, state_key::POWER_PREFIX, max)? {
        let rest = &k[state_key::POWER_PREFIX.len()..];
        let (inv, op) = rest
            .split_once('/')
            .ok_or_else(|| AppError::internal(format!("corrupt power key {k}")))?;
        let inv = u64::from_str_radix(inv, 16)
            .map_err(|_| AppError::internal(format!("corrupt power key {k}")))?;
        chosen.push((op.to_string(), !inv));
    }
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    for (k, v) in ctx.kv_scan(state_key::LAST_POWER_PREFIX)? {
        let op = k[state_key::LAST_POWER_PREFIX.len()..].to_string();
        let power = u64::try_from(value::amount_of(
            &value::decode::<glia_proto::store::v1::Amount>("last power", &v)?.value,
        )?)
        .unwrap_or(u64::MAX);
        last.insert(op, power);
    }
    let now = ctx.block.time_unix;
    let mut updates = Vec::new();
    let mut signing = Vec::new();
    for (ok, power) in &chosen {
        let op = address_of_key(ok)?;
        let mut r = validators::must_get(ctx, &op)?;
        if r.status != status::BONDED {
            move_between_pools(ctx, r.status, status::BONDED, validators::tokens(&r)?)?;
            r.status = status::BONDED;
            r.unbonding_height = 0;
            r.unbonding_time = state::timestamp(0);
            save(ctx, &r)?;
        }
        if last.remove(ok) != Some(*power) {
            let key = validators::pubkey(&r)?;
            updates.push(update(key.clone(), *power));
            signing.push(Validator {
                pubkey: key,
                power: i64::try_from(*power).unwrap_or(i64::MAX),
            });
            ctx.put(
                state_key::last_power(ok),
                value::encode_amount(u128::from(*power)),
            )?;
        }
    }
    let unbonding = p.unbonding_time.map_or(0, |d| d.seconds);
    for ok in last.keys() {
        let op = address_of_key(ok)?;
        ctx.delete(state_key::last_power(ok))?;
        let Some(mut r) = state::record(ctx, &op)? else {
            continue;
        };
        let key = validators::pubkey(&r)?;
        updates.push(update(key.clone(), 0));
        signing.push(Validator {
            pubkey: key,
            power: 0,
        });
        if r.status == status::BONDED {
            move_between_pools(
                ctx,
                status::BONDED,
                status::UNBONDING,
                validators::tokens(&r)?,
            )?;
            r.status = status::UNBONDING;
            r.unbonding_height = height as i64;
            let done = now.saturating_add(unbonding);
            r.unbonding_time = state::timestamp(done);
            save(ctx, &r)?;
            ctx.put(state_key::val_queue(done, &key_of(&op)), vec![])?;
        }
    }
    if signing.is_empty() {
        return Ok(updates);
    }
    if height == 0 {
        for v in &signing {
            state::set_validator(ctx, v)?;
        }
    } else {
        let at = height.saturating_add(2);
        ctx.put(
            state_key::pending(at),
            ValidatorUpdates { updates: signing }.encode_to_vec(),
        )?;
    }
    Ok(updates)
}
