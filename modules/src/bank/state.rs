//! Bank's keys and typed state access. Amounts are stored as `glia.store.v1.Amount`.

use crate::address::Address;
use crate::coins::{parse_amount, Coin};
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value;

/// Every key bank writes.
pub mod state_key {
    use crate::address::Address;

    pub const BALANCES_PREFIX: &str = "bank/balances/";
    pub const SUPPLY_PREFIX: &str = "bank/supply/";

    /// Balances of one account: `bank/balances/<addr>/<denom>`.
    pub fn balances_of(addr: &Address) -> String {
        format!("{BALANCES_PREFIX}{addr}/")
    }

    pub fn balance(addr: &Address, denom: &str) -> String {
        format!("{BALANCES_PREFIX}{addr}/{denom}")
    }

    pub fn supply(denom: &str) -> String {
        format!("{SUPPLY_PREFIX}{denom}")
    }
}

/// A stored amount (`glia.store.v1.Amount`).
pub fn amount(bytes: &[u8]) -> AppResult<u128> {
    let a: glia_proto::store::v1::Amount = value::decode("amount", bytes)?;
    parse_amount(&a.value).map_err(|_| AppError::internal("stored amount is corrupt"))
}

pub fn balance(kv: &mut impl Kv, addr: &Address, denom: &str) -> AppResult<u128> {
    kv.kv_get(&state_key::balance(addr, denom))?
        .map_or(Ok(0), |b| amount(&b))
}

/// Sets a balance; a zero balance is removed from state.
pub fn set_balance(ctx: &mut Ctx<'_>, addr: &Address, denom: &str, amt: u128) -> AppResult<()> {
    let key = state_key::balance(addr, denom);
    if amt == 0 {
        ctx.delete(key)
    } else {
        ctx.put(key, value::encode_amount(amt))
    }
}

pub fn all_balances(kv: &mut impl Kv, addr: &Address) -> AppResult<Vec<(Vec<u8>, Coin)>> {
    coins_under(kv, &state_key::balances_of(addr))
}

/// Every (address, amount) holding `denom`, in address order.
pub fn owners_of(kv: &mut impl Kv, denom: &str) -> AppResult<Vec<(String, u128)>> {
    let mut out = Vec::new();
    for (k, v) in kv.kv_scan(state_key::BALANCES_PREFIX)? {
        let rest = &k[state_key::BALANCES_PREFIX.len()..];
        if let Some((addr, d)) = rest.split_once('/') {
            if d == denom {
                out.push((addr.to_string(), amount(&v)?));
            }
        }
    }
    Ok(out)
}

pub fn supply(kv: &mut impl Kv, denom: &str) -> AppResult<u128> {
    kv.kv_get(&state_key::supply(denom))?
        .map_or(Ok(0), |b| amount(&b))
}

pub fn set_supply(ctx: &mut Ctx<'_>, denom: &str, amt: u128) -> AppResult<()> {
    ctx.put(state_key::supply(denom), value::encode_amount(amt))
}

pub fn total_supply(kv: &mut impl Kv) -> AppResult<Vec<(Vec<u8>, Coin)>> {
    coins_under(kv, state_key::SUPPLY_PREFIX)
}

/// Every `<prefix><denom> → amount` entry as a coin, keyed by denom (for pagination).
fn coins_under(kv: &mut impl Kv, prefix: &str) -> AppResult<Vec<(Vec<u8>, Coin)>> {
    kv.kv_scan(prefix)?
        .into_iter()
        .map(|(k, v)| {
            let denom = k[prefix.len()..].to_string();
            Ok((
                denom.clone().into_bytes(),
                Coin {
                    denom,
                    amount: amount(&v)?,
                },
            ))
        })
        .collect()
}
