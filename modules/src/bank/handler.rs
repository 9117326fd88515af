//! Bank execution. Checks that read state run before any write, so a failure leaves nothing.

use super::{events, msgs::BankMsg, state};
use crate::address::Address;
use crate::auth;
use crate::coins::{format_coins, Coin};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::bank::v1beta1::{MsgMultiSendResponse, MsgSendResponse};
use glia_proto::cosmos::Any;
use prost::{Message, Name};

/// Fails unless `addr` holds at least `coins`.
fn check_spendable(ctx: &mut Ctx<'_>, addr: &Address, coins: &[Coin]) -> AppResult<()> {
    for c in coins {
        let have = state::balance(ctx, addr, &c.denom)?;
        if have < c.amount {
            return Err(AppError::insufficient_funds(format!(
                "spendable balance {have}{} is smaller than {c}",
                c.denom
            )));
        }
    }
    Ok(())
}

fn debit(ctx: &mut Ctx<'_>, addr: &Address, coins: &[Coin]) -> AppResult<()> {
    check_spendable(ctx, addr, coins)?;
    for c in coins {
        let have = state::balance(ctx, addr, &c.denom)?;
        // check_spendable has made sure of it; checked all the same.
        let left = have.checked_sub(c.amount).ok_or_else(|| {
            AppError::insufficient_funds(format!("{addr} has {have}{} < {}", c.denom, c.amount))
        })?;
        state::set_balance(ctx, addr, &c.denom, left)?;
    }
    events::coin_spent(ctx, addr, coins);
    Ok(())
}

fn credit(ctx: &mut Ctx<'_>, addr: &Address, coins: &[Coin]) -> AppResult<()> {
    auth::ensure_account(ctx, addr)?;
    for c in coins {
        let have = state::balance(ctx, addr, &c.denom)?;
        let new = have
            .checked_add(c.amount)
            .ok_or_else(|| AppError::invalid_coins(format!("balance of {addr} would overflow")))?;
        state::set_balance(ctx, addr, &c.denom, new)?;
    }
    events::coin_received(ctx, addr, coins);
    Ok(())
}

/// Moves coins between accounts, creating the recipient's account if needed. Other modules
/// call this rather than touching balances.
pub fn transfer(ctx: &mut Ctx<'_>, from: &Address, to: &Address, coins: &[Coin]) -> AppResult<()> {
    debit(ctx, from, coins)?;
    credit(ctx, to, coins)?;
    events::transfer(ctx, from, to, coins);
    Ok(())
}

/// Creates coins in `to` and adds them to the supply (genesis and emission only).
pub fn mint(ctx: &mut Ctx<'_>, to: &Address, coins: &[Coin]) -> AppResult<()> {
    for c in coins {
        let s = state::supply(ctx, &c.denom)?;
        let new = s.checked_add(c.amount).ok_or_else(|| {
            AppError::invalid_coins(format!("supply of {} would overflow", c.denom))
        })?;
        state::set_supply(ctx, &c.denom, new)?;
    }
    credit(ctx, to, coins)?;
    events::coinbase(ctx, to, coins);
    Ok(())
}

/// Destroys coins held by `from` and takes them out of the supply.
pub fn burn(ctx: &mut Ctx<'_>, from: &Address, coins: &[Coin]) -> AppResult<()> {
    debit(ctx, from, coins)?;
    for c in coins {
        let s = state::supply(ctx, &c.denom)?;
        let new = s.checked_sub(c.amount).ok_or_else(|| {
            AppError::internal(format!("burning {c} exceeds the supply of {}", c.denom))
        })?;
        state::set_supply(ctx, &c.denom, new)?;
    }
    ctx.emit(
        "burn",
        &[
            ("burner", from.to_bech32()),
            ("amount", format_coins(coins)),
        ],
    );
    Ok(())
}

/// Module accounts may not receive funds through user messages: their balances must equal
/// what their modules owe (fees collected, escrows), which the invariants check.
fn refuse_blocked(blocked: &[Address], to: &Address) -> AppResult<()> {
    if blocked.contains(to) {
        return Err(AppError::unauthorized(format!(
            "{to} is not allowed to receive funds"
        )));
    }
    Ok(())
}

/// Executes a checked bank message, returning its `Msg…Response` as an `Any`.
pub fn execute(ctx: &mut Ctx<'_>, msg: &BankMsg, blocked: &[Address]) -> AppResult<Any> {
    match msg {
        BankMsg::Send { from, to, amount } => {
            refuse_blocked(blocked, to)?;
            transfer(ctx, from, to, amount)?;
            Ok(Any {
                type_url: MsgSendResponse::type_url(),
                value: MsgSendResponse {}.encode_to_vec(),
            })
        }
        BankMsg::MultiSend { input, outputs } => {
            for (to, _) in outputs {
                refuse_blocked(blocked, to)?;
            }
            debit(ctx, &input.0, &input.1)?;
            ctx.emit("message", &[("sender", input.0.to_bech32())]);
            for (to, coins) in outputs {
                credit(ctx, to, coins)?;
                ctx.emit(
                    "transfer",
                    &[
                        ("recipient", to.to_bech32()),
                        ("amount", format_coins(coins)),
                    ],
                );
            }
            Ok(Any {
                type_url: MsgMultiSendResponse::type_url(),
                value: MsgMultiSendResponse {}.encode_to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BlockInfo;
    use crate::gas::GasMeter;
    use crate::store::MemStore;

    #[test]
    fn transfer_conserves_and_refuses_overspend() {
        let base = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&base, GasMeter::infinite(), &block);
        let (a, b) = (Address::module("a"), Address::module("b"));
        mint(&mut ctx, &a, &[Coin::new("uglia", 100)]).unwrap();
        transfer(&mut ctx, &a, &b, &[Coin::new("uglia", 40)]).unwrap();
        assert_eq!(state::balance(&mut ctx, &a, "uglia").unwrap(), 60);
        assert_eq!(state::balance(&mut ctx, &b, "uglia").unwrap(), 40);
        let e = ctx
            .atomic(|c| transfer(c, &a, &b, &[Coin::new("uglia", 61)]))
            .unwrap_err();
        assert_eq!(e.code, 5);
        assert!(
            e.log
                .contains("spendable balance 60uglia is smaller than 61uglia"),
            "{}",
            e.log
        );
        super::super::invariants::check(&mut ctx).unwrap();
    }
}
