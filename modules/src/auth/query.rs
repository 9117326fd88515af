//! `cosmos.auth.v1beta1.Query`.

use super::{state, BASE_ACCOUNT_TYPE_URL};
use crate::address::Address;
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use crate::pagination::paginate_prefix;
use glia_proto::cosmos::cosmos::auth::v1beta1::{
    QueryAccountRequest, QueryAccountResponse, QueryAccountsRequest, QueryAccountsResponse,
    QueryParamsRequest, QueryParamsResponse,
};
use glia_proto::cosmos::Any;
use prost::Message;

fn any(acc: &glia_proto::cosmos::cosmos::auth::v1beta1::BaseAccount) -> Any {
    Any {
        type_url: BASE_ACCOUNT_TYPE_URL.into(),
        value: acc.encode_to_vec(),
    }
}

/// An unknown account answers with a log cosmjs reads as "not found" (it returns null).
pub fn account(kv: &mut impl Kv, req: QueryAccountRequest) -> AppResult<QueryAccountResponse> {
    let addr = Address::parse(&req.address).map_err(AppError::invalid_address)?;
    match state::get_account(kv, &addr)? {
        Some(acc) => Ok(QueryAccountResponse {
            account: Some(any(&acc)),
        }),
        None => Err(AppError::not_found(format!(
            "rpc error: code = NotFound desc = account {} not found",
            req.address
        ))),
    }
}

pub fn accounts(kv: &mut impl Kv, req: QueryAccountsRequest) -> AppResult<QueryAccountsResponse> {
    let (page, pagination) = paginate_prefix(
        kv,
        state::state_key::ACCOUNTS_PREFIX,
        0,
        req.pagination.as_ref(),
        |kv, k| crate::value::get(kv, k, "account"),
    )?;
    Ok(QueryAccountsResponse {
        accounts: page.iter().map(any).collect(),
        pagination: Some(pagination),
    })
}

pub fn params(kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(state::params(kv)?),
    })
}
