//! `cosmos.staking.v1beta1.Query`: every method, over ABCI, gRPC and REST (grpc-gateway's
//! paths; requests from path and query parameters and the JSON are in `query_json`).
//!
//! Answers and errors follow x/staking's gRPC querier (v0.50): what it reports as gRPC
//! NotFound is SDK code 38 with the log its ABCI query gives, ending in "key not found"
//! (cosmjs's `getDelegation` reads that as "no delegation"); an empty required address is
//! InvalidArgument (SDK code 18). Listings page by store key: a page key is the record's key
//! after the listing's prefix.

use super::query_json as j;
use super::state::{self, key_of, state_key, status, Record, BONDED_POOL, NOT_BONDED_POOL};
use super::validators as records;
use super::{delegation as bonds, errors};
use crate::address::Address;
use crate::coins::{Coin, BASE_DENOM};
use crate::component::QueryRoute;
use crate::context::Kv;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult, SDK};
use crate::pagination::paginate_prefix;
use crate::value;
use glia_proto::cosmos::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use glia_proto::cosmos::cosmos::staking::v1beta1::*;

/// Every staking query, over ABCI, gRPC and REST: method, handler, REST path.
pub fn routes() -> Vec<QueryRoute> {
    macro_rules! routes {
        ($($method:ident, $handler:ident, $rest:literal;)*) => {
            vec![$(j::route(
                concat!("/cosmos.staking.v1beta1.Query/", stringify!($method)),
                concat!("/cosmos/staking/v1beta1/", $rest),
                |kv, r| $handler(kv, r),
            )),*]
        };
    }
    routes! {
        Params, params, "params";
        Validators, validators, "validators";
        Validator, validator, "validators/:validator_addr";
        ValidatorDelegations, validator_delegations, "validators/:validator_addr/delegations";
        ValidatorUnbondingDelegations, validator_unbonding_delegations,
            "validators/:validator_addr/unbonding_delegations";
        Delegation, delegation, "validators/:validator_addr/delegations/:delegator_addr";
        UnbondingDelegation, unbonding_delegation,
            "validators/:validator_addr/delegations/:delegator_addr/unbonding_delegation";
        DelegatorDelegations, delegator_delegations, "delegations/:delegator_addr";
        DelegatorUnbondingDelegations, delegator_unbonding_delegations,
            "delegators/:delegator_addr/unbonding_delegations";
        Redelegations, redelegations, "delegators/:delegator_addr/redelegations";
        DelegatorValidators, delegator_validators, "delegators/:delegator_addr/validators";
        DelegatorValidator, delegator_validator,
            "delegators/:delegator_addr/validators/:validator_addr";
        HistoricalInfo, historical_info, "historical_info/:height";
        Pool, pool, "pool";
    }
}

/// The SDK's answer for what its querier reports as gRPC NotFound, as its ABCI query logs it.
pub(crate) fn not_found(msg: impl std::fmt::Display) -> AppError {
    AppError {
        codespace: SDK,
        code: 38,
        log: format!("rpc error: code = NotFound desc = {msg}: key not found"),
    }
}

/// The SDK's answer for what its querier reports as gRPC InvalidArgument.
fn bad_argument(msg: impl std::fmt::Display) -> AppError {
    AppError::invalid_request(format!("rpc error: code = InvalidArgument desc = {msg}"))
}

/// A `glia1…` delegator address of a request.
pub(crate) fn delegator(s: &str) -> AppResult<Address> {
    if s.is_empty() {
        return Err(bad_argument("delegator address cannot be empty"));
    }
    Address::parse(s)
        .map_err(|e| AppError::invalid_address(format!("invalid delegator address {s:?}: {e}")))
}

/// A `gliavaloper1…` validator address of a request.
pub(crate) fn operator(s: &str) -> AppResult<Address> {
    if s.is_empty() {
        return Err(bad_argument("validator address cannot be empty"));
    }
    Address::parse_valoper(s)
        .map_err(|e| AppError::invalid_address(format!("invalid validator address {s:?}: {e}")))
}

/// A stored record's validator address.
fn stored_operator(s: &str) -> AppResult<Address> {
    Address::parse_valoper(s)
        .map_err(|e| AppError::internal(format!("stored validator address {s:?}: {e}")))
}

/// The statuses a `status` filter names: the SDK accepts "" (all) and the three enum names.
fn status_filter(s: &str) -> AppResult<Option<i32>> {
    Ok(match s {
        "" => None,
        "BOND_STATUS_BONDED" => Some(status::BONDED),
        "BOND_STATUS_UNBONDING" => Some(status::UNBONDING),
        "BOND_STATUS_UNBONDED" => Some(status::UNBONDED),
        _ => return Err(bad_argument(format!("invalid validator status {s}"))),
    })
}

/// One page of the records under `prefix` (page keys are keys without it).
fn page<K: Kv, T>(
    kv: &mut K,
    prefix: &str,
    req: &Option<PageRequest>,
    load: impl FnMut(&mut K, &str) -> AppResult<Option<T>>,
) -> AppResult<(Vec<T>, Option<PageResponse>)> {
    let (items, res) = paginate_prefix(kv, prefix, prefix.len(), req.as_ref(), load)?;
    Ok((items, Some(res)))
}

/// A page of what `load` keeps: a total counts only those, as the SDK's filtered pages do.
fn filtered_page<K: Kv, T>(
    kv: &mut K,
    prefix: &str,
    req: &Option<PageRequest>,
    mut load: impl FnMut(&mut K, &str) -> AppResult<Option<T>>,
) -> AppResult<(Vec<T>, Option<PageResponse>)> {
    let (items, mut res) = page(kv, prefix, req, &mut load)?;
    if let Some(res) = res
        .as_mut()
        .filter(|_| req.as_ref().is_some_and(|r| r.count_total))
    {
        let mut n = 0u64;
        for k in kv.kv_scan_keys(prefix)? {
            if load(kv, &k)?.is_some() {
                n = n.saturating_add(1);
            }
        }
        res.total = n;
    }
    Ok((items, res))
}

/// A key's part after `prefix`, split at '/' (account key parts are hex: no '/' in them).
fn parts<'a>(key: &'a str, prefix: &str) -> AppResult<Vec<&'a str>> {
    key.get(prefix.len()..)
        .map(|rest| rest.split('/').collect())
        .ok_or_else(|| AppError::internal(format!("corrupt staking key {key}")))
}

/// A delegation with what its shares are worth now, as the SDK answers it.
fn delegation_response(kv: &mut impl Kv, d: Delegation) -> AppResult<DelegationResponse> {
    let r = records::must_get(kv, &stored_operator(&d.validator_address)?)?;
    let amount = bonds::tokens_of(
        Dec::from_proto(&d.shares)?,
        records::tokens(&r)?,
        records::shares(&r)?,
    )?;
    Ok(DelegationResponse {
        delegation: Some(d),
        balance: Some(Coin::new(BASE_DENOM, amount).to_proto()),
    })
}

fn delegation_responses(
    kv: &mut impl Kv,
    ds: Vec<Delegation>,
) -> AppResult<Vec<DelegationResponse>> {
    ds.into_iter().map(|d| delegation_response(kv, d)).collect()
}

/// A redelegation as the SDK answers it: the pair without entries, and each entry with what
/// its destination shares are worth now.
fn redelegation_response(kv: &mut impl Kv, r: Redelegation) -> AppResult<RedelegationResponse> {
    let v = records::must_get(kv, &stored_operator(&r.validator_dst_address)?)?;
    let (tokens, shares) = (records::tokens(&v)?, records::shares(&v)?);
    let Redelegation {
        delegator_address,
        validator_src_address,
        validator_dst_address,
        entries,
    } = r;
    let entries = entries
        .into_iter()
        .map(|e| {
            let worth = bonds::tokens_of(Dec::from_proto(&e.shares_dst)?, tokens, shares)?;
            Ok(RedelegationEntryResponse {
                redelegation_entry: Some(e),
                balance: worth.to_string(),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(RedelegationResponse {
        redelegation: Some(Redelegation {
            delegator_address,
            validator_src_address,
            validator_dst_address,
            entries: Vec::new(),
        }),
        entries,
    })
}

pub fn params(kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(state::params(kv)?),
    })
}

pub fn validators<K: Kv>(
    kv: &mut K,
    req: QueryValidatorsRequest,
) -> AppResult<QueryValidatorsResponse> {
    let want = status_filter(&req.status)?;
    let (validators, pagination) =
        filtered_page(kv, state_key::RECORDS_PREFIX, &req.pagination, |kv, k| {
            let r: Option<Record> = value::get(kv, k, "validator record")?;
            Ok(r.filter(|r| want.is_none_or(|s| r.status == s)))
        })?;
    Ok(QueryValidatorsResponse {
        validators,
        pagination,
    })
}

pub fn validator(
    kv: &mut impl Kv,
    req: QueryValidatorRequest,
) -> AppResult<QueryValidatorResponse> {
    let op = operator(&req.validator_addr)?;
    let v = state::record(kv, &op)?
        .ok_or_else(|| not_found(format!("validator {} not found", req.validator_addr)))?;
    Ok(QueryValidatorResponse { validator: Some(v) })
}

pub fn validator_delegations<K: Kv>(
    kv: &mut K,
    req: QueryValidatorDelegationsRequest,
) -> AppResult<QueryValidatorDelegationsResponse> {
    let ok = key_of(&operator(&req.validator_addr)?);
    let prefix = state_key::delegators_of(&ok);
    let (ds, pagination) = page(kv, &prefix, &req.pagination, |kv, k| {
        let dk = parts(k, &prefix)?.concat();
        value::get(kv, &state_key::delegation(&dk, &ok), "delegation")
    })?;
    Ok(QueryValidatorDelegationsResponse {
        delegation_responses: delegation_responses(kv, ds)?,
        pagination,
    })
}

pub fn validator_unbonding_delegations<K: Kv>(
    kv: &mut K,
    req: QueryValidatorUnbondingDelegationsRequest,
) -> AppResult<QueryValidatorUnbondingDelegationsResponse> {
    let ok = key_of(&operator(&req.validator_addr)?);
    let prefix = state_key::ubds_by_val(&ok);
    let (unbonding_responses, pagination) = page(kv, &prefix, &req.pagination, |kv, k| {
        let dk = parts(k, &prefix)?.concat();
        value::get(kv, &state_key::ubd(&dk, &ok), "unbonding delegation")
    })?;
    Ok(QueryValidatorUnbondingDelegationsResponse {
        unbonding_responses,
        pagination,
    })
}

pub fn delegation(
    kv: &mut impl Kv,
    req: QueryDelegationRequest,
) -> AppResult<QueryDelegationResponse> {
    let del = delegator(&req.delegator_addr)?;
    let op = operator(&req.validator_addr)?;
    let d = state::delegation(kv, &del, &op)?.ok_or_else(|| {
        not_found(format!(
            "delegation with delegator {} not found for validator {}",
            req.delegator_addr, req.validator_addr
        ))
    })?;
    Ok(QueryDelegationResponse {
        delegation_response: Some(delegation_response(kv, d)?),
    })
}

pub fn unbonding_delegation(
    kv: &mut impl Kv,
    req: QueryUnbondingDelegationRequest,
) -> AppResult<QueryUnbondingDelegationResponse> {
    let del = delegator(&req.delegator_addr)?;
    let op = operator(&req.validator_addr)?;
    let unbond = state::ubd(kv, &del, &op)?.ok_or_else(|| {
        not_found(format!(
            "unbonding delegation with delegator {} not found for validator {}",
            req.delegator_addr, req.validator_addr
        ))
    })?;
    Ok(QueryUnbondingDelegationResponse {
        unbond: Some(unbond),
    })
}

pub fn delegator_delegations<K: Kv>(
    kv: &mut K,
    req: QueryDelegatorDelegationsRequest,
) -> AppResult<QueryDelegatorDelegationsResponse> {
    let prefix = state_key::delegations_of(&key_of(&delegator(&req.delegator_addr)?));
    let (ds, pagination) = page(kv, &prefix, &req.pagination, |kv, k| {
        value::get(kv, k, "delegation")
    })?;
    Ok(QueryDelegatorDelegationsResponse {
        delegation_responses: delegation_responses(kv, ds)?,
        pagination,
    })
}

pub fn delegator_unbonding_delegations<K: Kv>(
    kv: &mut K,
    req: QueryDelegatorUnbondingDelegationsRequest,
) -> AppResult<QueryDelegatorUnbondingDelegationsResponse> {
    let prefix = state_key::ubds_of(&key_of(&delegator(&req.delegator_addr)?));
    let (unbonding_responses, pagination) = page(kv, &prefix, &req.pagination, |kv, k| {
        value::get(kv, k, "unbonding delegation")
    })?;
    Ok(QueryDelegatorUnbondingDelegationsResponse {
        unbonding_responses,
        pagination,
    })
}

/// By delegator, or by source validator alone; a delegator with both validators names one
/// redelegation (no page). With a delegator, a lone source or destination narrows the list
/// (the SDK ignores it and lists all of the delegator's).
pub fn redelegations<K: Kv>(
    kv: &mut K,
    req: QueryRedelegationsRequest,
) -> AppResult<QueryRedelegationsResponse> {
    let given = |s: &str| (!s.is_empty()).then(|| operator(s)).transpose();
    let src = given(&req.src_validator_addr)?;
    let dst = given(&req.dst_validator_addr)?;
    let paging = &req.pagination;
    let load = |kv: &mut K, k: &str| value::get::<Redelegation>(kv, k, "redelegation");
    let (reds, pagination) = match (req.delegator_addr.as_str(), src, dst) {
        ("", Some(src), None) => {
            let sk = key_of(&src);
            let prefix = state_key::reds_by_src(&sk);
            page(kv, &prefix, paging, |kv, k| {
                let p = parts(k, &prefix)?;
                let [dk, tk] = p[..] else {
                    return Err(AppError::internal(format!("corrupt staking key {k}")));
                };
                load(kv, &state_key::red(dk, &sk, tk))
            })?
        }
        ("", _, _) => {
            return Err(AppError::invalid_address(
                "delegator_addr is required unless src_validator_addr alone is given",
            ))
        }
        (d, Some(src), Some(dst)) => {
            let r = state::red(kv, &delegator(d)?, &src, &dst)?.ok_or_else(|| {
                not_found(format!(
                    "redelegation not found for delegator address {d} from validator address {}",
                    req.src_validator_addr
                ))
            })?;
            (vec![r], None)
        }
        (d, src, dst) => {
            let mut prefix = state_key::reds_of(&key_of(&delegator(d)?));
            if let Some(src) = &src {
                prefix = format!("{prefix}{}/", key_of(src));
            }
            let tail = dst.as_ref().map(|t| format!("/{}", key_of(t)));
            filtered_page(kv, &prefix, paging, |kv, k| match &tail {
                Some(t) if !k.ends_with(t.as_str()) => Ok(None),
                _ => load(kv, k),
            })?
        }
    };
    Ok(QueryRedelegationsResponse {
        redelegation_responses: reds
            .into_iter()
            .map(|r| redelegation_response(kv, r))
            .collect::<AppResult<_>>()?,
        pagination,
    })
}

/// The validators a delegator is delegated to, in the order of its delegations.
pub fn delegator_validators<K: Kv>(
    kv: &mut K,
    req: QueryDelegatorValidatorsRequest,
) -> AppResult<QueryDelegatorValidatorsResponse> {
    let prefix = state_key::delegations_of(&key_of(&delegator(&req.delegator_addr)?));
    let (validators, pagination) = page(kv, &prefix, &req.pagination, |kv, k| {
        let Some(d) = value::get::<Delegation>(kv, k, "delegation")? else {
            return Ok(None);
        };
        records::must_get(kv, &stored_operator(&d.validator_address)?).map(Some)
    })?;
    Ok(QueryDelegatorValidatorsResponse {
        validators,
        pagination,
    })
}

pub fn delegator_validator(
    kv: &mut impl Kv,
    req: QueryDelegatorValidatorRequest,
) -> AppResult<QueryDelegatorValidatorResponse> {
    let del = delegator(&req.delegator_addr)?;
    let op = operator(&req.validator_addr)?;
    if state::delegation(kv, &del, &op)?.is_none() {
        return Err(errors::no_delegation(format!(
            "{} has no delegation to {}",
            req.delegator_addr, req.validator_addr
        )));
    }
    Ok(QueryDelegatorValidatorResponse {
        validator: Some(records::must_get(kv, &op)?),
    })
}

/// Historical info is not kept yet: every height answers as a pruned one does in the SDK.
pub fn historical_info(
    kv: &mut impl Kv,
    req: QueryHistoricalInfoRequest,
) -> AppResult<QueryHistoricalInfoResponse> {
    let height =
        u64::try_from(req.height).map_err(|_| bad_argument("height cannot be negative"))?;
    let hist = super::historical::get(kv, height)?.ok_or_else(|| {
        not_found(format!(
            "historical info for height {} not found",
            req.height
        ))
    })?;
    Ok(QueryHistoricalInfoResponse { hist: Some(hist) })
}

/// The tokens in the bonded and the not-bonded pools.
pub fn pool(kv: &mut impl Kv, _req: QueryPoolRequest) -> AppResult<QueryPoolResponse> {
    let mut held = |pool: &str| crate::bank::state::balance(kv, &Address::module(pool), BASE_DENOM);
    Ok(QueryPoolResponse {
        pool: Some(Pool {
            not_bonded_tokens: held(NOT_BONDED_POOL)?.to_string(),
            bonded_tokens: held(BONDED_POOL)?.to_string(),
        }),
    })
}

/// Staking state for the tests of the queries and of their JSON: validators v0 (3M), v1 (2M),
/// v2 (1M) with room for two in the set; a delegator that delegates 1M to v0 and 0.5M to v2,
/// undelegates 0.3M from v0 and moves 0.2M from v0 to v1. Returns v0, v1, v2, delegator.
#[cfg(test)]
pub(super) fn test_chain() -> (crate::store::MemStore, [Address; 4]) {
    use crate::{auth, bank, context::BlockInfo, context::Ctx, gas::GasMeter};
    let mut store = crate::store::MemStore::default();
    let who = ["a", "b", "c", "d"].map(|n| Address::module(&format!("query {n}")));
    let block = BlockInfo {
        height: 1,
        time_unix: 1_700_000_000,
        ..Default::default()
    };
    let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
    let mut p = state::default_params();
    p.max_validators = 2;
    state::set_params(&mut ctx, &p).unwrap();
    for pool in [BONDED_POOL, NOT_BONDED_POOL] {
        auth::ensure_account(&mut ctx, &Address::module(pool)).unwrap();
    }
    let tokens = [Coin::new(BASE_DENOM, 10_000_000)];
    for (i, op) in who[..3].iter().enumerate() {
        bank::mint(&mut ctx, op, &tokens).unwrap();
        let rate = |r: &str| Dec::parse(r).unwrap().to_proto();
        let v = records::NewValidator {
            operator: op.clone(),
            pubkey: vec![i as u8 + 1; 32],
            description: Description {
                moniker: format!("v{i}"),
                ..Default::default()
            },
            rates: CommissionRates {
                rate: rate("0.1"),
                max_rate: rate("0.2"),
                max_change_rate: rate("0.01"),
            },
            min_self_delegation: 1,
            self_bond: (3 - i as u128) * 1_000_000,
        };
        records::create(&mut ctx, v).unwrap();
    }
    super::set::apply_set(&mut ctx, 1).unwrap();
    let [a, b, c, d] = &who;
    bank::mint(&mut ctx, d, &tokens).unwrap();
    bonds::delegate(&mut ctx, d, a, 1_000_000).unwrap();
    bonds::delegate(&mut ctx, d, c, 500_000).unwrap();
    bonds::undelegate(&mut ctx, d, a, 300_000).unwrap();
    bonds::redelegate(&mut ctx, d, a, b, 200_000).unwrap();
    store.apply(ctx.into_parts().0);
    (store, who)
}
