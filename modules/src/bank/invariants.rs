//! The supply invariant: for every denom, total supply equals the sum of all balances; and
//! the escrow invariant every escrowing module states: its account holds exactly what its
//! live records owe.

use super::state;
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use std::collections::BTreeMap;

pub fn check(kv: &mut impl Kv) -> AppResult<()> {
    let mut sums: BTreeMap<String, u128> = BTreeMap::new();
    for (k, v) in kv.kv_scan(state::state_key::BALANCES_PREFIX)? {
        let denom = k.rsplit('/').next().unwrap_or_default().to_string();
        let amt = state::amount(&v)
            .map_err(|e| AppError::internal(format!("balance at {k}: {}", e.log)))?;
        let sum = sums.entry(denom).or_default();
        *sum = sum
            .checked_add(amt)
            .ok_or_else(|| AppError::overflow(format!("sum of balances at {k}")))?;
    }
    let supply: BTreeMap<String, u128> = state::total_supply(kv)?
        .into_iter()
        .map(|(_, c)| (c.denom, c.amount))
        .collect();
    if sums != supply {
        return Err(AppError::internal(format!(
            "supply invariant broken: balances sum to {sums:?}, supply is {supply:?}"
        )));
    }
    Ok(())
}

/// A module account holds exactly `owed` (in the base denom): the sum of the escrows of its
/// live records, `what` naming them in the error.
pub fn check_escrow(kv: &mut impl Kv, module: &str, owed: u128, what: &str) -> AppResult<()> {
    let denom = crate::coins::BASE_DENOM;
    let held = state::balance(kv, &crate::address::Address::module(module), denom)?;
    if held != owed {
        return Err(AppError::internal(format!(
            "{module} escrow invariant broken: module holds {held}{denom}, {what} escrow \
             {owed}{denom}"
        )));
    }
    Ok(())
}
