//! Every block, what the fee collector holds (the last block's fees and this block's
//! emission) is shared out: the useful-work tax to the useful-work pool, the community tax
//! to the community pool, the rest to the validators that signed the last block, by voting
//! power, each validator's share split by its commission (F1: `f1::allocate_to_validator`).
//! What validators that did not sign would have had goes to the community pool: being paid
//! for consensus means taking part in it.

use super::dec_coins::DecCoins;
use super::state::{self, MODULE_ACCOUNT, WORK_POOL};
use crate::address::Address;
use crate::bank::{self, FEE_COLLECTOR};
use crate::coins::{Coin, BASE_DENOM};
use crate::component::BlockContext;
use crate::context::Ctx;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::staking::{slash::operator_of, validators};

fn cons_bytes(hex_addr: &str) -> Option<[u8; 20]> {
    hex::decode(hex_addr).ok()?.try_into().ok()
}

pub fn allocate(ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
    let collector = Address::module(FEE_COLLECTOR);
    let mut coins = bank::api::balances(ctx, &collector)?;
    if coins.is_empty() {
        return Ok(());
    }
    let wp = state::work_params(ctx)?;
    let work_tax = state::dec_param(&wp.useful_work_tax, "useful_work_tax")?;
    if let Some(c) = coins.iter_mut().find(|c| c.denom == BASE_DENOM) {
        let to_pool = work_tax.mul_int_floor(c.amount)?;
        if to_pool > 0 {
            bank::transfer(
                ctx,
                &collector,
                &Address::module(WORK_POOL),
                &[Coin::new(BASE_DENOM, to_pool)],
            )?;
            c.amount = c.amount.saturating_sub(to_pool);
        }
    }
    coins.retain(|c| c.amount > 0);
    if coins.is_empty() {
        return Ok(());
    }
    bank::transfer(ctx, &collector, &Address::module(MODULE_ACCOUNT), &coins)?;
    let collected = DecCoins::from_coins(&coins)?;
    let total_power = block
        .last_commit
        .iter()
        .try_fold(0u128, |sum, v| {
            sum.checked_add(u128::try_from(v.power.max(0)).unwrap_or(0))
        })
        .ok_or_else(|| AppError::overflow("total voting power"))?;
    if total_power == 0 {
        // The first block has no last commit: all of it to the community pool.
        return state::add_to_community_pool(ctx, &collected);
    }
    let tax = state::dec_param(&state::params(ctx)?.community_tax, "community_tax")?;
    let for_voters = collected.mul_dec(Dec::ONE.checked_sub(tax)?)?;
    let mut left = collected.clone();
    for vote in block.last_commit.iter().filter(|v| v.signed && v.power > 0) {
        let Some(op) = cons_bytes(&vote.validator)
            .map(|c| operator_of(ctx, &c))
            .transpose()?
            .flatten()
        else {
            continue; // removed since it signed: its share goes to the community pool
        };
        let power = u128::try_from(vote.power).unwrap_or(0);
        let share = for_voters.mul_dec(Dec::ratio(power, total_power)?)?;
        let r = validators::must_get(ctx, &op)?;
        super::f1::allocate_to_validator(ctx, &r, &share)?;
        left = left.sub(&share)?;
    }
    state::add_to_community_pool(ctx, &left)
}
