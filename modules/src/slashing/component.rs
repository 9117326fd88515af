//! The slashing component: liveness from the last commit's votes, and its queries.

use super::{parse_valcons, punish, state, valcons};
use crate::address::Address;
use crate::component::DecodedMsg;
use crate::component::{
    genesis_json, genesis_section, BlockContext, Component, GenesisInfo, QueryRoute, RestRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::{AppError, AppResult};
use crate::pagination::paginate_prefix;
use crate::rest;
use glia_proto::cosmos::cosmos::slashing::v1beta1::MsgUnjail;
use glia_proto::cosmos::cosmos::slashing::v1beta1::{
    QueryParamsRequest, QueryParamsResponse, QuerySigningInfoRequest, QuerySigningInfoResponse,
    QuerySigningInfosRequest, QuerySigningInfosResponse, ValidatorSigningInfo,
};
use glia_proto::cosmos::Any;
use prost::Message;
use prost::Name;
use serde_json::json;

pub const NAME: &str = "slashing";

pub struct Slashing;

/// Counts one vote of the last commit into its validator's window: a missed block sets its
/// bit, a signed one clears it, and the counter follows the bits.
fn record_vote(
    ctx: &mut Ctx<'_>,
    window: u64,
    address: &str,
    signed: bool,
    power: i64,
) -> AppResult<()> {
    let bytes = hex::decode(address)
        .map_err(|_| AppError::internal(format!("a vote from {address:?}, not hex")))?;
    let who = valcons(&bytes)?;
    let height = i64::try_from(ctx.block.height).unwrap_or(i64::MAX);
    let mut info = state::info(ctx, &who)?.unwrap_or_else(|| ValidatorSigningInfo {
        address: who.clone(),
        start_height: height,
        ..Default::default()
    });
    let index = u64::try_from(info.index_offset)
        .unwrap_or(0)
        .checked_rem(window)
        .unwrap_or(0);
    let mut bits = state::missed(ctx, &who)?;
    // index < window ≤ MAX_WINDOW: the byte and bit are in range.
    let byte = usize::try_from(index.checked_div(8).unwrap_or(0)).unwrap_or(0);
    let mask = 1u8
        .checked_shl(u32::try_from(index.checked_rem(8).unwrap_or(0)).unwrap_or(0))
        .unwrap_or(1);
    if bits.len() <= byte {
        bits.resize(byte.saturating_add(1), 0);
    }
    let was_missed = bits[byte] & mask != 0;
    if was_missed == signed {
        if signed {
            bits[byte] &= !mask;
            info.missed_blocks_counter = info.missed_blocks_counter.saturating_sub(1);
        } else {
            bits[byte] |= mask;
            info.missed_blocks_counter = info.missed_blocks_counter.saturating_add(1);
        }
        state::set_missed(ctx, &who, bits)?;
    }
    info.index_offset = info.index_offset.saturating_add(1);
    if !signed {
        ctx.emit(
            "liveness",
            &[
                ("address", who.clone()),
                ("missed_blocks", info.missed_blocks_counter.to_string()),
                ("height", height.to_string()),
            ],
        );
        let window = i64::try_from(window).unwrap_or(i64::MAX);
        punish::check_downtime(ctx, &bytes, &mut info, power, window)?;
    }
    state::set_info(ctx, &info)
}

fn info_json(i: &ValidatorSigningInfo) -> serde_json::Value {
    let until = i.jailed_until.as_ref().map_or(0, |t| t.seconds);
    json!({
        "address": i.address,
        "start_height": i.start_height.to_string(),
        "index_offset": i.index_offset.to_string(),
        "jailed_until": format!("{}", until_rfc3339(until)),
        "tombstoned": i.tombstoned,
        "missed_blocks_counter": i.missed_blocks_counter.to_string(),
    })
}

/// Seconds since the epoch as RFC 3339 (UTC), as grpc-gateway writes timestamps.
// A query's rendering, not consensus: the values are a stored block time (far inside i64's
// range for these days-from-epoch steps).
#[allow(clippy::arithmetic_side_effects)]
fn until_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl Component for Slashing {
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

    /// The last commit's votes, each counted into its validator's window.
    fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        let window = u64::try_from(state::params(ctx)?.signed_blocks_window).unwrap_or(1);
        for v in &block.last_commit {
            if v.power > 0 && !v.validator.is_empty() {
                record_vote(ctx, window, &v.validator, v.signed, v.power)?;
            }
        }
        for m in &block.misbehaviour {
            punish::double_sign(ctx, m)?;
        }
        Ok(())
    }

    fn msg_type_urls(&self) -> Vec<String> {
        vec![MsgUnjail::type_url()]
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        let decoded = (any.type_url == MsgUnjail::type_url()).then(|| punish::decode_unjail(any));
        DecodedMsg::from_decoder(NAME, any, decoded, |op: &Address| vec![op.clone()])
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        punish::unjail(ctx, msg.get::<Address>()?)
    }

    /// `cosmos-sdk/MsgUnjail`, as cosmjs's amino converter and the SDK write it.
    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        (any.type_url == MsgUnjail::type_url()).then(|| {
            rest::decode::<MsgUnjail>(&any.value).map(
                |m| json!({"type": "cosmos-sdk/MsgUnjail", "value": {"address": m.validator_addr}}),
            )
        })
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new("/cosmos.slashing.v1beta1.Query/Params", |kv, _: QueryParamsRequest| {
                Ok(QueryParamsResponse {
                    params: Some(state::params(kv)?),
                })
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/slashing/v1beta1/params",
                request: |_| Ok(QueryParamsRequest {}.encode_to_vec()),
                json: |b| {
                    let r: QueryParamsResponse = rest::decode(b)?;
                    let p = r.params.unwrap_or_default();
                    Ok(json!({"params": {
                        "signed_blocks_window": p.signed_blocks_window.to_string(),
                        "min_signed_per_window": state::dec_of(&p.min_signed_per_window)?.to_string(),
                        "downtime_jail_duration": format!("{}s", p.downtime_jail_duration.map_or(0, |d| d.seconds)),
                        "slash_fraction_double_sign": state::dec_of(&p.slash_fraction_double_sign)?.to_string(),
                        "slash_fraction_downtime": state::dec_of(&p.slash_fraction_downtime)?.to_string(),
                    }}))
                },
            }),
            QueryRoute::new(
                "/cosmos.slashing.v1beta1.Query/SigningInfo",
                |kv, r: QuerySigningInfoRequest| {
                    parse_valcons(&r.cons_address)?;
                    let info = state::info(kv, &r.cons_address)?.ok_or_else(|| {
                        AppError::not_found(format!(
                            "rpc error: code = NotFound desc = no signing info for {}",
                            r.cons_address
                        ))
                    })?;
                    Ok(QuerySigningInfoResponse {
                        val_signing_info: Some(info),
                    })
                },
            )
            .with_rest(RestRoute {
                pattern: "/cosmos/slashing/v1beta1/signing_infos/:cons_address",
                request: |m| {
                    Ok(QuerySigningInfoRequest {
                        cons_address: rest::param(m, "cons_address")?.into(),
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QuerySigningInfoResponse = rest::decode(b)?;
                    Ok(json!({"val_signing_info": r.val_signing_info.as_ref().map(info_json)}))
                },
            }),
            QueryRoute::new(
                "/cosmos.slashing.v1beta1.Query/SigningInfos",
                |kv, r: QuerySigningInfosRequest| {
                    let prefix = state::state_key::INFOS_PREFIX;
                    let (info, pagination) = paginate_prefix(
                        kv,
                        prefix,
                        prefix.len(),
                        r.pagination.as_ref(),
                        |kv, k| crate::value::get(kv, k, "signing info"),
                    )?;
                    Ok(QuerySigningInfosResponse {
                        info,
                        pagination: Some(pagination),
                    })
                },
            )
            .with_rest(RestRoute {
                pattern: "/cosmos/slashing/v1beta1/signing_infos",
                request: |m| {
                    Ok(QuerySigningInfosRequest {
                        pagination: rest::page_request(m)?,
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QuerySigningInfosResponse = rest::decode(b)?;
                    Ok(json!({
                        "info": r.info.iter().map(info_json).collect::<Vec<_>>(),
                        "pagination": rest::page_json(&r.pagination),
                    }))
                },
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::CommitVote;
    use crate::context::BlockInfo;
    use crate::gas::GasMeter;
    use crate::store::MemStore;

    /// Missed blocks are counted over a sliding window: a miss sets its slot, a signature a
    /// window later clears it, and the counter equals the set slots.
    #[test]
    fn liveness_is_counted_over_a_sliding_window() {
        let mut store = MemStore::default();
        let who_hex = "AB".repeat(20);
        let who = valcons(&hex::decode(&who_hex).unwrap()).unwrap();
        let window = 4i64;
        {
            let block = BlockInfo::default();
            let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
            let g = state::Genesis {
                signed_blocks_window: Some(window as u32),
                ..Default::default()
            };
            state::set_params(&mut ctx, &state::params_from(&g).unwrap()).unwrap();
            store.apply(ctx.into_parts().0);
        }
        // Signed pattern over 8 blocks: miss, miss, sign, sign | sign, miss, sign, sign.
        let pattern = [false, false, true, true, true, false, true, true];
        let mut counters = Vec::new();
        for (i, signed) in pattern.into_iter().enumerate() {
            let info = BlockInfo {
                height: i as u64 + 2,
                ..Default::default()
            };
            let block = BlockContext {
                last_commit: vec![CommitVote {
                    validator: who_hex.clone(),
                    power: 10,
                    signed,
                }],
                ..Default::default()
            };
            let mut ctx = Ctx::new(&store, GasMeter::infinite(), &info);
            Slashing.begin_block(&mut ctx, &block).unwrap();
            let missed_events = ctx.events.iter().filter(|e| e.r#type == "liveness").count();
            assert_eq!(missed_events, usize::from(!signed));
            store.apply(ctx.into_parts().0);
            let i = state::info(&mut ReadOnly(&store), &who).unwrap().unwrap();
            counters.push(i.missed_blocks_counter);
        }
        // The second window overwrites the first: the two early misses age out.
        assert_eq!(counters, vec![1, 2, 2, 2, 1, 1, 1, 1]);
        let i = state::info(&mut ReadOnly(&store), &who).unwrap().unwrap();
        assert_eq!((i.start_height, i.index_offset), (2, 8));
        assert_eq!(until_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(until_rfc3339(1_764_633_600), "2025-12-02T00:00:00Z");
    }
}
