//! Distribution's invariants: the module account holds exactly what validators are owed and
//! the community pool (whole units and fractions together), and no validator's commission
//! exceeds what it is owed.

use super::dec_coins::DecCoins;
use super::state::{self, state_key, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank;
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::distribution::v1beta1::ValidatorOutstandingRewards;

pub fn check(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let mut owed = state::community_pool(ctx)?;
    for (k, v) in ctx.kv_scan(state_key::OUTSTANDING_PREFIX)? {
        let o: ValidatorOutstandingRewards = crate::value::decode("outstanding rewards", &v)?;
        let o = DecCoins::from_proto(&o.rewards)?;
        let op = &k[state_key::OUTSTANDING_PREFIX.len()..];
        let c = state::commission(ctx, op)?;
        if !c.le(&o) {
            return Err(AppError::internal(format!(
                "distribution invariant broken: validator {op} is owed {o} but has commission {c}"
            )));
        }
        owed = owed.add(&o)?;
    }
    let held = DecCoins::from_coins(&bank::api::balances(ctx, &Address::module(MODULE_ACCOUNT))?)?;
    if held != owed {
        return Err(AppError::internal(format!(
            "distribution invariant broken: the module account holds {held}, validators and the \
             community pool are owed {owed}"
        )));
    }
    Ok(())
}
