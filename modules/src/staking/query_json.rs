//! Staking's REST side: each query's request from grpc-gateway's path and query parameters,
//! and its answer as grpc-gateway writes the SDK's JSON: decimals in point form with 18
//! places, integers and 64-bit numbers as strings, enums by name, `Any` with `@type`,
//! timestamps in RFC 3339, durations as `"240s"`.

use super::amino::{dec, description};
use crate::component::{QueryRoute, RestRoute};
use crate::context::ReadOnly;
use crate::error::{AppError, AppResult};
use crate::rest;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use glia_proto::cosmos::cosmos::staking::v1beta1::*;
use glia_proto::cosmos::Any;
use prost::{Message, Name};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tendermint_proto::google::protobuf::Timestamp;

/// A request read from a REST call's path and query parameters.
pub trait FromParams: Sized {
    fn from_params(m: &BTreeMap<String, String>) -> AppResult<Self>;
}

/// An answer as grpc-gateway writes it.
pub trait ToJson {
    fn to_json(&self) -> AppResult<Value>;
}

/// A query path served over ABCI and gRPC by `handler`, and over REST at `pattern`.
pub fn route<Req, Resp>(
    path: &'static str,
    pattern: &'static str,
    handler: impl Fn(&mut ReadOnly<'_>, Req) -> AppResult<Resp> + Send + Sync + 'static,
) -> QueryRoute
where
    Req: Message + Default + FromParams,
    Resp: Message + Default + ToJson,
{
    QueryRoute::new(path, handler).with_rest(RestRoute {
        pattern,
        request: |m| Ok(Req::from_params(m)?.encode_to_vec()),
        json: |b| rest::decode::<Resp>(b)?.to_json(),
    })
}

fn text(m: &BTreeMap<String, String>, name: &str) -> AppResult<String> {
    rest::param(m, name).map(str::to_string)
}

fn optional(m: &BTreeMap<String, String>, name: &str) -> String {
    m.get(name).cloned().unwrap_or_default()
}

/// Implements [`FromParams`] for requests of path parameters and, with `paged`, a page.
macro_rules! from_params {
    ($t:ty { $($field:ident),* } $(paged $paged:ident)?) => {
        impl FromParams for $t {
            #[allow(unused_variables)]
            fn from_params(m: &BTreeMap<String, String>) -> AppResult<Self> {
                Ok(Self {
                    $($field: text(m, stringify!($field))?,)*
                    $($paged: rest::page_request(m)?,)?
                })
            }
        }
    };
}

from_params!(QueryParamsRequest {});
from_params!(QueryPoolRequest {});
from_params!(QueryValidatorRequest { validator_addr });
from_params!(QueryValidatorDelegationsRequest { validator_addr } paged pagination);
from_params!(QueryValidatorUnbondingDelegationsRequest { validator_addr } paged pagination);
from_params!(QueryDelegationRequest {
    delegator_addr,
    validator_addr
});
from_params!(QueryUnbondingDelegationRequest {
    delegator_addr,
    validator_addr
});
from_params!(QueryDelegatorDelegationsRequest { delegator_addr } paged pagination);
from_params!(QueryDelegatorUnbondingDelegationsRequest { delegator_addr } paged pagination);
from_params!(QueryDelegatorValidatorsRequest { delegator_addr } paged pagination);
from_params!(QueryDelegatorValidatorRequest {
    delegator_addr,
    validator_addr
});

impl FromParams for QueryValidatorsRequest {
    fn from_params(m: &BTreeMap<String, String>) -> AppResult<Self> {
        Ok(Self {
            status: optional(m, "status"),
            pagination: rest::page_request(m)?,
        })
    }
}

impl FromParams for QueryRedelegationsRequest {
    fn from_params(m: &BTreeMap<String, String>) -> AppResult<Self> {
        Ok(Self {
            delegator_addr: text(m, "delegator_addr")?,
            src_validator_addr: optional(m, "src_validator_addr"),
            dst_validator_addr: optional(m, "dst_validator_addr"),
            pagination: rest::page_request(m)?,
        })
    }
}

impl FromParams for QueryHistoricalInfoRequest {
    fn from_params(m: &BTreeMap<String, String>) -> AppResult<Self> {
        let h = rest::param(m, "height")?;
        let height = h
            .parse()
            .map_err(|_| AppError::invalid_request(format!("height {h:?} is not a number")))?;
        Ok(Self { height })
    }
}

/// The SDK's `BondStatus` by name.
pub fn status_name(s: i32) -> &'static str {
    match s {
        1 => "BOND_STATUS_UNBONDED",
        2 => "BOND_STATUS_UNBONDING",
        3 => "BOND_STATUS_BONDED",
        _ => "BOND_STATUS_UNSPECIFIED",
    }
}

/// A timestamp in RFC 3339 (UTC), as grpc-gateway writes it (records hold whole seconds).
// A query's rendering of a stored time, not consensus: days-from-epoch steps of an i64 count
// of seconds stay far inside i64's range.
#[allow(clippy::arithmetic_side_effects)]
pub fn rfc3339(t: &Option<Timestamp>) -> String {
    let secs = t.as_ref().map_or(0, |t| t.seconds);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A consensus key as grpc-gateway writes an `Any`: its type and its message's fields.
fn pubkey_json(any: &Option<Any>) -> AppResult<Value> {
    let Some(any) = any
        .as_ref()
        .filter(|a| a.type_url == Ed25519PubKey::type_url())
    else {
        return Err(AppError::internal(
            "a validator record without an ed25519 key",
        ));
    };
    let k = Ed25519PubKey::decode(any.value.as_slice())
        .map_err(|e| AppError::internal(format!("stored consensus key: {e}")))?;
    Ok(json!({"@type": any.type_url, "key": B64.encode(k.key)}))
}

pub fn validator_json(v: &Validator) -> AppResult<Value> {
    let c = v.commission.clone().unwrap_or_default();
    let rates = c.commission_rates.unwrap_or_default();
    Ok(json!({
        "operator_address": v.operator_address,
        "consensus_pubkey": pubkey_json(&v.consensus_pubkey)?,
        "jailed": v.jailed,
        "status": status_name(v.status),
        "tokens": v.tokens,
        "delegator_shares": dec(&v.delegator_shares)?,
        "description": description(v.description.clone()),
        "unbonding_height": v.unbonding_height.to_string(),
        "unbonding_time": rfc3339(&v.unbonding_time),
        "commission": {
            "commission_rates": {
                "rate": dec(&rates.rate)?,
                "max_rate": dec(&rates.max_rate)?,
                "max_change_rate": dec(&rates.max_change_rate)?,
            },
            "update_time": rfc3339(&c.update_time),
        },
        "min_self_delegation": v.min_self_delegation,
        "unbonding_on_hold_ref_count": v.unbonding_on_hold_ref_count.to_string(),
        "unbonding_ids": v.unbonding_ids.iter().map(u64::to_string).collect::<Vec<_>>(),
    }))
}

fn validators_json(vs: &[Validator]) -> AppResult<Value> {
    vs.iter().map(validator_json).collect::<AppResult<_>>()
}

fn delegation_response_json(r: &DelegationResponse) -> AppResult<Value> {
    let d = r.delegation.clone().unwrap_or_default();
    Ok(json!({
        "delegation": {
            "delegator_address": d.delegator_address,
            "validator_address": d.validator_address,
            "shares": dec(&d.shares)?,
        },
        "balance": r.balance.as_ref().map(rest::coin_json),
    }))
}

fn delegation_responses_json(rs: &[DelegationResponse]) -> AppResult<Value> {
    rs.iter().map(delegation_response_json).collect()
}

fn ubd_entry_json(e: &UnbondingDelegationEntry) -> Value {
    json!({
        "creation_height": e.creation_height.to_string(),
        "completion_time": rfc3339(&e.completion_time),
        "initial_balance": e.initial_balance,
        "balance": e.balance,
        "unbonding_id": e.unbonding_id.to_string(),
        "unbonding_on_hold_ref_count": e.unbonding_on_hold_ref_count.to_string(),
    })
}

fn ubd_json(u: &UnbondingDelegation) -> Value {
    json!({
        "delegator_address": u.delegator_address,
        "validator_address": u.validator_address,
        "entries": u.entries.iter().map(ubd_entry_json).collect::<Vec<_>>(),
    })
}

fn ubds_json(us: &[UnbondingDelegation]) -> Value {
    Value::Array(us.iter().map(ubd_json).collect())
}

fn red_entry_json(e: &RedelegationEntry) -> AppResult<Value> {
    Ok(json!({
        "creation_height": e.creation_height.to_string(),
        "completion_time": rfc3339(&e.completion_time),
        "initial_balance": e.initial_balance,
        "shares_dst": dec(&e.shares_dst)?,
        "unbonding_id": e.unbonding_id.to_string(),
        "unbonding_on_hold_ref_count": e.unbonding_on_hold_ref_count.to_string(),
    }))
}

fn redelegation_response_json(r: &RedelegationResponse) -> AppResult<Value> {
    let red = r.redelegation.clone().unwrap_or_default();
    let entries: AppResult<Vec<_>> = red.entries.iter().map(red_entry_json).collect();
    Ok(json!({
        "redelegation": {
            "delegator_address": red.delegator_address,
            "validator_src_address": red.validator_src_address,
            "validator_dst_address": red.validator_dst_address,
            "entries": entries?,
        },
        "entries": r.entries.iter().map(|e| Ok(json!({
            "redelegation_entry": e.redelegation_entry.as_ref().map(red_entry_json).transpose()?,
            "balance": e.balance,
        }))).collect::<AppResult<Vec<_>>>()?,
    }))
}

/// grpc-gateway's JSON of the params: the duration as `"1814400s"`, the rate in point form.
pub fn params_json(bytes: &[u8]) -> AppResult<Value> {
    rest::decode::<QueryParamsResponse>(bytes)?.to_json()
}

/// Implements [`ToJson`] for an answer: each JSON field from `self`, named `$s`.
macro_rules! to_json {
    ($($t:ty, $s:ident => { $($name:literal: $v:expr),* $(,)? };)*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> AppResult<Value> {
                let $s = self;
                Ok(json!({ $($name: $v),* }))
            }
        }
    )*};
}

to_json! {
    QueryParamsResponse, r => {
        "params": r.params.as_ref().map(|p| Ok::<_, AppError>(json!({
            "unbonding_time": format!("{}s", p.unbonding_time.map_or(0, |d| d.seconds)),
            "max_validators": p.max_validators,
            "max_entries": p.max_entries,
            "historical_entries": p.historical_entries,
            "bond_denom": p.bond_denom,
            "min_commission_rate": dec(&p.min_commission_rate)?,
        }))).transpose()?,
    };
    QueryValidatorsResponse, r => {
        "validators": validators_json(&r.validators)?,
        "pagination": rest::page_json(&r.pagination),
    };
    QueryValidatorResponse, r => {
        "validator": r.validator.as_ref().map(validator_json).transpose()?,
    };
    QueryValidatorDelegationsResponse, r => {
        "delegation_responses": delegation_responses_json(&r.delegation_responses)?,
        "pagination": rest::page_json(&r.pagination),
    };
    QueryValidatorUnbondingDelegationsResponse, r => {
        "unbonding_responses": ubds_json(&r.unbonding_responses),
        "pagination": rest::page_json(&r.pagination),
    };
    QueryDelegationResponse, r => {
        "delegation_response":
            r.delegation_response.as_ref().map(delegation_response_json).transpose()?,
    };
    QueryUnbondingDelegationResponse, r => {
        "unbond": r.unbond.as_ref().map(ubd_json),
    };
    QueryDelegatorDelegationsResponse, r => {
        "delegation_responses": delegation_responses_json(&r.delegation_responses)?,
        "pagination": rest::page_json(&r.pagination),
    };
    QueryDelegatorUnbondingDelegationsResponse, r => {
        "unbonding_responses": ubds_json(&r.unbonding_responses),
        "pagination": rest::page_json(&r.pagination),
    };
    QueryRedelegationsResponse, r => {
        "redelegation_responses": r.redelegation_responses.iter()
            .map(redelegation_response_json).collect::<AppResult<Vec<_>>>()?,
        // The SDK answers one named redelegation without a page: null.
        "pagination": r.pagination.as_ref().map(|_| rest::page_json(&r.pagination)),
    };
    QueryDelegatorValidatorsResponse, r => {
        "validators": validators_json(&r.validators)?,
        "pagination": rest::page_json(&r.pagination),
    };
    QueryDelegatorValidatorResponse, r => {
        "validator": r.validator.as_ref().map(validator_json).transpose()?,
    };
    QueryHistoricalInfoResponse, r => {
        "hist": r.hist.as_ref().map(|h| Ok::<_, AppError>(json!({
            "header": h.header.as_ref().map(|h| json!({
                "chain_id": h.chain_id,
                "height": h.height.to_string(),
                "time": rfc3339(&h.time),
                "next_validators_hash": base64::engine::general_purpose::STANDARD.encode(&h.next_validators_hash),
                "app_hash": base64::engine::general_purpose::STANDARD.encode(&h.app_hash),
            })),
            "valset": validators_json(&h.valset)?,
        }))).transpose()?,
    };
    QueryPoolResponse, r => {
        "pool": r.pool.as_ref().map(|p| json!({
            "not_bonded_tokens": p.not_bonded_tokens,
            "bonded_tokens": p.bonded_tokens,
        })),
    };
}

#[cfg(test)]
mod tests {
    use super::super::query::{routes, test_chain};
    use super::*;
    use crate::store::MemStore;

    const DELEGATION: &str = "validators/:validator_addr/delegations/:delegator_addr";
    const REDELEGATIONS: &str = "delegators/:delegator_addr/redelegations";

    /// A REST call as the server makes it: the request from the path and query parameters,
    /// the query answered as over ABCI and gRPC, the answer in grpc-gateway's JSON.
    fn get(store: &MemStore, path: &str, params: &[(&str, &str)]) -> AppResult<Value> {
        let pattern = format!("/cosmos/staking/v1beta1/{path}");
        let routes = routes();
        let found = |r: &&QueryRoute| r.rest.as_ref().unwrap().pattern == pattern;
        let route = routes.iter().find(found).unwrap();
        let rest = route.rest.clone().unwrap();
        let m = params.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let answer = (route.handler)(&mut ReadOnly(store), &(rest.request)(&m.collect())?)?;
        (rest.json)(&answer)
    }

    fn name(v: &Value) -> String {
        v["description"]["moniker"].as_str().unwrap().into()
    }

    #[test]
    fn validators_filter_by_status_and_page_by_key() {
        let (store, _) = test_chain();
        let q = |params: &[(&str, &str)]| get(&store, "validators", params);
        let names = |params: &[(&str, &str)]| {
            let mut names: Vec<_> = q(params).unwrap()["validators"]
                .as_array()
                .map(|l| l.iter().map(name).collect())
                .unwrap();
            names.sort();
            names
        };
        let bonded = ("status", "BOND_STATUS_BONDED");
        let total = ("pagination.count_total", "true");
        assert_eq!(names(&[]), ["v0", "v1", "v2"]);
        assert_eq!(names(&[bonded]), ["v0", "v1"]);
        assert_eq!(names(&[("status", "BOND_STATUS_UNBONDED")]), ["v2"]);
        let e = q(&[("status", "bonded")]).unwrap_err();
        assert!(e.code == 18 && e.log.contains("invalid validator status"));
        let first = q(&[("pagination.limit", "2"), total]).unwrap();
        assert_eq!(first["pagination"]["total"], "3");
        let key = first["pagination"]["next_key"].as_str().unwrap();
        let rest = q(&[("pagination.key", key)]).unwrap();
        assert_eq!(rest["validators"].as_array().unwrap().len(), 1);
        assert!(rest["pagination"]["next_key"].is_null());
        // A filtered page's total counts the validators that match.
        let one = q(&[bonded, ("pagination.limit", "1"), total]).unwrap();
        assert_eq!(one["validators"].as_array().unwrap().len(), 1);
        assert_eq!(one["pagination"]["total"], "2");
    }

    #[test]
    fn delegations_unbondings_and_redelegations_answer_as_the_sdk() {
        let (store, [a, b, c, d]) = test_chain();
        let q = |path: &str, params: &[(&str, &str)]| get(&store, path, params).unwrap();
        let [a, b, c] = &[a, b, c].map(|v| v.to_valoper());
        let d = &d.to_bech32();
        let pair = [("validator_addr", a.as_str()), ("delegator_addr", d)];
        let want = json!({"delegation_response": {
            "delegation": {"delegator_address": d, "validator_address": a,
                "shares": "500000.000000000000000000"},
            "balance": {"denom": "uglia", "amount": "500000"}}});
        assert_eq!(q(DELEGATION, &pair), want);
        let all = q("delegations/:delegator_addr", &[pair[1]]);
        let all = all["delegation_responses"].as_array().unwrap().iter();
        let mut amounts: Vec<_> = all.map(|r| r["balance"]["amount"].to_string()).collect();
        amounts.sort();
        assert_eq!(amounts, [r#""200000""#, r#""500000""#, r#""500000""#]);
        let ubd = q(&format!("{DELEGATION}/unbonding_delegation"), &pair);
        let want = json!([{"creation_height": "1",
            "completion_time": "2023-12-05T22:13:20Z", "initial_balance": "300000",
            "balance": "300000", "unbonding_id": "1", "unbonding_on_hold_ref_count": "0"}]);
        assert_eq!(ubd["unbond"]["entries"], want);
        let src = ("src_validator_addr", a.as_str());
        let reds = q(REDELEGATIONS, &[pair[1], src, ("dst_validator_addr", b)]);
        let r = &reds["redelegation_responses"][0];
        let want = json!([{"balance": "200000", "redelegation_entry": {
            "creation_height": "1", "completion_time": "2023-12-05T22:13:20Z",
            "initial_balance": "200000", "shares_dst": "200000.000000000000000000",
            "unbonding_id": "2", "unbonding_on_hold_ref_count": "0"}}]);
        assert_eq!(r["entries"], want);
        // As the SDK: the pair without its entries, and no page for one named redelegation.
        assert_eq!(r["redelegation"]["entries"], json!([]));
        assert!(reds["pagination"].is_null());
        let by_src = q(REDELEGATIONS, &[("delegator_addr", ""), src]);
        assert_eq!(by_src["redelegation_responses"][0], *r);
        let to_c = q(REDELEGATIONS, &[pair[1], ("dst_validator_addr", c)]);
        assert_eq!(to_c["redelegation_responses"], json!([]));
        let want = json!({"pool": {"bonded_tokens": "5700000", "not_bonded_tokens": "1800000"}});
        assert_eq!(q("pool", &[]), want);
    }

    /// A validator's record in grpc-gateway's JSON, and the SDK's errors for what is missing.
    #[test]
    fn validator_json_and_errors_are_the_sdks() {
        let (store, [a, b, _, d]) = test_chain();
        let q = |path: &str, params: &[(&str, &str)]| get(&store, path, params);
        let (a, d) = (&a.to_valoper(), &d.to_bech32());
        let v = q("validators/:validator_addr", &[("validator_addr", a)]).unwrap();
        let want = json!({
            "operator_address": a,
            "consensus_pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey",
                "key": B64.encode([1u8; 32])},
            "jailed": false, "status": "BOND_STATUS_BONDED", "tokens": "3500000",
            "delegator_shares": "3500000.000000000000000000",
            "description": {"moniker": "v0", "identity": "", "website": "",
                "security_contact": "", "details": ""},
            "unbonding_height": "0", "unbonding_time": "1970-01-01T00:00:00Z",
            "commission": {"commission_rates": {"rate": "0.100000000000000000",
                "max_rate": "0.200000000000000000", "max_change_rate": "0.010000000000000000"},
                "update_time": "2023-11-14T22:13:20Z"},
            "min_self_delegation": "1", "unbonding_on_hold_ref_count": "0", "unbonding_ids": []});
        assert_eq!(v["validator"], want);
        let mine = q(
            "delegators/:delegator_addr/validators",
            &[("delegator_addr", d)],
        );
        assert_eq!(mine.unwrap()["validators"].as_array().unwrap().len(), 3);
        let s = &b.to_bech32();
        let pair = [("validator_addr", a.as_str()), ("delegator_addr", s)];
        // NotFound as the SDK's ABCI query logs it: cosmjs's getDelegation reads "key not found".
        let e = q(DELEGATION, &pair).unwrap_err();
        assert_eq!((e.codespace, e.code), ("sdk", 38));
        assert!(e.log.ends_with(": key not found"), "{}", e.log);
        let path = "delegators/:delegator_addr/validators/:validator_addr";
        let e = q(path, &pair);
        assert_eq!(e.unwrap_err().code, 19);
        let e = q("validators/:validator_addr", &[("validator_addr", d)]);
        assert_eq!(e.unwrap_err().code, 7);
        let e = q("historical_info/:height", &[("height", "5")]).unwrap_err();
        assert_eq!((e.code, e.log.contains("height 5 not found")), (38, true));
    }
}
