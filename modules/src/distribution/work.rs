//! The useful-work pool. A share of every block's fees and emission (`useful_work_tax`)
//! fills it; every `epoch_blocks` it is paid out to the executors and solvers whose work a
//! requester paid for in that epoch, in proportion to their score: the fees they earned from
//! other parties, weighted by their quality at the time (accepted, outvoted and missed
//! results; see the image module's quality). Each worker's payout is capped at
//! `max_reward_per_fee` × those fees; what is not paid stays for the next epoch.
//!
//! An epoch's end only closes it (`close`: the pot set aside, the total score fixed); its
//! workers are paid over the next blocks, at most `payout_records_per_block` records a block
//! (`pay_some`), so no block's cost grows with the number of workers.
//!
//! Work the worker requested from itself earns nothing: a requester that is the worker, the
//! operator of the worker's validator, or a withdraw address of either is its own party, and
//! such work is counted (`self_dealt`) but never scored. The work modules report each paid
//! result with [`record`].

use super::state::{self, state_key, WORK_POOL};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::staking::state::key_of;
use crate::value;
use glia_proto::distribution::v1::{Payout, UsefulWorkParams, WorkScore};
use prost::Message;

/// One paid result of useful work.
pub struct Work<'a> {
    /// The account paid for it (an executor's operator, a solver).
    pub worker: &'a Address,
    /// The validator (consensus address) the worker executes for, if it is a validator's
    /// executor.
    pub validator: Option<[u8; 20]>,
    /// Who paid for it.
    pub requester: &'a Address,
    /// What the worker was paid for it (uglia).
    pub paid: u128,
    /// The worker's quality (basis points, 10,000 = perfect) when it was paid.
    pub quality_bps: u32,
    /// "image" or "job", for the event.
    pub kind: &'static str,
}

/// The accounts that are the worker's own party.
fn own_party(ctx: &mut Ctx<'_>, w: &Work<'_>) -> AppResult<Vec<Address>> {
    let mut party = vec![w.worker.clone(), state::withdraw_address(ctx, w.worker)?];
    if let Some(cons) = w.validator {
        if let Some(op) = crate::staking::slash::operator_of(ctx, &cons)? {
            party.push(state::withdraw_address(ctx, &op)?);
            party.push(op);
        }
    }
    Ok(party)
}

/// The epoch work is being recorded for now (the first is 1).
pub fn current_epoch(kv: &mut impl Kv) -> AppResult<u64> {
    let n = value::amount(kv, state_key::WORK_EPOCH)?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX).max(1))
}

fn int(s: &str) -> AppResult<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    value::amount_of(s)
}

fn add(s: &str, n: u128) -> AppResult<String> {
    int(s)?
        .checked_add(n)
        .map(|v| v.to_string())
        .ok_or_else(|| AppError::overflow("work score"))
}

/// Where a worker's pay goes: its withdraw address (itself unless it set one), so an
/// executor's hot operator key need not hold what it earns. The image and job modules pay
/// there, then [`record`] the work.
pub fn payee(kv: &mut impl Kv, worker: &Address) -> AppResult<Address> {
    state::withdraw_address(kv, worker)
}

/// What the worker was ever paid for work of `kind` ("image" or "job"), in uglia.
pub fn earned_from(kv: &mut impl Kv, kind: &str, worker: &Address) -> AppResult<u128> {
    value::amount(kv, &state_key::earned_of(kind, &key_of(worker)))
}

/// Records one paid result of useful work: in the worker's all-time earnings, and for this
/// epoch's payout.
pub fn record(ctx: &mut Ctx<'_>, w: Work<'_>) -> AppResult<()> {
    if w.paid == 0 {
        return Ok(());
    }
    let ek = state_key::earned_of(w.kind, &key_of(w.worker));
    let before = value::amount(ctx, &ek)?;
    ctx.put(ek, value::encode_amount(before.saturating_add(w.paid)))?;
    let epoch = current_epoch(ctx)?;
    let wk = key_of(w.worker);
    let key = state_key::work(epoch, &wk);
    let mut s: WorkScore = value::get(ctx, &key, "work score")?.unwrap_or_else(|| WorkScore {
        worker: w.worker.to_bech32(),
        ..Default::default()
    });
    let own = own_party(ctx, &w)?.contains(w.requester);
    if own {
        s.self_dealt = s.self_dealt.saturating_add(1);
        s.self_dealt_fees = add(&s.self_dealt_fees, w.paid)?;
    } else {
        let quality = u128::from(w.quality_bps.min(10_000));
        let weighted = w
            .paid
            .saturating_mul(quality)
            .checked_div(10_000)
            .unwrap_or(0);
        s.fees = add(&s.fees, w.paid)?;
        s.score = add(&s.score, weighted)?;
        s.items = s.items.saturating_add(1);
        let pair = state_key::work_pair(epoch, &wk, &key_of(w.requester));
        if ctx.get(&pair)?.is_none() {
            ctx.put(pair, vec![])?;
            s.requesters = s.requesters.saturating_add(1);
        }
        let tk = state_key::work_total(epoch);
        let total = value::amount(ctx, &tk)?.saturating_add(weighted);
        ctx.put(tk, value::encode_amount(total))?;
    }
    ctx.put(key, s.encode_to_vec())?;
    ctx.emit(
        "useful_work",
        &[
            ("worker", w.worker.to_bech32()),
            ("requester", w.requester.to_bech32()),
            ("kind", w.kind.to_string()),
            ("paid", Coin::new(BASE_DENOM, w.paid).to_string()),
            ("quality_bps", w.quality_bps.to_string()),
            ("credited", (!own).to_string()),
        ],
    );
    Ok(())
}

/// The epoch's scores recorded so far, in address order.
pub fn scores(kv: &mut impl Kv, epoch: u64) -> AppResult<Vec<WorkScore>> {
    kv.kv_scan(&state_key::works_of_epoch(epoch))?
        .into_iter()
        .map(|(_, v)| value::decode("work score", &v))
        .collect()
}

/// What the worker has been paid from the pool in all.
pub fn earned(kv: &mut impl Kv, worker: &Address) -> AppResult<u128> {
    value::amount(kv, &state_key::earned(&key_of(worker)))
}

/// The worker's record in the current epoch.
pub fn current(kv: &mut impl Kv, worker: &Address) -> AppResult<Option<WorkScore>> {
    let epoch = current_epoch(kv)?;
    value::get(kv, &state_key::work(epoch, &key_of(worker)), "work score")
}

/// Payouts of ended epochs still running, oldest first.
pub fn paying(kv: &mut impl Kv) -> AppResult<Vec<Payout>> {
    kv.kv_scan(state_key::PAYOUT_PREFIX)?
        .into_iter()
        .map(|(_, v)| value::decode("payout", &v))
        .collect()
}

/// Every block: pay some of the ended epochs' workers, then run some of the automatic
/// withdrawals, within one budget of `payout_records_per_block` records; at an epoch's last
/// block, close it and start the withdrawals.
pub fn end_block(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let p = state::work_params(ctx)?;
    let left = pay_some(ctx, &p)?;
    auto_withdraw_some(ctx, left)?;
    let height = ctx.block.height;
    if height != 0 && height.checked_rem(p.epoch_blocks) == Some(0) {
        close(ctx)?;
        // Everyone who asked has its rewards withdrawn over the next blocks (a run still going
        // from the last epoch just goes on).
        let prefix = state_key::AUTO_WITHDRAW_PREFIX;
        let anyone = !ctx.kv_scan_keys_from(prefix, prefix, 1)?.is_empty();
        if anyone && ctx.get(state_key::AUTO_WITHDRAW_CURSOR)?.is_none() {
            ctx.put(
                state_key::AUTO_WITHDRAW_CURSOR.into(),
                value::encode_text(""),
            )?;
        }
    }
    Ok(())
}

/// Whether an account's rewards are withdrawn at every epoch's end, and all withdrawn so.
pub fn auto_withdraw_of(kv: &mut impl Kv, del: &Address) -> AppResult<(bool, u128)> {
    let k = key_of(del);
    Ok((
        kv.kv_get(&state_key::auto_withdraw(&k))?.is_some(),
        value::amount(kv, &state_key::auto_withdrawn(&k))?,
    ))
}

fn add_withdrawn(ctx: &mut Ctx<'_>, acct: &str, coins: &[Coin]) -> AppResult<()> {
    let n: u128 = coins
        .iter()
        .filter(|c| c.denom == BASE_DENOM)
        .map(|c| c.amount)
        .fold(0, u128::saturating_add);
    if n > 0 {
        let k = state_key::auto_withdrawn(acct);
        let before = value::amount(ctx, &k)?;
        ctx.put(k, value::encode_amount(before.saturating_add(n)))?;
    }
    Ok(())
}

fn finish_auto_withdraw(ctx: &mut Ctx<'_>, accounts: u64, withdrawals: u64) -> AppResult<()> {
    ctx.delete(state_key::AUTO_WITHDRAW_CURSOR.into())?;
    ctx.emit(
        "auto_withdraw",
        &[
            ("accounts", accounts.to_string()),
            ("withdrawals", withdrawals.to_string()),
            ("done", "true".into()),
        ],
    );
    Ok(())
}

/// Runs the automatic withdrawals, `budget` records at most (a validator's commission or one
/// delegation's rewards each): for each account that asked (`MsgSetAutoWithdraw`), in key
/// order, its validator's commission if it is an operator, then each delegation's rewards, all
/// to its withdraw address, exactly as the withdraw messages pay them. Where it stops is kept
/// (`AUTO_WITHDRAW_CURSOR`: `ACCOUNT/VALIDATOR` within an account, `ACCOUNT` after one), so no
/// block's cost grows with the number of accounts or delegations.
fn auto_withdraw_some(ctx: &mut Ctx<'_>, mut budget: usize) -> AppResult<()> {
    let Some(cursor) = value::text(ctx, state_key::AUTO_WITHDRAW_CURSOR, "auto-withdraw cursor")?
    else {
        return Ok(());
    };
    let (mut acct, mut within) = match cursor.split_once('/') {
        Some((a, v)) => (a.to_string(), Some(v.to_string())),
        None => (cursor.clone(), None),
    };
    let (mut accounts, mut withdrawals) = (0u64, 0u64);
    while budget > 0 {
        // An account that turned it off since is left at once.
        if within.is_some() && ctx.get(&state_key::auto_withdraw(&acct))?.is_none() {
            within = None;
        }
        let after = match &within {
            Some(v) => v.clone(),
            None => {
                // The next account after `acct`; its commission first.
                let prefix = state_key::AUTO_WITHDRAW_PREFIX;
                let start = format!("{prefix}{acct}\u{0}");
                let Some(next) = ctx.kv_scan_keys_from(prefix, &start, 1)?.pop() else {
                    return finish_auto_withdraw(ctx, accounts, withdrawals);
                };
                acct = next[prefix.len()..].to_string();
                accounts = accounts.saturating_add(1);
                let op = crate::staking::state::address_of_key(&acct)?;
                let has_commission = crate::staking::state::record(ctx, &op)?.is_some()
                    && !state::commission(ctx, &acct)?.truncate()?.0.is_empty();
                if has_commission {
                    let coins = ctx.atomic(|ctx| super::f1::withdraw_commission(ctx, &op))?;
                    add_withdrawn(ctx, &acct, &coins)?;
                    withdrawals = withdrawals.saturating_add(1);
                    budget = budget.saturating_sub(1);
                }
                String::new()
            }
        };
        let del = crate::staking::state::address_of_key(&acct)?;
        let prefix = crate::staking::state::state_key::delegations_of(&acct);
        let start = format!("{prefix}{after}\u{0}");
        // One more than the budget: whether any is left after this block's.
        let vals = ctx.kv_scan_keys_from(&prefix, &start, budget.saturating_add(1))?;
        let more = vals.len() > budget;
        let mut last = after;
        for k in vals.iter().take(budget) {
            let vk = k[prefix.len()..].to_string();
            let op = crate::staking::state::address_of_key(&vk)?;
            // Each withdrawal whole or not at all: one that fails is reported and skipped, and
            // never stops the block.
            let paid = ctx.atomic(|ctx| {
                let coins = super::f1::withdraw_rewards(ctx, &op, &del)?;
                super::f1::initialize_delegation(ctx, &op, &del)?;
                Ok(coins)
            });
            match paid {
                Ok(coins) => add_withdrawn(ctx, &acct, &coins)?,
                Err(e) => ctx.emit(
                    "auto_withdraw_skipped",
                    &[
                        ("delegator", del.to_bech32()),
                        ("validator", op.to_valoper()),
                        ("reason", e.log),
                    ],
                ),
            }
            withdrawals = withdrawals.saturating_add(1);
            budget = budget.saturating_sub(1);
            last = vk;
        }
        within = more.then_some(last);
    }
    if within.is_none() {
        let prefix = state_key::AUTO_WITHDRAW_PREFIX;
        let start = format!("{prefix}{acct}\u{0}");
        if ctx.kv_scan_keys_from(prefix, &start, 1)?.is_empty() {
            return finish_auto_withdraw(ctx, accounts, withdrawals);
        }
    }
    let saved = match &within {
        Some(v) => format!("{acct}/{v}"),
        None => acct,
    };
    ctx.put(
        state_key::AUTO_WITHDRAW_CURSOR.into(),
        value::encode_text(&saved),
    )?;
    Ok(())
}

/// Ends the current epoch: sets aside what the pool holds beyond the pots of payouts still
/// running, fixes the epoch's total score, and starts the next epoch. Touches a handful of
/// keys whatever the number of workers.
fn close(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let epoch = current_epoch(ctx)?;
    let mut reserved = 0u128;
    for open in paying(ctx)? {
        reserved = reserved.saturating_add(int(&open.pot)?.saturating_sub(int(&open.paid)?));
    }
    let pool = bank::api::balance(ctx, &Address::module(WORK_POOL), BASE_DENOM)?;
    let total = value::amount(ctx, &state_key::work_total(epoch))?;
    let payout = Payout {
        height: 0,
        epoch,
        paid: "0".into(),
        workers: 0,
        carried: String::new(),
        pot: pool.saturating_sub(reserved).to_string(),
        total_score: total.to_string(),
    };
    ctx.put(state_key::payout(epoch), payout.encode_to_vec())?;
    ctx.delete(state_key::work_total(epoch))?;
    ctx.put(
        state_key::WORK_EPOCH.into(),
        value::encode_amount(u128::from(epoch.saturating_add(1))),
    )?;
    ctx.emit(
        "useful_work_epoch",
        &[
            ("epoch", epoch.to_string()),
            ("pot", Coin::new(BASE_DENOM, int(&payout.pot)?).to_string()),
            ("total_score", total.to_string()),
        ],
    );
    Ok(())
}

/// Pays the oldest running payouts' workers, at most `payout_records_per_block` records (a
/// worker's score record or one of its requester marks) this block; returns what is left of
/// that budget.
fn pay_some(ctx: &mut Ctx<'_>, p: &UsefulWorkParams) -> AppResult<usize> {
    let mut budget = usize::try_from(p.payout_records_per_block.max(1)).unwrap_or(usize::MAX);
    let cap = state::dec_param(&p.max_reward_per_fee, "max_reward_per_fee")?;
    let pool_account = Address::module(WORK_POOL);
    while budget > 0 {
        let Some(key) = ctx
            .kv_scan_keys_from(state_key::PAYOUT_PREFIX, state_key::PAYOUT_PREFIX, 1)?
            .pop()
        else {
            return Ok(budget);
        };
        let mut payout: Payout = value::get(ctx, &key, "payout")?
            .ok_or_else(|| AppError::internal(format!("payout {key} vanished")))?;
        let (pot, total) = (int(&payout.pot)?, int(&payout.total_score)?);
        let prefix = state_key::works_of_epoch(payout.epoch);
        let workers = ctx.kv_scan_keys_from(&prefix, &prefix, budget)?;
        for wkey in &workers {
            let wk = &wkey[prefix.len()..];
            // The worker's requester marks first, as many as the budget allows.
            let pairs_prefix = state_key::pairs_of(payout.epoch, wk);
            let pairs = ctx.kv_scan_keys_from(&pairs_prefix, &pairs_prefix, budget)?;
            budget = budget.saturating_sub(pairs.len());
            for k in pairs {
                ctx.delete(k)?;
            }
            if budget == 0 {
                break; // its marks may go on; it is paid next block
            }
            budget = budget.saturating_sub(1);
            let s: WorkScore = value::get(ctx, wkey, "work score")?
                .ok_or_else(|| AppError::internal(format!("work score {wkey} vanished")))?;
            ctx.delete(wkey.clone())?;
            let score = int(&s.score)?;
            if total == 0 || score == 0 || pot == 0 {
                continue;
            }
            let share = Dec::ratio(score, total)?.mul_int_floor(pot)?;
            let pay = share.min(cap.mul_int_floor(int(&s.fees)?)?);
            if pay == 0 {
                continue;
            }
            let worker = Address::parse(&s.worker)
                .map_err(|e| AppError::internal(format!("stored worker {}: {e}", s.worker)))?;
            let to = state::withdraw_address(ctx, &worker)?;
            bank::transfer(ctx, &pool_account, &to, &[Coin::new(BASE_DENOM, pay)])?;
            let ek = state_key::earned(wk);
            let before = value::amount(ctx, &ek)?;
            ctx.put(ek, value::encode_amount(before.saturating_add(pay)))?;
            payout.paid = add(&payout.paid, pay)?;
            payout.workers = payout.workers.saturating_add(1);
            ctx.emit(
                "useful_work_reward",
                &[
                    ("epoch", payout.epoch.to_string()),
                    ("worker", s.worker.clone()),
                    ("recipient", to.to_bech32()),
                    ("amount", Coin::new(BASE_DENOM, pay).to_string()),
                    ("score", s.score.clone()),
                    ("fees", s.fees.clone()),
                ],
            );
        }
        let done = ctx.kv_scan_keys_from(&prefix, &prefix, 1)?.is_empty();
        if !done {
            ctx.put(key, payout.encode_to_vec())?;
            return Ok(0);
        }
        payout.height = ctx.block.height;
        let carried = pot.saturating_sub(int(&payout.paid)?);
        payout.carried = carried.to_string();
        ctx.delete(key)?;
        ctx.put(state_key::LAST_PAYOUT.into(), payout.encode_to_vec())?;
        ctx.emit(
            "useful_work_payout",
            &[
                ("epoch", payout.epoch.to_string()),
                (
                    "paid",
                    Coin::new(BASE_DENOM, int(&payout.paid)?).to_string(),
                ),
                ("workers", payout.workers.to_string()),
                ("carried", Coin::new(BASE_DENOM, carried).to_string()),
            ],
        );
    }
    Ok(budget)
}
