//! The events bank emits, named and shaped as the Cosmos SDK's.

use crate::address::Address;
use crate::coins::{format_coins, Coin};
use crate::context::Ctx;

pub fn coin_spent(ctx: &mut Ctx<'_>, spender: &Address, coins: &[Coin]) {
    ctx.emit(
        "coin_spent",
        &[
            ("spender", spender.to_bech32()),
            ("amount", format_coins(coins)),
        ],
    );
}

pub fn coin_received(ctx: &mut Ctx<'_>, receiver: &Address, coins: &[Coin]) {
    ctx.emit(
        "coin_received",
        &[
            ("receiver", receiver.to_bech32()),
            ("amount", format_coins(coins)),
        ],
    );
}

pub fn transfer(ctx: &mut Ctx<'_>, from: &Address, to: &Address, coins: &[Coin]) {
    ctx.emit(
        "transfer",
        &[
            ("recipient", to.to_bech32()),
            ("sender", from.to_bech32()),
            ("amount", format_coins(coins)),
        ],
    );
    ctx.emit("message", &[("sender", from.to_bech32())]);
}

pub fn coinbase(ctx: &mut Ctx<'_>, minter: &Address, coins: &[Coin]) {
    ctx.emit(
        "coinbase",
        &[
            ("minter", minter.to_bech32()),
            ("amount", format_coins(coins)),
        ],
    );
}
