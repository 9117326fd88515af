//! The emission's keys, params (checked) and progress.

use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::mint::v1::{Minter, Params};
use prost::Message;
use serde::{Deserialize, Serialize};

pub mod state_key {
    pub const PARAMS: &str = "mint/params";
    pub const MINTER: &str = "mint/minter";
}

/// 100 million GLIA over time, half of it in about four years of 5-second blocks
/// (d = 2.75e-8: ln 2 / d ≈ 25.2 million blocks).
pub fn default_params() -> Params {
    Params {
        mint_denom: crate::coins::BASE_DENOM.into(),
        emission_cap: "100000000000000".into(),
        decay_per_block: Dec::parse("0.0000000275").map_or_else(|_| String::new(), Dec::to_proto),
        blocks_per_year: 6_311_520,
    }
}

/// `app_state.mint`: params left out keep their defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub emission_cap: Option<String>,
    /// Point form, e.g. "0.0000000275".
    pub decay_per_block: Option<String>,
    pub blocks_per_year: Option<u64>,
}

pub fn params_from(g: &Genesis) -> AppResult<Params> {
    let mut p = default_params();
    if let Some(c) = &g.emission_cap {
        p.emission_cap = c.clone();
    }
    if let Some(d) = &g.decay_per_block {
        p.decay_per_block = Dec::parse(d)?.to_proto();
    }
    if let Some(b) = g.blocks_per_year {
        p.blocks_per_year = b;
    }
    check(&p)?;
    Ok(p)
}

pub fn export(p: &Params) -> AppResult<Genesis> {
    Ok(Genesis {
        emission_cap: Some(p.emission_cap.clone()),
        decay_per_block: Some(Dec::from_proto(&p.decay_per_block)?.to_string()),
        blocks_per_year: Some(p.blocks_per_year),
    })
}

/// The cap, the decay and blocks per year of valid params.
pub fn parts(p: &Params) -> AppResult<(u128, Dec)> {
    let cap = p.emission_cap.parse::<u128>().map_err(|_| {
        AppError::invalid_request(format!(
            "mint params: emission_cap {:?} is not an amount",
            p.emission_cap
        ))
    })?;
    Ok((cap, Dec::from_proto(&p.decay_per_block)?))
}

fn check(p: &Params) -> AppResult<()> {
    let (_, decay) = parts(p)?;
    if decay >= Dec::ONE {
        return Err(AppError::invalid_request(
            "mint params: decay_per_block must be below 1 (1 would mint the whole cap at once)",
        ));
    }
    if p.blocks_per_year == 0 {
        return Err(AppError::invalid_request(
            "mint params: blocks_per_year must be positive",
        ));
    }
    crate::coins::validate_denom(&p.mint_denom).map_err(AppError::invalid_coins)
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    Ok(value::get(kv, state_key::PARAMS, "mint params")?.unwrap_or_else(default_params))
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

pub fn minter(kv: &mut impl Kv) -> AppResult<Minter> {
    Ok(value::get(kv, state_key::MINTER, "minter")?.unwrap_or_default())
}

pub fn set_minter(ctx: &mut Ctx<'_>, m: &Minter) -> AppResult<()> {
    ctx.put(state_key::MINTER.into(), m.encode_to_vec())
}

/// An amount kept as a decimal string in the minter (empty is zero).
pub fn amount(s: &str) -> AppResult<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse()
        .map_err(|_| AppError::internal(format!("stored mint amount {s:?} is corrupt")))
}
