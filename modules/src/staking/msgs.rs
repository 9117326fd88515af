//! `cosmos.staking.v1beta1.Msg`: decoding with the SDK's stateless checks, and execution.

use super::validators::{self, Edit, NewValidator};
use super::{delegation, errors, state};
use crate::address::Address;
use crate::coins::{parse_amount, BASE_DENOM};
use crate::context::Ctx;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgBeginRedelegateResponse, MsgCancelUnbondingDelegation,
    MsgCancelUnbondingDelegationResponse, MsgCreateValidator, MsgCreateValidatorResponse,
    MsgDelegate, MsgDelegateResponse, MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate,
    MsgUndelegateResponse,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};

/// A staking message, checked statelessly.
pub enum StakingMsg {
    Create(NewValidator),
    Edit(Edit),
    Delegate {
        del: Address,
        op: Address,
        amount: u128,
    },
    Undelegate {
        del: Address,
        op: Address,
        amount: u128,
    },
    Redelegate {
        del: Address,
        src: Address,
        dst: Address,
        amount: u128,
    },
    Cancel {
        del: Address,
        op: Address,
        amount: u128,
        height: i64,
    },
}

pub fn type_urls() -> Vec<String> {
    vec![
        MsgCreateValidator::type_url(),
        MsgEditValidator::type_url(),
        MsgDelegate::type_url(),
        MsgUndelegate::type_url(),
        MsgBeginRedelegate::type_url(),
        MsgCancelUnbondingDelegation::type_url(),
    ]
}

fn account(s: &str, which: &str) -> AppResult<Address> {
    if s.is_empty() {
        return Err(AppError::invalid_address(format!("empty {which} address")));
    }
    Address::parse(s)
        .map_err(|e| AppError::invalid_address(format!("invalid {which} address: {e}")))
}

fn valoper(s: &str, which: &str) -> AppResult<Address> {
    if s.is_empty() {
        return Err(errors::empty_validator_addr(format!(
            "empty {which} address"
        )));
    }
    Address::parse_valoper(s)
        .map_err(|e| AppError::invalid_address(format!("invalid {which} address: {e}")))
}

/// A positive amount of the bond denom (`what` names it in errors, as the SDK's "invalid
/// delegation amount").
fn bond_amount(c: Option<&ProtoCoin>, what: &str) -> AppResult<u128> {
    let c = c.ok_or_else(|| AppError::invalid_request(format!("invalid {what}: no amount")))?;
    if c.denom != BASE_DENOM {
        return Err(AppError::invalid_request(format!(
            "invalid coin denomination: got {}, expected {BASE_DENOM}",
            c.denom
        )));
    }
    let a = parse_amount(&c.amount)
        .map_err(|e| AppError::invalid_request(format!("invalid {what}: {e}")))?;
    if a == 0 {
        return Err(AppError::invalid_request(format!(
            "invalid {what}: the amount must be positive"
        )));
    }
    Ok(a)
}

fn decode<M: Message + Default + Name>(any: &Any) -> AppResult<M> {
    M::decode(any.value.as_slice()).map_err(|e| AppError::tx_decode(format!("{}: {e}", M::NAME)))
}

impl StakingMsg {
    /// Decodes and checks an `Any` if it is a staking message; `None` if not staking's.
    pub fn decode(any: &Any) -> Option<AppResult<StakingMsg>> {
        let t = any.type_url.as_str();
        Some(if t == MsgCreateValidator::type_url() {
            decode(any).and_then(create)
        } else if t == MsgEditValidator::type_url() {
            decode(any).and_then(edit)
        } else if t == MsgDelegate::type_url() {
            decode::<MsgDelegate>(any).and_then(|m| {
                Ok(StakingMsg::Delegate {
                    del: account(&m.delegator_address, "delegator")?,
                    op: valoper(&m.validator_address, "validator")?,
                    amount: bond_amount(m.amount.as_ref(), "delegation amount")?,
                })
            })
        } else if t == MsgUndelegate::type_url() {
            decode::<MsgUndelegate>(any).and_then(|m| {
                Ok(StakingMsg::Undelegate {
                    del: account(&m.delegator_address, "delegator")?,
                    op: valoper(&m.validator_address, "validator")?,
                    amount: bond_amount(m.amount.as_ref(), "shares amount")?,
                })
            })
        } else if t == MsgBeginRedelegate::type_url() {
            decode::<MsgBeginRedelegate>(any).and_then(|m| {
                Ok(StakingMsg::Redelegate {
                    del: account(&m.delegator_address, "delegator")?,
                    src: valoper(&m.validator_src_address, "source validator")?,
                    dst: valoper(&m.validator_dst_address, "destination validator")?,
                    amount: bond_amount(m.amount.as_ref(), "shares amount")?,
                })
            })
        } else if t == MsgCancelUnbondingDelegation::type_url() {
            decode::<MsgCancelUnbondingDelegation>(any).and_then(|m| {
                if m.creation_height <= 0 {
                    return Err(AppError::invalid_request(format!(
                        "invalid height {}: the undelegation's creation height is positive",
                        m.creation_height
                    )));
                }
                Ok(StakingMsg::Cancel {
                    del: account(&m.delegator_address, "delegator")?,
                    op: valoper(&m.validator_address, "validator")?,
                    amount: bond_amount(m.amount.as_ref(), "amount")?,
                    height: m.creation_height,
                })
            })
        } else {
            return None;
        })
    }

    /// Who must sign: the delegator, or the operator's account for validator messages.
    pub fn signers(&self) -> Vec<Address> {
        vec![match self {
            StakingMsg::Create(v) => v.operator.clone(),
            StakingMsg::Edit(e) => e.operator.clone(),
            StakingMsg::Delegate { del, .. }
            | StakingMsg::Undelegate { del, .. }
            | StakingMsg::Redelegate { del, .. }
            | StakingMsg::Cancel { del, .. } => del.clone(),
        }]
    }
}

// The deprecated `delegator_address` is read only to refuse a mismatch.
#[allow(deprecated)]
fn create(m: MsgCreateValidator) -> AppResult<StakingMsg> {
    let operator = valoper(&m.validator_address, "validator")?;
    // Deprecated since SDK 0.50; when given it must name the same account.
    if !m.delegator_address.is_empty() && account(&m.delegator_address, "delegator")? != operator {
        return Err(AppError::invalid_address(format!(
            "delegator {} is not the validator's account {}",
            m.delegator_address, operator
        )));
    }
    let pubkey = validators::unpack_pubkey(m.pubkey.as_ref())?;
    let description = m
        .description
        .filter(|d| *d != Default::default())
        .ok_or_else(|| AppError::invalid_request("empty description"))?;
    let rates = m
        .commission
        .ok_or_else(|| AppError::invalid_request("no commission rates"))?;
    let min_self_delegation = parse_amount(&m.min_self_delegation)
        .map_err(|e| AppError::invalid_request(format!("invalid minimum self delegation: {e}")))?;
    if min_self_delegation == 0 {
        return Err(AppError::invalid_request(
            "minimum self delegation must be a positive integer",
        ));
    }
    let self_bond = bond_amount(m.value.as_ref(), "delegation amount")?;
    if self_bond < min_self_delegation {
        return Err(errors::self_delegation_below_minimum(format!(
            "self delegation {self_bond} is below the declared minimum {min_self_delegation}"
        )));
    }
    Ok(StakingMsg::Create(NewValidator {
        operator,
        pubkey,
        description,
        rates,
        min_self_delegation,
        self_bond,
    }))
}

fn edit(m: MsgEditValidator) -> AppResult<StakingMsg> {
    let operator = valoper(&m.validator_address, "validator")?;
    let description = m.description.filter(|d| *d != Default::default());
    let commission_rate = if m.commission_rate.is_empty() {
        None
    } else {
        let r = Dec::from_proto(&m.commission_rate)?;
        if r > Dec::ONE {
            return Err(errors::commission_huge(format!(
                "commission rate {r}: commission cannot be more than 100%"
            )));
        }
        Some(r)
    };
    let min_self_delegation = if m.min_self_delegation.is_empty() {
        None
    } else {
        let v = parse_amount(&m.min_self_delegation).map_err(|e| {
            AppError::invalid_request(format!("invalid minimum self delegation: {e}"))
        })?;
        if v == 0 {
            return Err(AppError::invalid_request(
                "minimum self delegation must be a positive integer",
            ));
        }
        Some(v)
    };
    if description.is_none() && commission_rate.is_none() && min_self_delegation.is_none() {
        return Err(AppError::invalid_request("empty description"));
    }
    Ok(StakingMsg::Edit(Edit {
        operator,
        description,
        commission_rate,
        min_self_delegation,
    }))
}

fn response<M: Message + Name>(m: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: BASE_DENOM.into(),
        amount: amount.to_string(),
    }
}

pub fn execute(ctx: &mut Ctx<'_>, msg: &StakingMsg) -> AppResult<Any> {
    Ok(match msg {
        StakingMsg::Create(v) => {
            validators::create(ctx, v.clone())?;
            response(MsgCreateValidatorResponse {})
        }
        StakingMsg::Edit(e) => {
            validators::edit(ctx, e.clone())?;
            response(MsgEditValidatorResponse {})
        }
        StakingMsg::Delegate { del, op, amount } => {
            delegation::delegate(ctx, del, op, *amount)?;
            response(MsgDelegateResponse {})
        }
        StakingMsg::Undelegate { del, op, amount } => {
            let (done, out) = delegation::undelegate(ctx, del, op, *amount)?;
            response(MsgUndelegateResponse {
                completion_time: state::timestamp(done),
                amount: Some(coin(out)),
            })
        }
        StakingMsg::Redelegate {
            del,
            src,
            dst,
            amount,
        } => {
            let done = delegation::redelegate(ctx, del, src, dst, *amount)?;
            response(MsgBeginRedelegateResponse {
                completion_time: state::timestamp(done),
            })
        }
        StakingMsg::Cancel {
            del,
            op,
            amount,
            height,
        } => {
            delegation::cancel_unbonding(ctx, del, op, *amount, *height)?;
            response(MsgCancelUnbondingDelegationResponse {})
        }
    })
}
