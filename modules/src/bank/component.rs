//! The bank component: balances, transfers and total supply.

use super::{handler, invariants, lifecycle, msgs::BankMsg, query, state, FEE_COLLECTOR};
use crate::address::Address;
use crate::component::{
    genesis_json, genesis_section, BuildInfo, Component, DecodedMsg, GenesisInfo, QueryRoute,
    RestRoute,
};
use crate::context::{Ctx, Kv, ReadOnly};
use crate::error::{AppError, AppResult};
use crate::rest;
use glia_proto::cosmos::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use glia_proto::cosmos::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QueryParamsRequest, QueryParamsResponse, QuerySpendableBalancesRequest,
    QuerySpendableBalancesResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
    QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use glia_proto::cosmos::Any;
use prost::Message;
use prost::Name;
use serde_json::json;

pub const NAME: &str = "bank";

/// `cosmos.bank.v1beta1`. Holds the fee collector; refuses user sends to any component's
/// module account (learnt at build time).
#[derive(Default)]
pub struct Bank {
    blocked: Vec<Address>,
}

impl Component for Bank {
    fn name(&self) -> &'static str {
        NAME
    }

    fn module_accounts(&self) -> Vec<&'static str> {
        vec![FEE_COLLECTOR]
    }

    fn on_build(&mut self, app: &BuildInfo) {
        self.blocked = app.module_accounts.clone();
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        // Module accounts exist from genesis, so no user tx pays to create them.
        crate::auth::ensure_account(ctx, &Address::module(FEE_COLLECTOR))?;
        lifecycle::init_genesis(ctx, &genesis_section(NAME, section)?)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        let mut balances: Vec<lifecycle::GenesisBalance> = Vec::new();
        for (k, v) in kv.kv_scan(state::state_key::BALANCES_PREFIX)? {
            let rest = &k[state::state_key::BALANCES_PREFIX.len()..];
            let (addr, denom) = rest
                .split_once('/')
                .ok_or_else(|| AppError::internal(format!("corrupt balance key {k}")))?;
            let coin = lifecycle::GenesisCoin {
                denom: denom.to_string(),
                amount: state::amount(&v)?.to_string(),
            };
            match balances.last_mut() {
                Some(b) if b.address == addr => b.coins.push(coin),
                _ => balances.push(lifecycle::GenesisBalance {
                    address: addr.to_string(),
                    coins: vec![coin],
                }),
            }
        }
        genesis_json(NAME, &lifecycle::Genesis { balances }).map(Some)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        vec![MsgSend::type_url(), MsgMultiSend::type_url()]
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        DecodedMsg::from_decoder(NAME, any, BankMsg::decode(any), BankMsg::signers)
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        handler::execute(ctx, msg.get::<BankMsg>()?, &self.blocked)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new("/cosmos.bank.v1beta1.Query/Balance", |kv, r| {
                query::balance(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/balances/:address/by_denom",
                request: |m| {
                    Ok(QueryBalanceRequest {
                        address: rest::param(m, "address")?.into(),
                        denom: rest::param(m, "denom")?.into(),
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QueryBalanceResponse = rest::decode(b)?;
                    Ok(json!({"balance": r.balance.as_ref().map(rest::coin_json)}))
                },
            }),
            QueryRoute::new("/cosmos.bank.v1beta1.Query/AllBalances", |kv, r| {
                query::all_balances(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/balances/:address",
                request: |m| {
                    Ok(QueryAllBalancesRequest {
                        address: rest::param(m, "address")?.into(),
                        pagination: rest::page_request(m)?,
                        resolve_denom: false,
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QueryAllBalancesResponse = rest::decode(b)?;
                    Ok(json!({
                        "balances": rest::coins_json(&r.balances),
                        "pagination": rest::page_json(&r.pagination),
                    }))
                },
            }),
            // Keplr probes this route with an invalid address: a 400 tells it the route exists.
            QueryRoute::new("/cosmos.bank.v1beta1.Query/SpendableBalances", |kv, r| {
                query::spendable_balances(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/spendable_balances/:address",
                request: |m| {
                    Ok(QuerySpendableBalancesRequest {
                        address: rest::param(m, "address")?.into(),
                        pagination: rest::page_request(m)?,
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QuerySpendableBalancesResponse = rest::decode(b)?;
                    Ok(json!({
                        "balances": rest::coins_json(&r.balances),
                        "pagination": rest::page_json(&r.pagination),
                    }))
                },
            }),
            QueryRoute::new("/cosmos.bank.v1beta1.Query/TotalSupply", |kv, r| {
                query::total_supply(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/supply",
                request: |m| {
                    Ok(QueryTotalSupplyRequest {
                        pagination: rest::page_request(m)?,
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QueryTotalSupplyResponse = rest::decode(b)?;
                    Ok(json!({
                        "supply": rest::coins_json(&r.supply),
                        "pagination": rest::page_json(&r.pagination),
                    }))
                },
            }),
            QueryRoute::new("/cosmos.bank.v1beta1.Query/SupplyOf", |kv, r| {
                query::supply_of(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/supply/by_denom",
                request: |m| {
                    Ok(QuerySupplyOfRequest {
                        denom: rest::param(m, "denom")?.into(),
                    }
                    .encode_to_vec())
                },
                json: |b| {
                    let r: QuerySupplyOfResponse = rest::decode(b)?;
                    Ok(json!({"amount": r.amount.as_ref().map(rest::coin_json)}))
                },
            }),
            QueryRoute::new("/cosmos.bank.v1beta1.Query/DenomOwners", |kv, r| {
                query::denom_owners(kv, r)
            }),
            QueryRoute::new("/cosmos.bank.v1beta1.Query/Params", |kv, r| {
                query::params(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/bank/v1beta1/params",
                request: |_| Ok(QueryParamsRequest {}.encode_to_vec()),
                json: |b| {
                    let r: QueryParamsResponse = rest::decode(b)?;
                    let p = r.params.unwrap_or_default();
                    // Deprecated in the SDK (moved to its own store), still in its JSON.
                    #[allow(deprecated)]
                    let send_enabled: Vec<_> = p
                        .send_enabled
                        .iter()
                        .map(|s| json!({"denom": s.denom, "enabled": s.enabled}))
                        .collect();
                    Ok(json!({"params": {
                        "send_enabled": send_enabled,
                        "default_send_enabled": p.default_send_enabled,
                    }}))
                },
            }),
        ]
    }

    /// As cosmjs's `AminoTypes` and the SDK's legacy amino codec write them.
    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        let coins = |cs: &[glia_proto::cosmos::cosmos::base::v1beta1::Coin]| rest::coins_json(cs);
        if any.type_url == MsgSend::type_url() {
            return Some(rest::decode::<MsgSend>(&any.value).map(|m| {
                json!({"type": "cosmos-sdk/MsgSend", "value": {
                    "from_address": m.from_address,
                    "to_address": m.to_address,
                    "amount": coins(&m.amount),
                }})
            }));
        }
        if any.type_url == MsgMultiSend::type_url() {
            return Some(rest::decode::<MsgMultiSend>(&any.value).map(|m| {
                let io = |a: &str, c: &[_]| json!({"address": a, "coins": coins(c)});
                json!({"type": "cosmos-sdk/MsgMultiSend", "value": {
                    "inputs": m.inputs.iter().map(|i| io(&i.address, &i.coins)).collect::<Vec<_>>(),
                    "outputs": m.outputs.iter().map(|o| io(&o.address, &o.coins)).collect::<Vec<_>>(),
                }})
            }));
        }
        None
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        invariants::check(ctx)
    }
}
