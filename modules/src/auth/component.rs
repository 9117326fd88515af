//! The auth component: accounts, their numbers, sequences and keys.

use super::{lifecycle, query, state};
use crate::component::{
    genesis_json, genesis_section, Component, GenesisInfo, QueryRoute, RestRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppError;
use crate::error::AppResult;
use crate::rest;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use glia_proto::cosmos::cosmos::crypto::secp256k1::PubKey;
use prost::Message;
use serde_json::json;

pub const NAME: &str = "auth";

/// `cosmos.auth.v1beta1`: no messages of its own (the ante handler checks signatures and
/// sequences); genesis sets its params.
pub struct Auth;

impl Component for Auth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        lifecycle::init_genesis(ctx, &genesis_section(NAME, section)?)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        let p = state::params(kv)?;
        let g = lifecycle::Genesis {
            max_memo_characters: Some(p.max_memo_characters),
            tx_sig_limit: Some(p.tx_sig_limit),
        };
        genesis_json(NAME, &g).map(Some)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Account", |kv, r| {
                query::account(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/auth/v1beta1/accounts/:address",
                request: |m| {
                    Ok(QueryAccountRequest {
                        address: rest::param(m, "address")?.into(),
                    }
                    .encode_to_vec())
                },
                json: account_json,
            }),
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Accounts", |kv, r| {
                query::accounts(kv, r)
            }),
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Params", |kv, r| {
                query::params(kv, r)
            }),
        ]
    }
}

/// An account in grpc-gateway's JSON shape (numbers as strings, `@type` tags), as Keplr's
/// wallet screens read it.
fn account_json(bytes: &[u8]) -> crate::error::AppResult<serde_json::Value> {
    let r: QueryAccountResponse = rest::decode(bytes)?;
    let any = r
        .account
        .ok_or_else(|| AppError::internal("an account answer without an account"))?;
    let acc: BaseAccount = rest::decode(&any.value)?;
    let pub_key = acc
        .pub_key
        .as_ref()
        .and_then(|a| PubKey::decode(a.value.as_slice()).ok())
        .map(|pk| json!({"@type": super::SECP256K1_PUBKEY_TYPE_URL, "key": B64.encode(pk.key)}));
    Ok(json!({"account": {
        "@type": super::BASE_ACCOUNT_TYPE_URL,
        "address": acc.address,
        "pub_key": pub_key,
        "account_number": acc.account_number.to_string(),
        "sequence": acc.sequence.to_string(),
    }}))
}
