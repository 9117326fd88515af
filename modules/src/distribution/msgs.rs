//! `cosmos.distribution.v1beta1.Msg`: withdraw address, reward and commission withdrawals,
//! funding the community pool; with their amino JSON forms (as cosmjs's
//! `createDistributionAminoConverters` writes them, which Keplr's claim screen signs).

use super::dec_coins::DecCoins;
use super::state::{self, state_key, MODULE_ACCOUNT};
use super::{errors, f1};
use crate::address::Address;
use crate::bank;
use crate::coins::{parse_coins, Coin};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::rest;
use crate::staking::state::key_of;
use crate::staking::validators;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    MsgFundCommunityPool, MsgFundCommunityPoolResponse, MsgSetWithdrawAddress,
    MsgSetWithdrawAddressResponse, MsgWithdrawDelegatorReward, MsgWithdrawDelegatorRewardResponse,
    MsgWithdrawValidatorCommission, MsgWithdrawValidatorCommissionResponse,
};
use glia_proto::cosmos::Any;
use glia_proto::distribution::v1::{MsgSetAutoWithdraw, MsgSetAutoWithdrawResponse};
use prost::{Message, Name};
use serde_json::{json, Value};

pub enum DistributionMsg {
    SetWithdrawAddress { del: Address, to: Address },
    WithdrawReward { del: Address, op: Address },
    WithdrawCommission { op: Address },
    FundCommunityPool { from: Address, amount: Vec<Coin> },
    SetAutoWithdraw { del: Address, enabled: bool },
}

pub fn type_urls() -> Vec<String> {
    vec![
        MsgSetWithdrawAddress::type_url(),
        MsgWithdrawDelegatorReward::type_url(),
        MsgWithdrawValidatorCommission::type_url(),
        MsgFundCommunityPool::type_url(),
        MsgSetAutoWithdraw::type_url(),
    ]
}

fn decode<M: Message + Default + Name>(any: &Any) -> AppResult<M> {
    M::decode(any.value.as_slice()).map_err(|e| AppError::tx_decode(format!("{}: {e}", M::NAME)))
}

fn account(s: &str, which: &str, empty: fn(String) -> AppError) -> AppResult<Address> {
    if s.is_empty() {
        return Err(empty(format!("{which} address is empty")));
    }
    Address::parse(s)
        .map_err(|e| AppError::invalid_address(format!("invalid {which} address: {e}")))
}

fn valoper(s: &str) -> AppResult<Address> {
    if s.is_empty() {
        return Err(errors::empty_validator_addr("validator address is empty"));
    }
    Address::parse_valoper(s)
        .map_err(|e| AppError::invalid_address(format!("invalid validator address: {e}")))
}

impl DistributionMsg {
    pub fn decode(any: &Any) -> Option<AppResult<DistributionMsg>> {
        let t = any.type_url.as_str();
        Some(if t == MsgSetWithdrawAddress::type_url() {
            decode::<MsgSetWithdrawAddress>(any).and_then(|m| {
                Ok(DistributionMsg::SetWithdrawAddress {
                    del: account(
                        &m.delegator_address,
                        "delegator",
                        errors::empty_delegator_addr,
                    )?,
                    to: account(&m.withdraw_address, "withdraw", errors::empty_withdraw_addr)?,
                })
            })
        } else if t == MsgWithdrawDelegatorReward::type_url() {
            decode::<MsgWithdrawDelegatorReward>(any).and_then(|m| {
                Ok(DistributionMsg::WithdrawReward {
                    del: account(
                        &m.delegator_address,
                        "delegator",
                        errors::empty_delegator_addr,
                    )?,
                    op: valoper(&m.validator_address)?,
                })
            })
        } else if t == MsgWithdrawValidatorCommission::type_url() {
            decode::<MsgWithdrawValidatorCommission>(any).and_then(|m| {
                Ok(DistributionMsg::WithdrawCommission {
                    op: valoper(&m.validator_address)?,
                })
            })
        } else if t == MsgFundCommunityPool::type_url() {
            decode::<MsgFundCommunityPool>(any).and_then(|m| {
                let amount = parse_coins(&m.amount, false)?;
                Ok(DistributionMsg::FundCommunityPool {
                    from: account(&m.depositor, "depositor", AppError::invalid_address)?,
                    amount,
                })
            })
        } else if t == MsgSetAutoWithdraw::type_url() {
            decode::<MsgSetAutoWithdraw>(any).and_then(|m| {
                Ok(DistributionMsg::SetAutoWithdraw {
                    del: account(
                        &m.delegator_address,
                        "delegator",
                        errors::empty_delegator_addr,
                    )?,
                    enabled: m.enabled,
                })
            })
        } else {
            return None;
        })
    }

    pub fn signers(&self) -> Vec<Address> {
        match self {
            DistributionMsg::SetWithdrawAddress { del, .. }
            | DistributionMsg::WithdrawReward { del, .. }
            | DistributionMsg::SetAutoWithdraw { del, .. } => vec![del.clone()],
            DistributionMsg::WithdrawCommission { op } => vec![op.clone()],
            DistributionMsg::FundCommunityPool { from, .. } => vec![from.clone()],
        }
    }
}

fn pack<M: Message + Name>(m: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

/// Runs a message; `blocked` are the module accounts, which may not receive rewards.
pub fn execute(ctx: &mut Ctx<'_>, msg: &DistributionMsg, blocked: &[Address]) -> AppResult<Any> {
    match msg {
        DistributionMsg::SetWithdrawAddress { del, to } => {
            if !state::params(ctx)?.withdraw_addr_enabled {
                return Err(errors::set_withdraw_addr_disabled(
                    "setting a withdraw address is disabled by the params",
                ));
            }
            if blocked.contains(to) {
                return Err(AppError::unauthorized(format!(
                    "{to} is a module account and is not allowed to receive funds"
                )));
            }
            state::set_withdraw_address(ctx, del, to)?;
            ctx.emit(
                "set_withdraw_address",
                &[
                    ("withdraw_address", to.to_bech32()),
                    ("delegator", del.to_bech32()),
                ],
            );
            Ok(pack(MsgSetWithdrawAddressResponse {}))
        }
        DistributionMsg::WithdrawReward { del, op } => {
            if crate::staking::state::record(ctx, op)?.is_none() {
                return Err(errors::no_validator_exists(format!(
                    "validator {} does not exist",
                    op.to_valoper()
                )));
            }
            if crate::staking::state::delegation(ctx, del, op)?.is_none() {
                return Err(errors::empty_delegation_dist_info(format!(
                    "{del} has no delegation to {}",
                    op.to_valoper()
                )));
            }
            let coins = f1::withdraw_rewards(ctx, op, del)?;
            f1::initialize_delegation(ctx, op, del)?;
            Ok(pack(MsgWithdrawDelegatorRewardResponse {
                amount: coins.iter().map(Coin::to_proto).collect(),
            }))
        }
        DistributionMsg::WithdrawCommission { op } => {
            validators::must_get(ctx, op).map_err(|_| {
                errors::no_validator_exists(format!("validator {} does not exist", op.to_valoper()))
            })?;
            let coins = f1::withdraw_commission(ctx, op)?;
            Ok(pack(MsgWithdrawValidatorCommissionResponse {
                amount: coins.iter().map(Coin::to_proto).collect(),
            }))
        }
        DistributionMsg::FundCommunityPool { from, amount } => {
            bank::transfer(ctx, from, &Address::module(MODULE_ACCOUNT), amount)?;
            state::add_to_community_pool(ctx, &DecCoins::from_coins(amount)?)?;
            Ok(pack(MsgFundCommunityPoolResponse {}))
        }
        DistributionMsg::SetAutoWithdraw { del, enabled } => {
            let key = state_key::auto_withdraw(&key_of(del));
            if *enabled {
                ctx.put(key, vec![])?;
            } else {
                ctx.delete(key)?;
            }
            ctx.emit(
                "set_auto_withdraw",
                &[
                    ("delegator", del.to_bech32()),
                    ("enabled", enabled.to_string()),
                ],
            );
            Ok(pack(MsgSetAutoWithdrawResponse {}))
        }
    }
}

/// A distribution message's amino JSON; `None` for a type that is not distribution's.
pub fn amino_json(any: &Any) -> Option<AppResult<Value>> {
    let t = any.type_url.as_str();
    let msg = |kind: &str, value: Value| json!({"type": kind, "value": value});
    Some(if t == MsgSetWithdrawAddress::type_url() {
        decode::<MsgSetWithdrawAddress>(any).map(|m| {
            msg(
                "cosmos-sdk/MsgModifyWithdrawAddress",
                json!({"delegator_address": m.delegator_address, "withdraw_address": m.withdraw_address}),
            )
        })
    } else if t == MsgWithdrawDelegatorReward::type_url() {
        decode::<MsgWithdrawDelegatorReward>(any).map(|m| {
            msg(
                "cosmos-sdk/MsgWithdrawDelegationReward",
                json!({"delegator_address": m.delegator_address, "validator_address": m.validator_address}),
            )
        })
    } else if t == MsgWithdrawValidatorCommission::type_url() {
        decode::<MsgWithdrawValidatorCommission>(any).map(|m| {
            msg(
                "cosmos-sdk/MsgWithdrawValidatorCommission",
                json!({"validator_address": m.validator_address}),
            )
        })
    } else if t == MsgSetAutoWithdraw::type_url() {
        rest::reflect::amino::<MsgSetAutoWithdraw>("glia/MsgSetAutoWithdraw", &any.value)
    } else if t == MsgFundCommunityPool::type_url() {
        decode::<MsgFundCommunityPool>(any).map(|m| {
            let amount: Vec<Value> = m.amount.iter().map(rest::coin_json).collect();
            msg(
                "cosmos-sdk/MsgFundCommunityPool",
                json!({"amount": amount, "depositor": m.depositor}),
            )
        })
    } else {
        return None;
    })
}
