//! `cosmos.bank.v1beta1.Query`.

use super::state;
use crate::address::Address;
use crate::coins::{validate_denom, Coin};
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use crate::pagination::{paginate, paginate_prefix};
use glia_proto::cosmos::cosmos::bank::v1beta1::{
    DenomOwner, Params, QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest,
    QueryBalanceResponse, QueryDenomOwnersRequest, QueryDenomOwnersResponse, QueryParamsRequest,
    QueryParamsResponse, QuerySpendableBalancesRequest, QuerySpendableBalancesResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use glia_proto::cosmos::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

fn addr(s: &str) -> AppResult<Address> {
    Address::parse(s).map_err(|e| AppError::invalid_address(format!("invalid address {s:?}: {e}")))
}

fn denom(d: &str) -> AppResult<()> {
    validate_denom(d).map_err(AppError::invalid_coins)
}

/// One page of the `<prefix><denom> → amount` entries as coins, the denom as page key.
fn coins_page(
    kv: &mut impl Kv,
    prefix: &str,
    req: &Option<PageRequest>,
) -> AppResult<(Vec<Coin>, PageResponse)> {
    paginate_prefix(kv, prefix, prefix.len(), req.as_ref(), |kv, k| {
        let Some(v) = kv.kv_get(k)? else {
            return Ok(None);
        };
        Ok(Some(Coin {
            denom: k[prefix.len()..].to_string(),
            amount: state::amount(&v)?,
        }))
    })
}

/// Always answers with a coin, `0` when the account holds none (cosmjs relies on it).
pub fn balance(kv: &mut impl Kv, req: QueryBalanceRequest) -> AppResult<QueryBalanceResponse> {
    let a = addr(&req.address)?;
    denom(&req.denom)?;
    let amount = state::balance(kv, &a, &req.denom)?;
    Ok(QueryBalanceResponse {
        balance: Some(
            Coin {
                denom: req.denom,
                amount,
            }
            .to_proto(),
        ),
    })
}

pub fn all_balances(
    kv: &mut impl Kv,
    req: QueryAllBalancesRequest,
) -> AppResult<QueryAllBalancesResponse> {
    let a = addr(&req.address)?;
    let (page, pagination) = coins_page(kv, &state::state_key::balances_of(&a), &req.pagination)?;
    Ok(QueryAllBalancesResponse {
        balances: page.iter().map(Coin::to_proto).collect(),
        pagination: Some(pagination),
    })
}

/// Nothing is locked or vesting yet, so every balance is spendable.
pub fn spendable_balances(
    kv: &mut impl Kv,
    req: QuerySpendableBalancesRequest,
) -> AppResult<QuerySpendableBalancesResponse> {
    let a = addr(&req.address)?;
    let (page, pagination) = coins_page(kv, &state::state_key::balances_of(&a), &req.pagination)?;
    Ok(QuerySpendableBalancesResponse {
        balances: page.iter().map(Coin::to_proto).collect(),
        pagination: Some(pagination),
    })
}

pub fn total_supply(
    kv: &mut impl Kv,
    req: QueryTotalSupplyRequest,
) -> AppResult<QueryTotalSupplyResponse> {
    let (page, pagination) = coins_page(kv, state::state_key::SUPPLY_PREFIX, &req.pagination)?;
    Ok(QueryTotalSupplyResponse {
        supply: page.iter().map(Coin::to_proto).collect(),
        pagination: Some(pagination),
    })
}

pub fn supply_of(kv: &mut impl Kv, req: QuerySupplyOfRequest) -> AppResult<QuerySupplyOfResponse> {
    denom(&req.denom)?;
    let amount = state::supply(kv, &req.denom)?;
    Ok(QuerySupplyOfResponse {
        amount: Some(
            Coin {
                denom: req.denom,
                amount,
            }
            .to_proto(),
        ),
    })
}

pub fn denom_owners(
    kv: &mut impl Kv,
    req: QueryDenomOwnersRequest,
) -> AppResult<QueryDenomOwnersResponse> {
    denom(&req.denom)?;
    let owners = state::owners_of(kv, &req.denom)?
        .into_iter()
        .map(|(a, amount)| {
            let owner = DenomOwner {
                address: a.clone(),
                balance: Some(
                    Coin {
                        denom: req.denom.clone(),
                        amount,
                    }
                    .to_proto(),
                ),
            };
            (a.into_bytes(), owner)
        })
        .collect();
    let (page, pagination) = paginate(owners, req.pagination.as_ref())?;
    Ok(QueryDenomOwnersResponse {
        denom_owners: page,
        pagination: Some(pagination),
    })
}

#[allow(deprecated)]
pub fn params(_kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(Params {
            send_enabled: vec![],
            default_send_enabled: true,
        }),
    })
}
