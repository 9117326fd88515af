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
        // `bank/balances/<addr>/<denom>`: a denom may hold slashes itself (`ibc/<hash>`).
        let denom = k[state::state_key::BALANCES_PREFIX.len()..]
            .split_once('/')
            .map(|(_, d)| d.to_string())
            .ok_or_else(|| AppError::internal(format!("corrupt balance key {k}")))?;
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

/// A module account holds exactly `owed` of each denom (the sums of the escrows of its live
/// records, `what` naming them in the error) and no other denom.
pub fn check_escrow(
    kv: &mut impl Kv,
    module: &str,
    owed: &BTreeMap<String, u128>,
    what: &str,
) -> AppResult<()> {
    let held: BTreeMap<String, u128> =
        state::all_balances(kv, &crate::address::Address::module(module))?
            .into_iter()
            .map(|(_, c)| (c.denom, c.amount))
            .filter(|(_, a)| *a > 0)
            .collect();
    let owed: BTreeMap<String, u128> = owed
        .iter()
        .filter(|(_, a)| **a > 0)
        .map(|(d, a)| (d.clone(), *a))
        .collect();
    if held != owed {
        let text = |m: &BTreeMap<String, u128>| {
            if m.is_empty() {
                "nothing".to_string()
            } else {
                m.iter()
                    .map(|(d, a)| format!("{a}{d}"))
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        return Err(AppError::internal(format!(
            "{module} escrow invariant broken: module holds {}, {what} escrow {}",
            text(&held),
            text(&owed)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::address::Address;
    use crate::coins::Coin;
    use crate::context::{BlockInfo, Ctx};
    use crate::gas::GasMeter;
    use crate::store::MemStore;

    /// An IBC voucher's denom has a slash in it: the invariant still sums it as itself (it
    /// once summed it under the part after the slash and stopped the chain at the first
    /// voucher received).
    #[test]
    fn the_supply_invariant_holds_for_denoms_with_slashes() {
        let store = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        let a = Address::module("a");
        crate::bank::mint(
            &mut ctx,
            &a,
            &[
                Coin::new("uglia", 5),
                Coin::new(
                    "ibc/C053D637CCA2A2BA030E2C5EE1B28A16F71CCB0E45E8BE52766DC1B241B77878",
                    777,
                ),
            ],
        )
        .unwrap();
        super::check(&mut ctx).unwrap();
    }
}
