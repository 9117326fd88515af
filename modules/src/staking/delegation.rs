//! Delegations: bonding tokens to a validator for shares, unbonding them through the unbonding
//! period, moving them to another validator, and taking an undelegation back.
//!
//! Shares are a claim on a validator's tokens: a delegation of `a` tokens to a validator with
//! `T` tokens and `S` shares gets `a × S / T` shares, rounded down; `s` shares are worth
//! `s × T / S` tokens, rounded down. Every rounding favours those who stay, so nobody can
//! take out more than they put in (`attack_` tests in `tests.rs`).

use super::errors;
use super::state::{self, key_of, state_key, status, Record};
use super::validators::{self, move_between_pools, pool_of, save};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    Delegation, Redelegation, RedelegationEntry, UnbondingDelegation, UnbondingDelegationEntry,
};
use prost::Message;

/// Adds `amount` tokens to a validator, returning the shares they buy.
fn add_tokens(r: &mut Record, amount: u128) -> AppResult<Dec> {
    let tokens = validators::tokens(r)?;
    let shares = validators::shares(r)?;
    if tokens == 0 && shares > Dec::ZERO {
        return Err(errors::delegator_share_ex_rate_invalid(format!(
            "validator {} has shares but no tokens (all were slashed): delegating to it is refused",
            r.operator_address
        )));
    }
    let issued = if shares == Dec::ZERO {
        Dec::from_int(amount)?
    } else {
        Dec::from_int(amount)?.mul_quo(shares, Dec::from_int(tokens)?)?
    };
    if issued == Dec::ZERO {
        return Err(AppError::invalid_request(format!(
            "{amount}{BASE_DENOM} buys no shares of {}",
            r.operator_address
        )));
    }
    r.tokens = tokens
        .checked_add(amount)
        .ok_or_else(|| AppError::overflow("validator tokens"))?
        .to_string();
    r.delegator_shares = shares.checked_add(issued)?.to_proto();
    Ok(issued)
}

/// Takes `remove` shares out of a validator, returning the tokens they were worth.
fn remove_shares(r: &mut Record, remove: Dec) -> AppResult<u128> {
    let tokens = validators::tokens(r)?;
    let shares = validators::shares(r)?;
    let left = shares.checked_sub(remove)?;
    let out = if left == Dec::ZERO {
        tokens
    } else {
        tokens_of(remove, tokens, shares)?
    };
    r.tokens = tokens.saturating_sub(out).to_string();
    r.delegator_shares = left.to_proto();
    Ok(out)
}

/// What `s` shares of a validator with `tokens` and `shares` are worth, rounded down.
pub fn tokens_of(s: Dec, tokens: u128, shares: Dec) -> AppResult<u128> {
    if shares == Dec::ZERO {
        return Ok(0);
    }
    s.mul_quo(Dec::from_int(tokens)?, shares).map(|d| d.floor())
}

/// Adds shares to `del`'s delegation to `op`, creating it and its index entry if new.
fn add_delegation(ctx: &mut Ctx<'_>, del: &Address, op: &Address, add: Dec) -> AppResult<()> {
    let (dk, ok) = (key_of(del), key_of(op));
    let mut d = state::delegation(ctx, del, op)?.unwrap_or_else(|| Delegation {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        shares: Dec::ZERO.to_proto(),
    });
    d.shares = Dec::from_proto(&d.shares)?.checked_add(add)?.to_proto();
    ctx.put(state_key::delegation(&dk, &ok), d.encode_to_vec())?;
    ctx.put(state_key::delegator(&ok, &dk), vec![])
}

/// Bonds `amount` of `del`'s balance to `op`, returning the new shares.
pub fn delegate(ctx: &mut Ctx<'_>, del: &Address, op: &Address, amount: u128) -> AppResult<Dec> {
    validators::must_get(ctx, op)?;
    // Rewards earned so far are paid (or, for a new delegation, the period closed) before
    // the shares change.
    crate::distribution::f1::before_delegation_change(ctx, del, op)?;
    let mut r = validators::must_get(ctx, op)?;
    bank::transfer(
        ctx,
        del,
        &Address::module(pool_of(r.status)),
        &[Coin::new(BASE_DENOM, amount)],
    )?;
    let issued = add_tokens(&mut r, amount)?;
    add_delegation(ctx, del, op, issued)?;
    save(ctx, &r)?;
    crate::distribution::f1::after_delegation_change(ctx, del, op)?;
    ctx.emit(
        "delegate",
        &[
            ("validator", r.operator_address.clone()),
            ("delegator", del.to_bech32()),
            ("amount", Coin::new(BASE_DENOM, amount).to_string()),
            ("new_shares", issued.to_string()),
        ],
    );
    Ok(issued)
}

/// The shares `amount` tokens of `del`'s delegation to `r` stand for, rounded up (so an
/// undelegation gives up at least what it takes), at most all of them; an error naming both
/// figures when the delegation is worth less than `amount`.
fn shares_for(ctx: &mut Ctx<'_>, del: &Address, r: &Record, amount: u128) -> AppResult<Dec> {
    let op = validators::operator(r)?;
    let d = state::delegation(ctx, del, &op)?.ok_or_else(|| {
        errors::no_delegation(format!("{del} has no delegation to {}", r.operator_address))
    })?;
    let held = Dec::from_proto(&d.shares)?;
    let (tokens, shares) = (validators::tokens(r)?, validators::shares(r)?);
    let worth = tokens_of(held, tokens, shares)?;
    if amount > worth {
        return Err(errors::not_enough_delegation_shares(format!(
            "{del}'s delegation to {} is worth {worth}{BASE_DENOM}, less than {amount}{BASE_DENOM}",
            r.operator_address
        )));
    }
    if tokens == 0 {
        return Ok(held);
    }
    // ceil(amount × shares / tokens), in atoms of 10^-18 (the product held exactly).
    let up = Dec::from_int(amount)?.mul_quo_ceil(shares, Dec::from_int(tokens)?)?;
    Ok(up.min(held))
}

/// Takes `remove` shares out of `del`'s delegation to `op`; the tokens leave the validator
/// (the caller decides where they go). The operator's own delegation falling below its
/// minimum jails the validator, as in the SDK.
pub fn unbond(ctx: &mut Ctx<'_>, del: &Address, op: &Address, remove: Dec) -> AppResult<u128> {
    validators::must_get(ctx, op)?;
    let (dk, ok) = (key_of(del), key_of(op));
    let mut d = state::delegation(ctx, del, op)?.ok_or_else(|| {
        errors::no_delegation(format!("{del} has no delegation to {}", op.to_valoper()))
    })?;
    crate::distribution::f1::before_delegation_change(ctx, del, op)?;
    let mut r = validators::must_get(ctx, op)?;
    let held = Dec::from_proto(&d.shares)?;
    if remove > held {
        return Err(errors::not_enough_delegation_shares(format!(
            "{del} holds {held} shares of {}, not {remove}",
            r.operator_address
        )));
    }
    let left = held.checked_sub(remove)?;
    if left == Dec::ZERO {
        ctx.delete(state_key::delegation(&dk, &ok))?;
        ctx.delete(state_key::delegator(&ok, &dk))?;
    } else {
        d.shares = left.to_proto();
        ctx.put(state_key::delegation(&dk, &ok), d.encode_to_vec())?;
    }
    let out = remove_shares(&mut r, remove)?;
    if del == op && !r.jailed {
        let own = tokens_of(left, validators::tokens(&r)?, validators::shares(&r)?)?;
        if own < state::int_of(&r.min_self_delegation)? {
            save(ctx, &r)?;
            validators::jail(ctx, &mut r, "self_delegation_below_minimum")?;
        }
    }
    if validators::shares(&r)? == Dec::ZERO && r.status == status::UNBONDED {
        validators::remove(ctx, &r)?;
    } else {
        save(ctx, &r)?;
        crate::distribution::f1::after_delegation_change(ctx, del, op)?;
    }
    Ok(out)
}

fn next_unbonding_id(ctx: &mut Ctx<'_>) -> AppResult<u64> {
    value::next_id(ctx, state_key::UNBONDING_ID, 1, "unbonding id")
}

/// When tokens leaving `r` now are free: after the unbonding period from a bonded validator,
/// when its own unbonding ends from an unbonding one, at once from an unbonded one.
fn completion_time(ctx: &mut Ctx<'_>, r: &Record) -> AppResult<i64> {
    let now = ctx.block.time_unix;
    Ok(match r.status {
        status::BONDED => {
            let p = state::params(ctx)?;
            now.saturating_add(p.unbonding_time.map_or(0, |d| d.seconds))
        }
        status::UNBONDING => state::seconds(&r.unbonding_time),
        _ => now,
    })
}

/// Undelegates `amount` tokens' worth: they leave the validator now and are paid out when the
/// unbonding period ends (`complete_unbondings`). Returns the completion time and the tokens.
pub fn undelegate(
    ctx: &mut Ctx<'_>,
    del: &Address,
    op: &Address,
    amount: u128,
) -> AppResult<(i64, u128)> {
    let r = validators::must_get(ctx, op)?;
    let shares = shares_for(ctx, del, &r, amount)?;
    let (dk, ok) = (key_of(del), key_of(op));
    let mut u = state::ubd(ctx, del, op)?.unwrap_or_else(|| UnbondingDelegation {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        entries: Vec::new(),
    });
    let max = state::params(ctx)?.max_entries as usize;
    if u.entries.len() >= max {
        return Err(errors::max_unbonding_delegation_entries(format!(
            "{del} has {} undelegations from {} in progress, the most allowed",
            u.entries.len(),
            r.operator_address
        )));
    }
    let completion = completion_time(ctx, &r)?;
    let out = unbond(ctx, del, op, shares)?;
    if out == 0 {
        return Err(AppError::invalid_request(format!(
            "undelegating {amount}{BASE_DENOM} from {} returns no tokens",
            r.operator_address
        )));
    }
    move_between_pools(ctx, r.status, status::UNBONDED, out)?;
    let id = next_unbonding_id(ctx)?;
    u.entries.push(UnbondingDelegationEntry {
        creation_height: ctx.block.height as i64,
        completion_time: state::timestamp(completion),
        initial_balance: out.to_string(),
        balance: out.to_string(),
        unbonding_id: id,
        unbonding_on_hold_ref_count: 0,
    });
    ctx.put(state_key::ubd(&dk, &ok), u.encode_to_vec())?;
    ctx.put(state_key::ubd_by_val(&ok, &dk), vec![])?;
    ctx.put(state_key::ubd_queue(completion, &dk, &ok), vec![])?;
    ctx.emit(
        "unbond",
        &[
            ("validator", r.operator_address.clone()),
            ("delegator", del.to_bech32()),
            ("amount", Coin::new(BASE_DENOM, out).to_string()),
            ("completion_time", completion.to_string()),
        ],
    );
    Ok((completion, out))
}

/// Moves `amount` tokens' worth of `del`'s delegation from `src` to `dst` at once. While
/// `src`'s unbonding period runs, the moved tokens stay slashable for what `src` did, and they
/// cannot move on again (no hopping away from a coming slash).
pub fn redelegate(
    ctx: &mut Ctx<'_>,
    del: &Address,
    src: &Address,
    dst: &Address,
    amount: u128,
) -> AppResult<i64> {
    if src == dst {
        return Err(errors::self_redelegation(format!(
            "cannot redelegate from {} to itself",
            src.to_valoper()
        )));
    }
    let from = validators::must_get(ctx, src)?;
    let to = state::record(ctx, dst)?.ok_or_else(|| {
        errors::bad_redelegation_dst(format!(
            "redelegation destination {} does not exist",
            dst.to_valoper()
        ))
    })?;
    let (dk, sk, tk) = (key_of(del), key_of(src), key_of(dst));
    if !ctx
        .kv_scan_keys_from(&state_key::reds_by_dst_of(&sk, &dk), "", 1)?
        .is_empty()
    {
        return Err(errors::transitive_redelegation(format!(
            "{del} has a redelegation into {} still in progress; it must complete before those tokens move again",
            src.to_valoper()
        )));
    }
    let mut red = state::red(ctx, del, src, dst)?.unwrap_or_else(|| Redelegation {
        delegator_address: del.to_bech32(),
        validator_src_address: src.to_valoper(),
        validator_dst_address: dst.to_valoper(),
        entries: Vec::new(),
    });
    let max = state::params(ctx)?.max_entries as usize;
    if red.entries.len() >= max {
        return Err(errors::max_redelegation_entries(format!(
            "{del} has {} redelegations from {} to {} in progress, the most allowed",
            red.entries.len(),
            src.to_valoper(),
            dst.to_valoper()
        )));
    }
    let shares = shares_for(ctx, del, &from, amount)?;
    let completion = completion_time(ctx, &from)?;
    let out = unbond(ctx, del, src, shares)?;
    if out == 0 {
        return Err(errors::tiny_redelegation_amount(format!(
            "redelegating {amount}{BASE_DENOM} moves no tokens"
        )));
    }
    // The destination may have changed if unbond jailed or removed the source only; reload.
    crate::distribution::f1::before_delegation_change(ctx, del, dst)?;
    let mut to = state::record(ctx, dst)?.unwrap_or(to);
    move_between_pools(ctx, from.status, to.status, out)?;
    let issued = add_tokens(&mut to, out)?;
    add_delegation(ctx, del, dst, issued)?;
    save(ctx, &to)?;
    crate::distribution::f1::after_delegation_change(ctx, del, dst)?;
    if from.status != status::UNBONDED {
        let id = next_unbonding_id(ctx)?;
        red.entries.push(RedelegationEntry {
            creation_height: ctx.block.height as i64,
            completion_time: state::timestamp(completion),
            initial_balance: out.to_string(),
            shares_dst: issued.to_proto(),
            unbonding_id: id,
            unbonding_on_hold_ref_count: 0,
        });
        ctx.put(state_key::red(&dk, &sk, &tk), red.encode_to_vec())?;
        ctx.put(state_key::red_by_src(&sk, &dk, &tk), vec![])?;
        ctx.put(state_key::red_by_dst(&tk, &dk, &sk), vec![])?;
        ctx.put(state_key::red_queue(completion, &dk, &sk, &tk), vec![])?;
    }
    ctx.emit(
        "redelegate",
        &[
            ("source_validator", src.to_valoper()),
            ("destination_validator", dst.to_valoper()),
            ("delegator", del.to_bech32()),
            ("amount", Coin::new(BASE_DENOM, out).to_string()),
            ("completion_time", completion.to_string()),
        ],
    );
    Ok(completion)
}

/// Returns `amount` of the undelegation `del` started from `op` at `height` to its
/// delegation, before it completes.
pub fn cancel_unbonding(
    ctx: &mut Ctx<'_>,
    del: &Address,
    op: &Address,
    amount: u128,
    height: i64,
) -> AppResult<()> {
    let mut r = validators::must_get(ctx, op)?;
    let (dk, ok) = (key_of(del), key_of(op));
    let mut u = state::ubd(ctx, del, op)?.ok_or_else(|| {
        errors::no_unbonding_delegation(format!(
            "{del} has no undelegation from {}",
            op.to_valoper()
        ))
    })?;
    let i = u
        .entries
        .iter()
        .position(|e| e.creation_height == height)
        .ok_or_else(|| {
            errors::unbonding_not_found(format!(
                "{del} has no undelegation from {} started at height {height}",
                op.to_valoper()
            ))
        })?;
    let e = &mut u.entries[i];
    if state::seconds(&e.completion_time) <= ctx.block.time_unix {
        return Err(AppError::invalid_request(
            "the undelegation has completed already",
        ));
    }
    let balance = state::int_of(&e.balance)?;
    if amount > balance {
        return Err(AppError::invalid_request(format!(
            "{amount}{BASE_DENOM} is more than the undelegation's balance {balance}{BASE_DENOM}"
        )));
    }
    crate::distribution::f1::before_delegation_change(ctx, del, op)?;
    move_between_pools(ctx, status::UNBONDED, r.status, amount)?;
    let issued = add_tokens(&mut r, amount)?;
    add_delegation(ctx, del, op, issued)?;
    save(ctx, &r)?;
    crate::distribution::f1::after_delegation_change(ctx, del, op)?;
    let left = balance.saturating_sub(amount);
    if left == 0 {
        u.entries.remove(i);
    } else {
        e.balance = left.to_string();
    }
    if u.entries.is_empty() {
        ctx.delete(state_key::ubd(&dk, &ok))?;
        ctx.delete(state_key::ubd_by_val(&ok, &dk))?;
    } else {
        ctx.put(state_key::ubd(&dk, &ok), u.encode_to_vec())?;
    }
    ctx.emit(
        "cancel_unbonding_delegation",
        &[
            ("validator", r.operator_address.clone()),
            ("delegator", del.to_bech32()),
            ("amount", Coin::new(BASE_DENOM, amount).to_string()),
            ("creation_height", height.to_string()),
        ],
    );
    Ok(())
}
