//! Lazy reward accounting (F1 fee distribution, Ojha 2019, as the Cosmos SDK's x/distribution
//! does it): a validator's rewards accumulate in its current period; a period ends whenever
//! its stake changes (a delegation, an undelegation, a slash), recording the cumulative
//! reward per token. A delegation remembers the period it started in and its stake; what it
//! has earned is stake × (ratio now − ratio then), corrected for slashes in between. Nothing
//! iterates over delegators: allocating a block's rewards costs the same with one delegator
//! or a million.

use super::dec_coins::DecCoins;
use super::state::{self, state_key, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank;
use crate::coins::format_coins;
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::staking::state::{self as staking_state, key_of, Record};
use crate::staking::validators;
use crate::value;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    DelegatorStartingInfo, ValidatorCurrentRewards, ValidatorHistoricalRewards, ValidatorSlashEvent,
};
use prost::Message;

/// A new validator: period 0 closed with a zero ratio, period 1 open.
pub fn validator_created(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<()> {
    let ok = key_of(op);
    state::set_historical(
        ctx,
        &ok,
        0,
        &ValidatorHistoricalRewards {
            cumulative_reward_ratio: Vec::new(),
            reference_count: 1,
        },
    )?;
    set_current(ctx, &ok, &DecCoins::default(), 1)?;
    state::set_commission(ctx, &ok, &DecCoins::default())?;
    state::set_outstanding(ctx, &ok, &DecCoins::default())
}

fn set_current(ctx: &mut Ctx<'_>, op: &str, rewards: &DecCoins, period: u64) -> AppResult<()> {
    let c = ValidatorCurrentRewards {
        rewards: rewards.to_proto(),
        period,
    };
    ctx.put(state_key::current(op), c.encode_to_vec())
}

fn change_refs(ctx: &mut Ctx<'_>, op: &str, period: u64, up: bool) -> AppResult<()> {
    let mut h = state::historical(ctx, op, period)?;
    if up {
        h.reference_count = h.reference_count.saturating_add(1);
    } else {
        h.reference_count = h.reference_count.checked_sub(1).ok_or_else(|| {
            AppError::internal(format!(
                "historical rewards {op}/{period}: negative references"
            ))
        })?;
    }
    if h.reference_count == 0 {
        ctx.delete(state_key::historical(op, period))
    } else {
        state::set_historical(ctx, op, period, &h)
    }
}

/// The validator's tokens as a decimal.
fn tokens_dec(r: &Record) -> AppResult<Dec> {
    Dec::from_int(validators::tokens(r)?)
}

/// Closes the validator's current period: its rewards divided by its tokens join the
/// cumulative ratio. Returns the period closed. A validator with no tokens cannot share
/// rewards out: they go to the community pool.
pub fn increment_period(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<u64> {
    let r = validators::must_get(ctx, op)?;
    let ok = key_of(op);
    let cur = state::current(ctx, &ok)?;
    let rewards = DecCoins::from_proto(&cur.rewards)?;
    let tokens = tokens_dec(&r)?;
    let ratio = if tokens == Dec::ZERO {
        if !rewards.is_zero() {
            state::add_to_community_pool(ctx, &rewards)?;
            let left = state::outstanding(ctx, &ok)?.sub(&rewards)?;
            state::set_outstanding(ctx, &ok, &left)?;
        }
        DecCoins::default()
    } else {
        rewards.quo_dec(tokens)?
    };
    let before = state::historical(ctx, &ok, cur.period.saturating_sub(1))?;
    let cumulative = DecCoins::from_proto(&before.cumulative_reward_ratio)?.add(&ratio)?;
    state::set_historical(
        ctx,
        &ok,
        cur.period,
        &ValidatorHistoricalRewards {
            cumulative_reward_ratio: cumulative.to_proto(),
            reference_count: 1,
        },
    )?;
    change_refs(ctx, &ok, cur.period.saturating_sub(1), false)?;
    let next = cur
        .period
        .checked_add(1)
        .ok_or_else(|| AppError::overflow("validator period"))?;
    set_current(ctx, &ok, &DecCoins::default(), next)?;
    Ok(cur.period)
}

/// What `stake` earned between two cumulative ratios.
fn earned(start: &DecCoins, end: &DecCoins, stake: Dec) -> AppResult<DecCoins> {
    if !start.le(end) {
        return Err(AppError::internal(format!(
            "cumulative reward ratio went down: {start} then {end}"
        )));
    }
    end.sub(start)?.mul_dec(stake)
}

fn ratio_at(kv: &mut impl Kv, op: &str, period: u64) -> AppResult<DecCoins> {
    let h: Option<ValidatorHistoricalRewards> =
        value::get(kv, &state_key::historical(op, period), "historical rewards")?;
    let h = h.ok_or_else(|| {
        AppError::internal(format!(
            "validator {op} has no historical rewards for period {period}"
        ))
    })?;
    DecCoins::from_proto(&h.cumulative_reward_ratio)
}

/// The tokens `shares` of `r` are worth, as a decimal (rounded down).
fn stake_of(r: &Record, shares: Dec) -> AppResult<Dec> {
    let total = validators::shares(r)?;
    if total == Dec::ZERO {
        return Ok(Dec::ZERO);
    }
    shares.mul_quo(tokens_dec(r)?, total)
}

/// The slash events of `op` at heights from `from` up to `to`, in order: (height, event).
fn slashes_between(
    kv: &mut impl Kv,
    op: &str,
    from: u64,
    to: u64,
) -> AppResult<Vec<ValidatorSlashEvent>> {
    let prefix = state_key::slashes_of(op);
    let mut out = Vec::new();
    for (k, v) in kv.kv_scan(&prefix)? {
        let height: u64 = k[prefix.len()..]
            .split('/')
            .next()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| AppError::internal(format!("corrupt slash event key {k}")))?;
        if height >= from && height <= to {
            out.push(value::decode("slash event", &v)?);
        }
    }
    Ok(out)
}

/// What `del`'s delegation to `op` has earned up to `end_ratio` (the cumulative ratio of
/// the period the caller just closed, or would close), walking the slashes since it began.
pub fn delegation_rewards(
    kv: &mut impl Kv,
    op: &Address,
    del: &Address,
    end_ratio: &DecCoins,
    height: u64,
) -> AppResult<DecCoins> {
    let (ok, dk) = (key_of(op), key_of(del));
    let Some(info) = state::start(kv, &ok, &dk)? else {
        return Ok(DecCoins::default());
    };
    if info.height == height {
        return Ok(DecCoins::default()); // began this block: nothing earned yet
    }
    let r = validators::must_get(kv, op)?;
    let mut period = info.previous_period;
    let mut stake = Dec::from_proto(&info.stake)?;
    let mut rewards = DecCoins::default();
    for ev in slashes_between(kv, &ok, info.height, height)? {
        if ev.validator_period > period {
            let (a, b) = (
                ratio_at(kv, &ok, period)?,
                ratio_at(kv, &ok, ev.validator_period)?,
            );
            rewards = rewards.add(&earned(&a, &b, stake)?)?;
            let kept = Dec::ONE.checked_sub(Dec::from_proto(&ev.fraction)?)?;
            stake = stake.checked_mul(kept)?;
            period = ev.validator_period;
        }
    }
    let shares = staking_state::delegation(kv, del, op)?
        .map_or(Ok(Dec::ZERO), |d| Dec::from_proto(&d.shares))?;
    // Rounding in the slashes can leave the computed stake a hair above what the shares are
    // worth; never pay on more than they are worth.
    stake = stake.min(stake_of(&r, shares)?);
    rewards.add(&earned(&ratio_at(kv, &ok, period)?, end_ratio, stake)?)
}

/// Starts a delegation's accounting at the validator's current period, with the stake its
/// shares are worth now.
pub fn initialize_delegation(ctx: &mut Ctx<'_>, op: &Address, del: &Address) -> AppResult<()> {
    let (ok, dk) = (key_of(op), key_of(del));
    let previous = state::current(ctx, &ok)?.period.saturating_sub(1);
    change_refs(ctx, &ok, previous, true)?;
    let r = validators::must_get(ctx, op)?;
    let shares = staking_state::delegation(ctx, del, op)?
        .map_or(Ok(Dec::ZERO), |d| Dec::from_proto(&d.shares))?;
    let info = DelegatorStartingInfo {
        previous_period: previous,
        stake: stake_of(&r, shares)?.to_proto(),
        height: ctx.block.height,
    };
    ctx.put(state_key::start(&ok, &dk), info.encode_to_vec())
}

/// Pays `del` what its delegation to `op` has earned (whole units to its withdraw address,
/// the fractions to the community pool) and ends the delegation's accounting; the caller
/// starts it again if the delegation goes on.
pub fn withdraw_rewards(
    ctx: &mut Ctx<'_>,
    op: &Address,
    del: &Address,
) -> AppResult<Vec<crate::coins::Coin>> {
    let (ok, dk) = (key_of(op), key_of(del));
    let Some(info) = state::start(ctx, &ok, &dk)? else {
        return Err(super::errors::empty_delegation_dist_info(format!(
            "{del} has no delegation to {} to withdraw rewards from",
            op.to_valoper()
        )));
    };
    let ended = increment_period(ctx, op)?;
    let end_ratio = ratio_at(ctx, &ok, ended)?;
    let height = ctx.block.height;
    let owed = delegation_rewards(ctx, op, del, &end_ratio, height)?;
    let outstanding = state::outstanding(ctx, &ok)?;
    // Rounding can only make what is owed smaller than what was set aside; never pay more.
    let rewards = owed.min(&outstanding);
    let (coins, change) = rewards.truncate()?;
    state::set_outstanding(ctx, &ok, &outstanding.sub(&rewards)?)?;
    state::add_to_community_pool(ctx, &change)?;
    if !coins.is_empty() {
        let to = state::withdraw_address(ctx, del)?;
        bank::transfer(ctx, &Address::module(MODULE_ACCOUNT), &to, &coins)
            .map_err(|e| AppError::internal(format!("paying rewards: {}", e.log)))?;
    }
    change_refs(ctx, &ok, info.previous_period, false)?;
    ctx.delete(state_key::start(&ok, &dk))?;
    ctx.emit(
        "withdraw_rewards",
        &[
            ("amount", format_coins(&coins)),
            ("validator", op.to_valoper()),
            ("delegator", del.to_bech32()),
        ],
    );
    Ok(coins)
}

/// What `del`'s delegation to `op` has earned so far, for queries (nothing is written: the
/// current period's ratio is worked out, not closed).
pub fn pending_rewards(kv: &mut impl Kv, op: &Address, del: &Address) -> AppResult<DecCoins> {
    let ok = key_of(op);
    let r = validators::must_get(kv, op)?;
    let cur: ValidatorCurrentRewards = value::get(kv, &state_key::current(&ok), "current rewards")?
        .ok_or_else(|| AppError::internal(format!("validator {ok} has no current rewards")))?;
    let tokens = tokens_dec(&r)?;
    let now = DecCoins::from_proto(&cur.rewards)?;
    let ratio = if tokens == Dec::ZERO {
        DecCoins::default()
    } else {
        now.quo_dec(tokens)?
    };
    let end = ratio_at(kv, &ok, cur.period.saturating_sub(1))?.add(&ratio)?;
    let owed = delegation_rewards(kv, op, del, &end, u64::MAX)?;
    Ok(owed.min(&state::outstanding(kv, &ok)?))
}

/// Pays the validator's accumulated commission (whole units) to its operator's withdraw
/// address; the fractions stay.
pub fn withdraw_commission(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<Vec<crate::coins::Coin>> {
    let ok = key_of(op);
    let acc = state::commission(ctx, &ok)?;
    if acc.is_zero() {
        return Err(super::errors::no_validator_commission(format!(
            "validator {} has no commission to withdraw",
            op.to_valoper()
        )));
    }
    let (coins, change) = acc.truncate()?;
    state::set_commission(ctx, &ok, &change)?;
    let paid = DecCoins::from_coins(&coins)?;
    let left = state::outstanding(ctx, &ok)?.sub(&paid)?;
    state::set_outstanding(ctx, &ok, &left)?;
    if !coins.is_empty() {
        let to = state::withdraw_address(ctx, op)?;
        bank::transfer(ctx, &Address::module(MODULE_ACCOUNT), &to, &coins)
            .map_err(|e| AppError::internal(format!("paying commission: {}", e.log)))?;
    }
    ctx.emit(
        "withdraw_commission",
        &[
            ("amount", format_coins(&coins)),
            ("validator", op.to_valoper()),
        ],
    );
    Ok(coins)
}

/// Adds `tokens` to the validator's rewards: its commission first, the rest for everyone
/// bonded to it.
pub fn allocate_to_validator(ctx: &mut Ctx<'_>, r: &Record, tokens: &DecCoins) -> AppResult<()> {
    let op = validators::operator(r)?;
    let ok = key_of(&op);
    let rate = r
        .commission
        .as_ref()
        .and_then(|c| c.commission_rates.as_ref())
        .map_or(Ok(Dec::ZERO), |c| Dec::from_proto(&c.rate))?;
    let commission = tokens.mul_dec(rate)?;
    let shared = tokens.sub(&commission)?;
    let acc = state::commission(ctx, &ok)?.add(&commission)?;
    state::set_commission(ctx, &ok, &acc)?;
    let cur = state::current(ctx, &ok)?;
    let rewards = DecCoins::from_proto(&cur.rewards)?.add(&shared)?;
    set_current(ctx, &ok, &rewards, cur.period)?;
    let owed = state::outstanding(ctx, &ok)?.add(tokens)?;
    state::set_outstanding(ctx, &ok, &owed)?;
    ctx.emit(
        "commission",
        &[
            ("amount", commission.to_string()),
            ("validator", r.operator_address.clone()),
        ],
    );
    ctx.emit(
        "rewards",
        &[
            ("amount", tokens.to_string()),
            ("validator", r.operator_address.clone()),
        ],
    );
    Ok(())
}

// Hooks staking calls.

/// Before a delegation's shares change (or one is created): pay what it earned so far, or,
/// for a new one, close the period so it earns nothing from before it existed.
pub fn before_delegation_change(ctx: &mut Ctx<'_>, del: &Address, op: &Address) -> AppResult<()> {
    if state::start(ctx, &key_of(op), &key_of(del))?.is_some() {
        withdraw_rewards(ctx, op, del).map(|_| ())
    } else {
        increment_period(ctx, op).map(|_| ())
    }
}

/// After a delegation's shares changed: its accounting starts again with its new stake
/// (nothing if it ended).
pub fn after_delegation_change(ctx: &mut Ctx<'_>, del: &Address, op: &Address) -> AppResult<()> {
    if staking_state::delegation(ctx, del, op)?.is_some() {
        initialize_delegation(ctx, op, del)?;
    }
    Ok(())
}

/// Before `fraction` of the validator's tokens are burned: close the period and remember the
/// slash, so every delegation's stake is reduced from here on.
pub fn before_slash(ctx: &mut Ctx<'_>, op: &Address, fraction: Dec) -> AppResult<()> {
    if fraction == Dec::ZERO {
        return Ok(());
    }
    let period = increment_period(ctx, op)?;
    let ok = key_of(op);
    change_refs(ctx, &ok, period, true)?;
    let ev = ValidatorSlashEvent {
        validator_period: period,
        fraction: fraction.to_proto(),
    };
    ctx.put(
        state_key::slash(&ok, ctx.block.height, period),
        ev.encode_to_vec(),
    )
}

/// After a validator is removed (nobody is bonded to it): its commission goes to its
/// operator, anything else left to the community pool, and its records are deleted.
pub fn validator_removed(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<()> {
    let ok = key_of(op);
    let commission = state::commission(ctx, &ok)?;
    let mut outstanding = state::outstanding(ctx, &ok)?;
    let (coins, _) = commission.truncate()?;
    if !coins.is_empty() {
        let to = state::withdraw_address(ctx, op)?;
        bank::transfer(ctx, &Address::module(MODULE_ACCOUNT), &to, &coins)
            .map_err(|e| AppError::internal(format!("paying commission: {}", e.log)))?;
        outstanding = outstanding.sub(&DecCoins::from_coins(&coins)?)?;
    }
    state::add_to_community_pool(ctx, &outstanding)?;
    for prefix in [
        state_key::historicals_of(&ok),
        state_key::slashes_of(&ok),
        state_key::starts_of(&ok),
    ] {
        for k in ctx.kv_scan_keys(&prefix)? {
            ctx.delete(k)?;
        }
    }
    for k in [
        state_key::current(&ok),
        state_key::outstanding(&ok),
        state_key::commission(&ok),
    ] {
        ctx.delete(k)?;
    }
    Ok(())
}
