//! Bank genesis: initial balances, minted into existence so supply matches.

use super::handler::mint;
use crate::address::Address;
use crate::coins::parse_coins;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCoin {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    pub address: String,
    pub coins: Vec<GenesisCoin>,
}

/// `app_state.bank`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub balances: Vec<GenesisBalance>,
}

pub fn init_genesis(ctx: &mut Ctx<'_>, g: &Genesis) -> AppResult<()> {
    for b in &g.balances {
        let addr = Address::parse(&b.address).map_err(|e| {
            AppError::invalid_address(format!("genesis balance {}: {e}", b.address))
        })?;
        let coins: Vec<ProtoCoin> = b
            .coins
            .iter()
            .map(|c| ProtoCoin {
                denom: c.denom.clone(),
                amount: c.amount.clone(),
            })
            .collect();
        mint(ctx, &addr, &parse_coins(&coins, false)?)?;
    }
    Ok(())
}
