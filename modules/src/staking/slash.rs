//! Slashing stake, as the SDK does: a fraction of the stake a validator had when it misbehaved
//! is burned — first from the undelegations and redelegations that left it after the offence
//! (they were still at stake then), the rest from its tokens, so every delegator's shares lose
//! the same share of their worth. Jailing takes it out of the set; unjailing lets it back.

use super::errors;
use super::state::{self, key_of, state_key, status, POWER_REDUCTION};
use super::validators::{self, pool_of, save};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{Delegation, Redelegation, UnbondingDelegation};
use prost::Message;

fn burn(ctx: &mut Ctx<'_>, pool: &str, amount: u128) -> AppResult<()> {
    if amount == 0 {
        return Ok(());
    }
    bank::burn(
        ctx,
        &Address::module(pool),
        &[Coin::new(BASE_DENOM, amount)],
    )
    .map_err(|e| AppError::internal(format!("burning slashed stake: {}", e.log)))
}

/// The operator of the validator with consensus address `cons`.
pub fn operator_of(kv: &mut impl Kv, cons: &[u8; 20]) -> AppResult<Option<Address>> {
    state::operator_by_cons(kv, cons)
}

/// Slashes the validator with consensus address `cons` for an offence at `infraction_height`,
/// when it had `power`, by `fraction`. Returns the tokens burned.
pub fn slash(
    ctx: &mut Ctx<'_>,
    cons: &[u8; 20],
    infraction_height: i64,
    power: i64,
    fraction: Dec,
    reason: &str,
) -> AppResult<u128> {
    let Some(op) = operator_of(ctx, cons)? else {
        return Ok(0); // removed since: nothing at stake is left to slash
    };
    let mut r = validators::must_get(ctx, &op)?;
    if r.status == status::UNBONDED {
        return Ok(0);
    }
    let amount = u128::try_from(power.max(0))
        .unwrap_or(0)
        .saturating_mul(POWER_REDUCTION);
    let due = fraction.mul_int_floor(amount)?;
    let mut left = due;
    let now_height = ctx.block.height as i64;
    if infraction_height < now_height {
        left = left.saturating_sub(slash_unbondings(ctx, &op, infraction_height, fraction)?);
        left = left.saturating_sub(slash_redelegations(ctx, &op, infraction_height, fraction)?);
    }
    let tokens = validators::tokens(&r)?;
    let take = left.min(tokens);
    if take > 0 {
        // Delegators' reward stakes shrink by the share of tokens burned, from here on.
        crate::distribution::f1::before_slash(ctx, &op, Dec::ratio(take, tokens)?)?;
    }
    r.tokens = tokens.saturating_sub(take).to_string();
    save(ctx, &r)?;
    burn(ctx, pool_of(r.status), take)?;
    ctx.emit(
        "slash",
        &[
            ("address", hex::encode_upper(cons)),
            ("validator", r.operator_address.clone()),
            ("power", power.to_string()),
            ("reason", reason.to_string()),
            ("burned_coins", take.to_string()),
        ],
    );
    Ok(take)
}

fn still_running(ctx: &Ctx<'_>, created: i64, completion: i64, since: i64) -> bool {
    created >= since && completion > ctx.block.time_unix
}

/// Slashes undelegations from `op` that began at or after `since`; returns the amount they
/// owed (their initial balance × fraction), which counts toward the slash even where less
/// was left to burn.
fn slash_unbondings(ctx: &mut Ctx<'_>, op: &Address, since: i64, fraction: Dec) -> AppResult<u128> {
    let ok = key_of(op);
    let prefix = state_key::ubds_by_val(&ok);
    let mut owed_total = 0u128;
    for k in ctx.kv_scan_keys(&prefix)? {
        let dk = &k[prefix.len()..];
        let key = state_key::ubd(dk, &ok);
        let Some(mut u) = value::get::<UnbondingDelegation>(ctx, &key, "unbonding delegation")?
        else {
            continue;
        };
        let mut burned = 0u128;
        for e in &mut u.entries {
            if !still_running(
                ctx,
                e.creation_height,
                state::seconds(&e.completion_time),
                since,
            ) {
                continue;
            }
            let owed = fraction.mul_int_floor(state::int_of(&e.initial_balance)?)?;
            let balance = state::int_of(&e.balance)?;
            let take = owed.min(balance);
            e.balance = balance.saturating_sub(take).to_string();
            burned = burned.saturating_add(take);
            owed_total = owed_total.saturating_add(owed);
        }
        if burned > 0 {
            ctx.put(key, u.encode_to_vec())?;
            burn(ctx, state::NOT_BONDED_POOL, burned)?;
        }
    }
    Ok(owed_total)
}

/// Slashes redelegations out of `src` that began at or after `since`: the shares they bought
/// at the destination are unbonded and burned. Returns what they owed.
fn slash_redelegations(
    ctx: &mut Ctx<'_>,
    src: &Address,
    since: i64,
    fraction: Dec,
) -> AppResult<u128> {
    let sk = key_of(src);
    let prefix = state_key::reds_by_src(&sk);
    let mut owed_total = 0u128;
    for k in ctx.kv_scan_keys(&prefix)? {
        let Some((dk, tk)) = k[prefix.len()..].split_once('/') else {
            return Err(AppError::internal(format!(
                "corrupt redelegation index {k}"
            )));
        };
        let Some(red) =
            value::get::<Redelegation>(ctx, &state_key::red(dk, &sk, tk), "redelegation")?
        else {
            continue;
        };
        let (del, dst) = (state::address_of_key(dk)?, state::address_of_key(tk)?);
        for e in &red.entries {
            if !still_running(
                ctx,
                e.creation_height,
                state::seconds(&e.completion_time),
                since,
            ) {
                continue;
            }
            owed_total = owed_total
                .saturating_add(fraction.mul_int_floor(state::int_of(&e.initial_balance)?)?);
            let Some(d) =
                value::get::<Delegation>(ctx, &state_key::delegation(dk, tk), "delegation")?
            else {
                continue; // undelegated from the destination since: its undelegation is there
            };
            let want = Dec::from_proto(&e.shares_dst)?.checked_mul(fraction)?;
            let shares = want.min(Dec::from_proto(&d.shares)?);
            if shares == Dec::ZERO {
                continue;
            }
            let dst_status = validators::must_get(ctx, &dst)?.status;
            let tokens = super::delegation::unbond(ctx, &del, &dst, shares)?;
            burn(ctx, pool_of(dst_status), tokens)?;
        }
    }
    Ok(owed_total)
}

/// Jails the validator with consensus address `cons` (it leaves the set at the end of the
/// block); nothing if it is unknown or jailed already.
pub fn jail(ctx: &mut Ctx<'_>, cons: &[u8; 20], reason: &str) -> AppResult<()> {
    let Some(op) = operator_of(ctx, cons)? else {
        return Ok(());
    };
    let mut r = validators::must_get(ctx, &op)?;
    validators::jail(ctx, &mut r, reason)
}

/// The tokens the operator's own delegation is worth (0 without one).
pub fn self_bonded(kv: &mut impl Kv, op: &Address) -> AppResult<u128> {
    let Some(r) = state::record(kv, op)? else {
        return Ok(0);
    };
    match state::delegation(kv, op, op)? {
        Some(d) => super::delegation::tokens_of(
            Dec::from_proto(&d.shares)?,
            validators::tokens(&r)?,
            validators::shares(&r)?,
        ),
        None => Ok(0),
    }
}

/// Lets a jailed validator back into the power index (slashing's MsgUnjail checks when it
/// may); it rejoins the set at the end of the block if its power ranks.
pub fn unjail(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<()> {
    let mut r = validators::must_get(ctx, op)?;
    if !r.jailed {
        return Err(errors::validator_jailed(format!(
            "validator {} is not jailed",
            r.operator_address
        )));
    }
    r.jailed = false;
    save(ctx, &r)?;
    ctx.emit("unjail", &[("validator", r.operator_address.clone())]);
    Ok(())
}
