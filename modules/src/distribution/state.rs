//! Distribution's keys, params and records. Accounts in keys are the lower-case hex of their
//! bytes (as staking's), heights and periods fixed-width so keys sort by them.

use super::dec_coins::DecCoins;
use crate::address::Address;
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::staking::state::key_of;
use crate::value;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    DelegatorStartingInfo, FeePool, Params, ValidatorAccumulatedCommission,
    ValidatorCurrentRewards, ValidatorHistoricalRewards, ValidatorOutstandingRewards,
};
use glia_proto::distribution::v1::{Payout, UsefulWorkParams};
use prost::Message;

/// The module account holding validators' outstanding rewards and the community pool.
pub const MODULE_ACCOUNT: &str = "distribution";
/// The module account holding the useful-work pool.
pub const WORK_POOL: &str = "useful_work_pool";

pub mod state_key {
    pub const PARAMS: &str = "distribution/params";
    pub const WORK_PARAMS: &str = "distribution/work_params";
    pub const FEE_POOL: &str = "distribution/fee_pool";
    pub const WITHDRAW_PREFIX: &str = "distribution/withdraw/";
    pub const CURRENT_PREFIX: &str = "distribution/current/";
    pub const HISTORICAL_PREFIX: &str = "distribution/historical/";
    pub const OUTSTANDING_PREFIX: &str = "distribution/outstanding/";
    pub const COMMISSION_PREFIX: &str = "distribution/commission/";
    pub const SLASH_PREFIX: &str = "distribution/slash/";
    pub const START_PREFIX: &str = "distribution/start/";
    pub const WORK_PREFIX: &str = "distribution/work/";
    pub const WORK_PAIR_PREFIX: &str = "distribution/work_pair/";
    pub const WORK_TOTAL_PREFIX: &str = "distribution/work_total/";
    pub const PAYOUT_PREFIX: &str = "distribution/payout/";
    pub const EARNED_PREFIX: &str = "distribution/earned/";
    pub const LAST_PAYOUT: &str = "distribution/last_payout";
    pub const WORK_EPOCH: &str = "distribution/work_epoch";
    /// What each worker was paid for image results and for solutions (uglia, all time).
    pub const EARNED_IMAGES_PREFIX: &str = "distribution/earned_images/";
    pub const EARNED_JOBS_PREFIX: &str = "distribution/earned_jobs/";
    /// Accounts whose rewards are withdrawn at every epoch's end; what was withdrawn so.
    pub const AUTO_WITHDRAW_PREFIX: &str = "distribution/auto_withdraw/";
    pub const AUTO_WITHDRAWN_PREFIX: &str = "distribution/auto_withdrawn/";
    /// Where the running automatic withdrawal is: the last (account, validator) done, as
    /// `ACCOUNT_KEY/VALIDATOR_KEY` (or `ACCOUNT_KEY/` before its first delegation); absent
    /// when none runs.
    pub const AUTO_WITHDRAW_CURSOR: &str = "distribution/auto_withdraw_cursor";

    pub fn withdraw(del: &str) -> String {
        format!("{WITHDRAW_PREFIX}{del}")
    }
    pub fn current(op: &str) -> String {
        format!("{CURRENT_PREFIX}{op}")
    }
    pub fn historical(op: &str, period: u64) -> String {
        format!("{HISTORICAL_PREFIX}{op}/{period:020}")
    }
    pub fn historicals_of(op: &str) -> String {
        format!("{HISTORICAL_PREFIX}{op}/")
    }
    pub fn outstanding(op: &str) -> String {
        format!("{OUTSTANDING_PREFIX}{op}")
    }
    pub fn commission(op: &str) -> String {
        format!("{COMMISSION_PREFIX}{op}")
    }
    pub fn slash(op: &str, height: u64, period: u64) -> String {
        format!("{SLASH_PREFIX}{op}/{height:020}/{period:020}")
    }
    pub fn slashes_of(op: &str) -> String {
        format!("{SLASH_PREFIX}{op}/")
    }
    pub fn start(op: &str, del: &str) -> String {
        format!("{START_PREFIX}{op}/{del}")
    }
    pub fn starts_of(op: &str) -> String {
        format!("{START_PREFIX}{op}/")
    }
    pub fn works_of_epoch(epoch: u64) -> String {
        format!("{WORK_PREFIX}{epoch:020}/")
    }
    pub fn work(epoch: u64, worker: &str) -> String {
        format!("{WORK_PREFIX}{epoch:020}/{worker}")
    }
    pub fn pairs_of(epoch: u64, worker: &str) -> String {
        format!("{WORK_PAIR_PREFIX}{epoch:020}/{worker}/")
    }
    pub fn work_pair(epoch: u64, worker: &str, requester: &str) -> String {
        format!("{WORK_PAIR_PREFIX}{epoch:020}/{worker}/{requester}")
    }
    pub fn work_total(epoch: u64) -> String {
        format!("{WORK_TOTAL_PREFIX}{epoch:020}")
    }
    pub fn payout(epoch: u64) -> String {
        format!("{PAYOUT_PREFIX}{epoch:020}")
    }
    pub fn earned(worker: &str) -> String {
        format!("{EARNED_PREFIX}{worker}")
    }
    pub fn earned_of(kind: &str, worker: &str) -> String {
        match kind {
            "image" => format!("{EARNED_IMAGES_PREFIX}{worker}"),
            _ => format!("{EARNED_JOBS_PREFIX}{worker}"),
        }
    }
    pub fn auto_withdraw(del: &str) -> String {
        format!("{AUTO_WITHDRAW_PREFIX}{del}")
    }
    pub fn auto_withdrawn(del: &str) -> String {
        format!("{AUTO_WITHDRAWN_PREFIX}{del}")
    }
}

/// 2% to the community pool, no proposer bonus (the SDK's defaults since v0.50), withdraw
/// addresses allowed.
#[allow(deprecated)] // the proposer rewards: zero, as the SDK's since v0.50
pub fn default_params() -> Params {
    Params {
        community_tax: Dec::ratio(2, 100).map_or_else(|_| String::new(), Dec::to_proto),
        base_proposer_reward: Dec::ZERO.to_proto(),
        bonus_proposer_reward: Dec::ZERO.to_proto(),
        withdraw_addr_enabled: true,
    }
}

/// A fifth of every block's fees and emission to the useful-work pool, paid out every 720
/// blocks (an hour of 5-second blocks), at most once the fees earned from others.
pub fn default_work_params() -> UsefulWorkParams {
    UsefulWorkParams {
        useful_work_tax: Dec::ratio(20, 100).map_or_else(|_| String::new(), Dec::to_proto),
        epoch_blocks: 720,
        max_reward_per_fee: Dec::ONE.to_proto(),
        payout_records_per_block: 200,
    }
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    Ok(value::get(kv, state_key::PARAMS, "distribution params")?.unwrap_or_else(default_params))
}

pub fn work_params(kv: &mut impl Kv) -> AppResult<UsefulWorkParams> {
    Ok(
        value::get(kv, state_key::WORK_PARAMS, "useful-work params")?
            .unwrap_or_else(default_work_params),
    )
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params, w: &UsefulWorkParams) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())?;
    ctx.put(state_key::WORK_PARAMS.into(), w.encode_to_vec())
}

pub fn community_pool(kv: &mut impl Kv) -> AppResult<DecCoins> {
    let f: Option<FeePool> = value::get(kv, state_key::FEE_POOL, "fee pool")?;
    DecCoins::from_proto(&f.unwrap_or_default().community_pool)
}

pub fn set_community_pool(ctx: &mut Ctx<'_>, pool: &DecCoins) -> AppResult<()> {
    let f = FeePool {
        community_pool: pool.to_proto(),
    };
    ctx.put(state_key::FEE_POOL.into(), f.encode_to_vec())
}

/// Adds `add` to the community pool (its coins are already in the module account).
pub fn add_to_community_pool(ctx: &mut Ctx<'_>, add: &DecCoins) -> AppResult<()> {
    if add.is_zero() {
        return Ok(());
    }
    let pool = community_pool(ctx)?.add(add)?;
    set_community_pool(ctx, &pool)
}

/// Where `del`'s rewards go: the address it set, or itself.
/// Pays `del`'s rewards and earnings to `to` from now on (`del` itself: the default, no record).
pub fn set_withdraw_address(ctx: &mut Ctx<'_>, del: &Address, to: &Address) -> AppResult<()> {
    let key = state_key::withdraw(&key_of(del));
    if to == del {
        ctx.delete(key)
    } else {
        ctx.put(key, value::encode_text(&key_of(to)))
    }
}

pub fn withdraw_address(kv: &mut impl Kv, del: &Address) -> AppResult<Address> {
    match value::text(kv, &state_key::withdraw(&key_of(del)), "withdraw address")? {
        Some(t) => crate::staking::state::address_of_key(&t),
        None => Ok(del.clone()),
    }
}

pub fn current(kv: &mut impl Kv, op: &str) -> AppResult<ValidatorCurrentRewards> {
    value::get(kv, &state_key::current(op), "current rewards")?
        .ok_or_else(|| AppError::internal(format!("validator {op} has no current rewards")))
}

pub fn historical(
    kv: &mut impl Kv,
    op: &str,
    period: u64,
) -> AppResult<ValidatorHistoricalRewards> {
    value::get(kv, &state_key::historical(op, period), "historical rewards")?.ok_or_else(|| {
        AppError::internal(format!(
            "validator {op} has no historical rewards for period {period}"
        ))
    })
}

pub fn set_historical(
    ctx: &mut Ctx<'_>,
    op: &str,
    period: u64,
    h: &ValidatorHistoricalRewards,
) -> AppResult<()> {
    ctx.put(state_key::historical(op, period), h.encode_to_vec())
}

pub fn outstanding(kv: &mut impl Kv, op: &str) -> AppResult<DecCoins> {
    let o: Option<ValidatorOutstandingRewards> =
        value::get(kv, &state_key::outstanding(op), "outstanding rewards")?;
    DecCoins::from_proto(&o.unwrap_or_default().rewards)
}

pub fn set_outstanding(ctx: &mut Ctx<'_>, op: &str, o: &DecCoins) -> AppResult<()> {
    let v = ValidatorOutstandingRewards {
        rewards: o.to_proto(),
    };
    ctx.put(state_key::outstanding(op), v.encode_to_vec())
}

pub fn commission(kv: &mut impl Kv, op: &str) -> AppResult<DecCoins> {
    let c: Option<ValidatorAccumulatedCommission> =
        value::get(kv, &state_key::commission(op), "accumulated commission")?;
    DecCoins::from_proto(&c.unwrap_or_default().commission)
}

pub fn set_commission(ctx: &mut Ctx<'_>, op: &str, c: &DecCoins) -> AppResult<()> {
    let v = ValidatorAccumulatedCommission {
        commission: c.to_proto(),
    };
    ctx.put(state_key::commission(op), v.encode_to_vec())
}

pub fn start(kv: &mut impl Kv, op: &str, del: &str) -> AppResult<Option<DelegatorStartingInfo>> {
    value::get(kv, &state_key::start(op, del), "delegator starting info")
}

pub fn last_payout(kv: &mut impl Kv) -> AppResult<Option<Payout>> {
    value::get(kv, state_key::LAST_PAYOUT, "last useful-work payout")
}

/// A decimal param in the SDK's protobuf form.
pub fn dec_param(s: &str, what: &str) -> AppResult<Dec> {
    Dec::from_proto(s).map_err(|e| AppError::internal(format!("distribution {what}: {}", e.log)))
}
