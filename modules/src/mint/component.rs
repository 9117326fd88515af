//! The mint component: one reward minted at the start of every block, and the queries wallets
//! read the emission from.

use super::{next_reward, state};
use crate::address::Address;
use crate::bank;
use crate::coins::Coin;
use crate::component::{
    genesis_json, genesis_section, BlockContext, Component, GenesisInfo, QueryRoute, RestRoute,
};
use crate::context::{Ctx, Kv, ReadOnly};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::rest;
use glia_proto::cosmos::cosmos::mint::v1beta1::{
    Params as SdkParams, QueryAnnualProvisionsRequest, QueryAnnualProvisionsResponse,
    QueryInflationRequest, QueryInflationResponse, QueryParamsRequest, QueryParamsResponse,
};
use glia_proto::mint::v1::{
    Minter, QueryEmissionRequest, QueryEmissionResponse, QueryScheduleRequest,
    QueryScheduleResponse, ScheduleYear,
};
use prost::Message;
use serde_json::json;

pub const NAME: &str = "mint";

pub struct Mint;

/// Where the emission stands, with its annualised figures.
pub fn emission(kv: &mut impl Kv) -> AppResult<QueryEmissionResponse> {
    let p = state::params(kv)?;
    let (cap, decay) = state::parts(&p)?;
    let minted = state::amount(&state::minter(kv)?.minted)?;
    let next = next_reward(cap, minted, decay)?;
    let annual = next
        .checked_mul(u128::from(p.blocks_per_year))
        .ok_or_else(|| AppError::overflow("annual provisions"))?;
    let supply = bank::api::supply(kv, &p.mint_denom)?;
    let inflation = if supply == 0 {
        Dec::ZERO
    } else {
        Dec::ratio(annual, supply)?
    };
    Ok(QueryEmissionResponse {
        minted: minted.to_string(),
        remaining: cap.saturating_sub(minted).to_string(),
        next_reward: next.to_string(),
        annual_provisions: Dec::from_int(annual)?.to_string(),
        inflation: inflation.to_string(),
        params: Some(p),
    })
}

/// The emission year by year from the last block, in closed form: after `k` more blocks
/// `(C − M) × (1 − d)^k` is left below the cap.
pub fn schedule(kv: &mut impl Kv, years: u32) -> AppResult<QueryScheduleResponse> {
    let years = match years {
        0 => 10,
        1..=100 => years,
        _ => {
            return Err(AppError::invalid_request(format!(
                "years {years}: at most 100 can be projected"
            )))
        }
    };
    let p = state::params(kv)?;
    let (cap, decay) = state::parts(&p)?;
    let minted = state::amount(&state::minter(kv)?.minted)?;
    let left_now = cap.saturating_sub(minted);
    let keep = Dec::ONE.checked_sub(decay)?;
    let mut out = Vec::new();
    let mut before = minted;
    for year in 1..=years {
        let blocks = u64::from(year).saturating_mul(p.blocks_per_year);
        let left = keep.pow(blocks)?.mul_int_floor(left_now)?;
        let total = cap.saturating_sub(left);
        out.push(ScheduleYear {
            year,
            blocks,
            minted: total.to_string(),
            minted_in_year: total.saturating_sub(before).to_string(),
            reward_per_block: decay.mul_int_floor(left)?.to_string(),
        });
        before = total;
    }
    Ok(QueryScheduleResponse { years: out })
}

impl Component for Mint {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        let g: state::Genesis = genesis_section(NAME, section)?;
        state::set_params(ctx, &state::params_from(&g)?)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        genesis_json(NAME, &state::export(&state::params(kv)?)?).map(Some)
    }

    /// Mints this block's reward into the fee collector.
    fn begin_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        let p = state::params(ctx)?;
        let (cap, decay) = state::parts(&p)?;
        let m = state::minter(ctx)?;
        let minted = state::amount(&m.minted)?;
        let reward = next_reward(cap, minted, decay)?;
        if reward == 0 {
            return Ok(());
        }
        let total = minted
            .checked_add(reward)
            .ok_or_else(|| AppError::overflow("minted total"))?;
        let to = Address::module(bank::FEE_COLLECTOR);
        bank::api::mint(ctx, &to, &[Coin::new(&p.mint_denom, reward)])?;
        state::set_minter(
            ctx,
            &Minter {
                minted: total.to_string(),
                last_reward: reward.to_string(),
            },
        )?;
        ctx.emit(
            "mint",
            &[
                ("amount", format!("{reward}{}", p.mint_denom)),
                ("minted", total.to_string()),
            ],
        );
        Ok(())
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        let (cap, _) = state::parts(&state::params(ctx)?)?;
        let minted = state::amount(&state::minter(ctx)?.minted)?;
        if minted > cap {
            return Err(AppError::internal(format!(
                "mint invariant broken: minted {minted} above the cap {cap}"
            )));
        }
        Ok(())
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new(
                "/glia.mint.v1.Query/Emission",
                |kv, _: QueryEmissionRequest| emission(kv),
            )
            .with_rest(RestRoute {
                pattern: "/glia/mint/v1/emission",
                request: |_| Ok(QueryEmissionRequest {}.encode_to_vec()),
                json: |b| {
                    let r: QueryEmissionResponse = rest::decode(b)?;
                    let p = r.params.unwrap_or_default();
                    Ok(json!({
                        "params": {
                            "mint_denom": p.mint_denom,
                            "emission_cap": p.emission_cap,
                            "decay_per_block": Dec::from_proto(&p.decay_per_block)?.to_string(),
                            "blocks_per_year": p.blocks_per_year.to_string(),
                        },
                        "minted": r.minted,
                        "remaining": r.remaining,
                        "next_reward": r.next_reward,
                        "annual_provisions": r.annual_provisions,
                        "inflation": r.inflation,
                    }))
                },
            }),
            QueryRoute::new(
                "/glia.mint.v1.Query/Schedule",
                |kv, r: QueryScheduleRequest| schedule(kv, r.years),
            )
            .with_rest(RestRoute {
                pattern: "/glia/mint/v1/schedule",
                request: |m| {
                    let years = m.get("years").map_or(Ok(0), |v| {
                        v.parse::<u32>().map_err(|_| {
                            AppError::invalid_request(format!("years {v:?} is not a number"))
                        })
                    })?;
                    Ok(QueryScheduleRequest { years }.encode_to_vec())
                },
                json: |b| {
                    let r: QueryScheduleResponse = rest::decode(b)?;
                    let years: Vec<_> = r
                        .years
                        .iter()
                        .map(|y| {
                            json!({"year": y.year, "blocks": y.blocks.to_string(),
                                "minted": y.minted, "minted_in_year": y.minted_in_year,
                                "reward_per_block": y.reward_per_block})
                        })
                        .collect();
                    Ok(json!({"years": years}))
                },
            }),
            // cosmjs's MintExtension and Keplr's APR read these three.
            QueryRoute::new(
                "/cosmos.mint.v1beta1.Query/Inflation",
                |kv, _: QueryInflationRequest| {
                    let e = emission(kv)?;
                    Ok(QueryInflationResponse {
                        inflation: Dec::parse(&e.inflation)?.to_proto().into_bytes(),
                    })
                },
            )
            .with_rest(RestRoute {
                pattern: "/cosmos/mint/v1beta1/inflation",
                request: |_| Ok(QueryInflationRequest {}.encode_to_vec()),
                json: |b| {
                    let r: QueryInflationResponse = rest::decode(b)?;
                    let atoms = String::from_utf8_lossy(&r.inflation).into_owned();
                    Ok(json!({"inflation": Dec::from_proto(&atoms)?.to_string()}))
                },
            }),
            QueryRoute::new(
                "/cosmos.mint.v1beta1.Query/AnnualProvisions",
                |kv, _: QueryAnnualProvisionsRequest| {
                    let e = emission(kv)?;
                    Ok(QueryAnnualProvisionsResponse {
                        annual_provisions: Dec::parse(&e.annual_provisions)?
                            .to_proto()
                            .into_bytes(),
                    })
                },
            )
            .with_rest(RestRoute {
                pattern: "/cosmos/mint/v1beta1/annual_provisions",
                request: |_| Ok(QueryAnnualProvisionsRequest {}.encode_to_vec()),
                json: |b| {
                    let r: QueryAnnualProvisionsResponse = rest::decode(b)?;
                    let atoms = String::from_utf8_lossy(&r.annual_provisions).into_owned();
                    Ok(json!({"annual_provisions": Dec::from_proto(&atoms)?.to_string()}))
                },
            }),
            // The SDK's params shape: the denom and blocks per year; the inflation bounds are
            // the current inflation (this emission does not steer by a bonded ratio).
            QueryRoute::new(
                "/cosmos.mint.v1beta1.Query/Params",
                |kv, _: QueryParamsRequest| {
                    let e = emission(kv)?;
                    let p = e.params.clone().unwrap_or_default();
                    let now = Dec::parse(&e.inflation)?.to_proto();
                    Ok(QueryParamsResponse {
                        params: Some(SdkParams {
                            mint_denom: p.mint_denom,
                            inflation_rate_change: Dec::ZERO.to_proto(),
                            inflation_max: now.clone(),
                            inflation_min: now,
                            goal_bonded: Dec::ZERO.to_proto(),
                            blocks_per_year: p.blocks_per_year,
                        }),
                    })
                },
            ),
        ]
    }
}
