//! `cosmos.staking.v1beta1.Query`: so far `Params` (Hermes reads `unbonding_time` and checks
//! `historical_entries > 0` before relaying).

use super::state;
use crate::context::Kv;
use crate::decimal::Dec;
use crate::error::AppResult;
use crate::rest;
use glia_proto::cosmos::cosmos::staking::v1beta1::{QueryParamsRequest, QueryParamsResponse};
use serde_json::json;

pub fn params(kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(state::params(kv)?),
    })
}

/// grpc-gateway's JSON: the duration as `"1814400s"`, the rate in point form.
pub fn params_json(bytes: &[u8]) -> AppResult<serde_json::Value> {
    let r: QueryParamsResponse = rest::decode(bytes)?;
    let p = r.params.unwrap_or_default();
    Ok(json!({"params": {
        "unbonding_time": format!("{}s", p.unbonding_time.map_or(0, |d| d.seconds)),
        "max_validators": p.max_validators,
        "max_entries": p.max_entries,
        "historical_entries": p.historical_entries,
        "bond_denom": p.bond_denom,
        "min_commission_rate": Dec::from_proto(&p.min_commission_rate)?.to_string(),
    }}))
}
