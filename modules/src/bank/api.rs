//! What other components may do with money: the bank's narrow API. A component never reads
//! or writes bank's keys; it holds an [`Escrow`] for its own module account and calls
//! [`transfer`], [`mint`] and [`burn`].

use super::{handler, invariants};
use crate::address::Address;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use std::collections::BTreeMap;

pub use handler::{burn, mint, transfer};

/// The total supply of `denom` (what wallets divide provisions by to show inflation).
pub fn supply(kv: &mut impl Kv, denom: &str) -> AppResult<u128> {
    super::state::supply(kv, denom)
}

/// Every coin `addr` holds, in denom order.
pub fn balances(kv: &mut impl Kv, addr: &Address) -> AppResult<Vec<Coin>> {
    Ok(super::state::all_balances(kv, addr)?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

/// What `addr` holds of `denom`.
pub fn balance(kv: &mut impl Kv, addr: &Address, denom: &str) -> AppResult<u128> {
    super::state::balance(kv, addr, denom)
}

/// A component's escrow: coins held in its module account for what it owes (task escrows,
/// job fees and rewards). Bound to one module account, so a component holding it can take
/// into and pay out of its own account only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escrow {
    module: &'static str,
}

impl Escrow {
    /// The escrow of module account `module` (its component declares the account).
    pub const fn new(module: &'static str) -> Self {
        Escrow { module }
    }

    pub fn module(&self) -> &'static str {
        self.module
    }

    pub fn account(&self) -> Address {
        Address::module(self.module)
    }

    /// Takes `amount` of the base denom from `from` into escrow for `purpose` (named in the
    /// error when `from` cannot pay).
    pub fn hold(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        amount: u128,
        purpose: &str,
    ) -> AppResult<()> {
        self.hold_coin(ctx, from, &Coin::new(BASE_DENOM, amount), purpose)
    }

    /// Takes `coin` (any denom: a request may pay in an accepted voucher) from `from` into
    /// escrow for `purpose`.
    pub fn hold_coin(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        coin: &Coin,
        purpose: &str,
    ) -> AppResult<()> {
        transfer(ctx, from, &self.account(), std::slice::from_ref(coin)).map_err(|e| AppError {
            log: format!("escrow for {purpose}: {}", e.log),
            ..e
        })
    }

    /// Pays `amount` of the base denom out of escrow to `to`, for `purpose`. Nothing is paid
    /// for a zero amount.
    pub fn release(
        &self,
        ctx: &mut Ctx<'_>,
        to: &Address,
        amount: u128,
        purpose: &str,
    ) -> AppResult<()> {
        self.release_coin(ctx, to, &Coin::new(BASE_DENOM, amount), purpose)
    }

    /// Pays `coin` out of escrow to `to`, for `purpose`; nothing for a zero amount.
    pub fn release_coin(
        &self,
        ctx: &mut Ctx<'_>,
        to: &Address,
        coin: &Coin,
        purpose: &str,
    ) -> AppResult<()> {
        if coin.amount == 0 {
            return Ok(());
        }
        transfer(ctx, &self.account(), to, std::slice::from_ref(coin)).map_err(|e| {
            AppError::internal(format!(
                "{} escrow cannot pay {coin} for {purpose}: {}",
                self.module, e.log
            ))
        })
    }

    /// The one escrow invariant: the account holds exactly `owed` of the base denom, the sum
    /// of the escrows of the component's live records (`what` names them), and nothing else.
    pub fn check(&self, kv: &mut impl Kv, owed: u128, what: &str) -> AppResult<()> {
        self.check_coins(kv, &BTreeMap::from([(BASE_DENOM.to_string(), owed)]), what)
    }

    /// The escrow invariant where records escrow several denoms: the account holds exactly
    /// `owed` of each, and no other denom.
    pub fn check_coins(
        &self,
        kv: &mut impl Kv,
        owed: &BTreeMap<String, u128>,
        what: &str,
    ) -> AppResult<()> {
        invariants::check_escrow(kv, self.module, owed, what)
    }
}
