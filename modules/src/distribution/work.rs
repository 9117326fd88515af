//! The useful-work pool. A share of every block's fees and emission (`useful_work_tax`)
//! fills it; every `epoch_blocks` it is paid out to the executors and solvers whose work a
//! requester paid for in that epoch, in proportion to their score: the fees they earned from
//! other parties, weighted by their quality at the time (accepted, outvoted and missed
//! results; see the image module's quality). Each worker's payout is capped at
//! `max_reward_per_fee` × those fees; what is not paid stays for the next epoch.
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
use glia_proto::distribution::v1::{Payout, WorkScore};
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

fn score_of(kv: &mut impl Kv, worker: &Address) -> AppResult<WorkScore> {
    Ok(
        value::get(kv, &state_key::work(&key_of(worker)), "work score")?.unwrap_or_else(|| {
            WorkScore {
                worker: worker.to_bech32(),
                ..Default::default()
            }
        }),
    )
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

/// Records one paid result of useful work for this epoch's payout.
pub fn record(ctx: &mut Ctx<'_>, w: Work<'_>) -> AppResult<()> {
    if w.paid == 0 {
        return Ok(());
    }
    let wk = key_of(w.worker);
    let mut s = score_of(ctx, w.worker)?;
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
        let pair = state_key::work_pair(&wk, &key_of(w.requester));
        if ctx.get(&pair)?.is_none() {
            ctx.put(pair, vec![])?;
            s.requesters = s.requesters.saturating_add(1);
        }
    }
    ctx.put(state_key::work(&wk), s.encode_to_vec())?;
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

/// This epoch's scores, in address order.
pub fn scores(kv: &mut impl Kv) -> AppResult<Vec<WorkScore>> {
    kv.kv_scan(state_key::WORK_PREFIX)?
        .into_iter()
        .map(|(_, v)| value::decode("work score", &v))
        .collect()
}

/// What the worker has been paid from the pool in all.
pub fn earned(kv: &mut impl Kv, worker: &Address) -> AppResult<u128> {
    value::amount(kv, &state_key::earned(&key_of(worker)))
}

pub fn current(kv: &mut impl Kv, worker: &Address) -> AppResult<Option<WorkScore>> {
    value::get(kv, &state_key::work(&key_of(worker)), "work score")
}

/// At the end of an epoch's last block: pays the pool out by score and starts a new epoch.
pub fn end_block(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let p = state::work_params(ctx)?;
    let height = ctx.block.height;
    if height == 0 || height.checked_rem(p.epoch_blocks).is_none_or(|r| r != 0) {
        return Ok(());
    }
    let cap = state::dec_param(&p.max_reward_per_fee, "max_reward_per_fee")?;
    let pool_account = Address::module(WORK_POOL);
    let pool = bank::api::balance(ctx, &pool_account, BASE_DENOM)?;
    let all = scores(ctx)?;
    let total = all.iter().try_fold(0u128, |t, s| {
        int(&s.score)?
            .checked_add(t)
            .ok_or_else(|| AppError::overflow("total work score"))
    })?;
    let (mut paid, mut workers) = (0u128, 0u64);
    for s in &all {
        let score = int(&s.score)?;
        if total == 0 || score == 0 || pool == 0 {
            continue;
        }
        let share = Dec::ratio(score, total)?.mul_int_floor(pool)?;
        let pay = share.min(cap.mul_int_floor(int(&s.fees)?)?);
        if pay == 0 {
            continue;
        }
        let worker = Address::parse(&s.worker)
            .map_err(|e| AppError::internal(format!("stored worker {}: {e}", s.worker)))?;
        let to = state::withdraw_address(ctx, &worker)?;
        bank::transfer(ctx, &pool_account, &to, &[Coin::new(BASE_DENOM, pay)])?;
        let ek = state_key::earned(&key_of(&worker));
        let before = value::amount(ctx, &ek)?;
        ctx.put(ek, value::encode_amount(before.saturating_add(pay)))?;
        paid = paid.saturating_add(pay);
        workers = workers.saturating_add(1);
        ctx.emit(
            "useful_work_reward",
            &[
                ("worker", s.worker.clone()),
                ("recipient", to.to_bech32()),
                ("amount", Coin::new(BASE_DENOM, pay).to_string()),
                ("score", s.score.clone()),
                ("fees", s.fees.clone()),
            ],
        );
    }
    for prefix in [state_key::WORK_PREFIX, state_key::WORK_PAIR_PREFIX] {
        for k in ctx.kv_scan_keys(prefix)? {
            ctx.delete(k)?;
        }
    }
    let epoch = height.checked_div(p.epoch_blocks).unwrap_or(0);
    let payout = Payout {
        height,
        epoch,
        paid: paid.to_string(),
        workers,
        carried: pool.saturating_sub(paid).to_string(),
    };
    ctx.put(state_key::LAST_PAYOUT.into(), payout.encode_to_vec())?;
    ctx.emit(
        "useful_work_payout",
        &[
            ("epoch", epoch.to_string()),
            ("paid", Coin::new(BASE_DENOM, paid).to_string()),
            ("workers", workers.to_string()),
            (
                "carried",
                Coin::new(BASE_DENOM, pool.saturating_sub(paid)).to_string(),
            ),
        ],
    );
    Ok(())
}
