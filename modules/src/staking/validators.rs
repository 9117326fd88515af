//! Validator records: creating and editing them, their tokens and shares, the power index
//! the bonded set is chosen from, and the pools their tokens sit in.

use super::errors;
use super::state::{self, key_of, state_key, status, Record, BONDED_POOL, NOT_BONDED_POOL};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use glia_proto::cosmos::cosmos::staking::v1beta1::{Commission, CommissionRates, Description};
use prost::{Message, Name};
use tendermint_proto::google::protobuf::Any;

/// Seconds between two commission changes (the SDK's 24 hours).
pub const COMMISSION_UPDATE_INTERVAL: i64 = 24 * 3600;

/// The SDK's description limits.
const MAX_MONIKER: usize = 70;
const MAX_IDENTITY: usize = 3000;
const MAX_WEBSITE: usize = 140;
const MAX_SECURITY_CONTACT: usize = 140;
const MAX_DETAILS: usize = 280;

pub fn tokens(r: &Record) -> AppResult<u128> {
    state::int_of(&r.tokens)
}

pub fn shares(r: &Record) -> AppResult<Dec> {
    Dec::from_proto(&r.delegator_shares)
}

pub fn operator(r: &Record) -> AppResult<Address> {
    Address::parse_valoper(&r.operator_address)
        .map_err(|e| AppError::internal(format!("stored validator operator: {e}")))
}

/// The 32 bytes of a record's ed25519 consensus key.
pub fn pubkey(r: &Record) -> AppResult<Vec<u8>> {
    let any = r
        .consensus_pubkey
        .as_ref()
        .ok_or_else(|| AppError::internal("a validator record without a consensus key"))?;
    Ok(Ed25519PubKey::decode(any.value.as_slice())
        .map_err(|e| AppError::internal(format!("stored consensus key: {e}")))?
        .key)
}

/// A consensus key as the SDK packs it: `/cosmos.crypto.ed25519.PubKey`.
pub fn pack_pubkey(key: &[u8]) -> Any {
    Any {
        type_url: Ed25519PubKey::type_url(),
        value: Ed25519PubKey { key: key.to_vec() }.encode_to_vec(),
    }
}

/// Reads a consensus key from a message: ed25519 only (CometBFT's validators sign with it).
pub fn unpack_pubkey(any: Option<&Any>) -> AppResult<Vec<u8>> {
    let any = any.ok_or_else(|| errors::empty_validator_pubkey("empty validator public key"))?;
    if any.type_url != Ed25519PubKey::type_url() {
        return Err(errors::validator_pubkey_type_not_supported(format!(
            "consensus key type {:?} is not supported; expected {}",
            any.type_url,
            Ed25519PubKey::type_url()
        )));
    }
    let k = Ed25519PubKey::decode(any.value.as_slice())
        .map_err(|e| AppError::invalid_pubkey(format!("ed25519 consensus key: {e}")))?;
    if k.key.len() != 32 {
        return Err(AppError::invalid_pubkey(format!(
            "an ed25519 consensus key is 32 bytes, got {}",
            k.key.len()
        )));
    }
    Ok(k.key)
}

/// The power a record would have in the set: none while jailed or below one unit.
pub fn indexed_power(r: &Record) -> AppResult<Option<u64>> {
    if r.jailed {
        return Ok(None);
    }
    let p = state::power_of(tokens(r)?);
    Ok((p > 0).then_some(p))
}

/// Writes a record and keeps the power index in step with it.
pub fn save(ctx: &mut Ctx<'_>, r: &Record) -> AppResult<()> {
    let op = key_of(&operator(r)?);
    let old: Option<Record> = value::get(ctx, &state_key::record(&op), "validator record")?;
    let before = old.as_ref().map(indexed_power).transpose()?.flatten();
    let after = indexed_power(r)?;
    if before != after {
        if let Some(p) = before {
            ctx.delete(state_key::power(p, &op))?;
        }
        if let Some(p) = after {
            ctx.put(state_key::power(p, &op), vec![])?;
        }
    }
    ctx.put(state_key::record(&op), r.encode_to_vec())
}

/// Removes a validator nobody is bonded to any more (its records and its consensus key, which
/// may then be used again).
pub fn remove(ctx: &mut Ctx<'_>, r: &Record) -> AppResult<()> {
    let op = key_of(&operator(r)?);
    if let Some(p) = indexed_power(r)? {
        ctx.delete(state_key::power(p, &op))?;
    }
    let cons = state::consensus_address(&pubkey(r)?);
    ctx.delete(state_key::by_cons(&cons))?;
    ctx.delete(state_key::record(&op))?;
    ctx.emit(
        "remove_validator",
        &[("validator", r.operator_address.clone())],
    );
    crate::distribution::f1::validator_removed(ctx, &operator(r)?)
}

/// The existing record of `op`, or the SDK's "validator does not exist".
pub fn must_get(kv: &mut impl Kv, op: &Address) -> AppResult<Record> {
    state::record(kv, op)?.ok_or_else(|| {
        errors::no_validator_found(format!("validator {} does not exist", op.to_valoper()))
    })
}

/// The pool holding the tokens of a validator in `status`.
pub fn pool_of(status: i32) -> &'static str {
    if status == status::BONDED {
        BONDED_POOL
    } else {
        NOT_BONDED_POOL
    }
}

/// Moves `amount` between the pools of two statuses (nothing when it is the same pool).
pub fn move_between_pools(ctx: &mut Ctx<'_>, from: i32, to: i32, amount: u128) -> AppResult<()> {
    let (a, b) = (pool_of(from), pool_of(to));
    if a == b || amount == 0 {
        return Ok(());
    }
    bank::transfer(
        ctx,
        &Address::module(a),
        &Address::module(b),
        &[Coin::new(BASE_DENOM, amount)],
    )
    .map_err(|e| AppError::internal(format!("staking pools out of step: {}", e.log)))
}

/// Commission rates as given, checked as the SDK checks them on creation.
pub fn check_rates(kv: &mut impl Kv, c: &CommissionRates) -> AppResult<(Dec, Dec, Dec)> {
    let rate = Dec::from_proto(&c.rate)?;
    let max_rate = Dec::from_proto(&c.max_rate)?;
    let max_change = Dec::from_proto(&c.max_change_rate)?;
    if max_rate > Dec::ONE {
        return Err(errors::commission_huge(format!(
            "max rate {max_rate}: commission cannot be more than 100%"
        )));
    }
    if rate > max_rate {
        return Err(errors::commission_gt_max_rate(format!(
            "rate {rate} is above the max rate {max_rate}"
        )));
    }
    if max_change > max_rate {
        return Err(errors::commission_change_rate_gt_max_rate(format!(
            "max change rate {max_change} is above the max rate {max_rate}"
        )));
    }
    let min = Dec::from_proto(&state::params(kv)?.min_commission_rate)?;
    if rate < min {
        return Err(errors::commission_lt_min_rate(format!(
            "rate {rate} is below the chain's minimum commission rate {min}"
        )));
    }
    Ok((rate, max_rate, max_change))
}

/// A description within the SDK's lengths (the moniker is required).
pub fn check_description(d: &Description) -> AppResult<()> {
    let fields = [
        ("moniker", &d.moniker, MAX_MONIKER),
        ("identity", &d.identity, MAX_IDENTITY),
        ("website", &d.website, MAX_WEBSITE),
        (
            "security_contact",
            &d.security_contact,
            MAX_SECURITY_CONTACT,
        ),
        ("details", &d.details, MAX_DETAILS),
    ];
    for (name, v, max) in fields {
        if v.chars().count() > max {
            return Err(AppError::invalid_request(format!(
                "description {name} is {} characters, at most {max}",
                v.chars().count()
            )));
        }
    }
    if d.moniker.trim().is_empty() {
        return Err(AppError::invalid_request(
            "description must include a moniker",
        ));
    }
    Ok(())
}

/// What a new validator states.
#[derive(Clone)]
pub struct NewValidator {
    pub operator: Address,
    pub pubkey: Vec<u8>,
    pub description: Description,
    pub rates: CommissionRates,
    pub min_self_delegation: u128,
    pub self_bond: u128,
}

/// Creates a validator and bonds its self-delegation from the operator's balance: the one
/// path for MsgCreateValidator and for the validators of a genesis.
pub fn create(ctx: &mut Ctx<'_>, v: NewValidator) -> AppResult<()> {
    if state::record(ctx, &v.operator)?.is_some() {
        return Err(errors::validator_owner_exists(format!(
            "validator {} already exists for this operator address",
            v.operator.to_valoper()
        )));
    }
    let cons = state::consensus_address(&v.pubkey);
    if state::operator_by_cons(ctx, &cons)?.is_some() {
        return Err(errors::validator_pubkey_exists(format!(
            "consensus key {} is already a validator's; use a new key",
            hex::encode_upper(cons)
        )));
    }
    let (rate, max_rate, max_change) = check_rates(ctx, &v.rates)?;
    check_description(&v.description)?;
    if v.min_self_delegation == 0 {
        return Err(AppError::invalid_request(
            "minimum self delegation must be a positive integer",
        ));
    }
    if v.self_bond < v.min_self_delegation {
        return Err(errors::self_delegation_below_minimum(format!(
            "self delegation {} is below the declared minimum {}",
            v.self_bond, v.min_self_delegation
        )));
    }
    let record = Record {
        operator_address: v.operator.to_valoper(),
        consensus_pubkey: Some(pack_pubkey(&v.pubkey)),
        jailed: false,
        status: status::UNBONDED,
        tokens: "0".into(),
        delegator_shares: Dec::ZERO.to_proto(),
        description: Some(v.description),
        unbonding_height: 0,
        unbonding_time: state::timestamp(0),
        commission: Some(Commission {
            commission_rates: Some(CommissionRates {
                rate: rate.to_proto(),
                max_rate: max_rate.to_proto(),
                max_change_rate: max_change.to_proto(),
            }),
            update_time: state::timestamp(ctx.block.time_unix),
        }),
        min_self_delegation: v.min_self_delegation.to_string(),
        unbonding_on_hold_ref_count: 0,
        unbonding_ids: Vec::new(),
    };
    save(ctx, &record)?;
    ctx.put(
        state_key::by_cons(&cons),
        value::encode_text(&key_of(&v.operator)),
    )?;
    crate::distribution::f1::validator_created(ctx, &v.operator)?;
    ctx.emit(
        "create_validator",
        &[
            ("validator", record.operator_address.clone()),
            ("amount", Coin::new(BASE_DENOM, v.self_bond).to_string()),
        ],
    );
    super::delegation::delegate(ctx, &v.operator, &v.operator, v.self_bond)?;
    Ok(())
}

/// What MsgEditValidator changes: fields left as the SDK's "do not modify" keep their value.
#[derive(Clone)]
pub struct Edit {
    pub operator: Address,
    pub description: Option<Description>,
    pub commission_rate: Option<Dec>,
    pub min_self_delegation: Option<u128>,
}

/// The SDK's "do not modify" marker in an edited description.
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";

pub fn edit(ctx: &mut Ctx<'_>, e: Edit) -> AppResult<()> {
    let mut r = must_get(ctx, &e.operator)?;
    if let Some(d) = e.description {
        let old = r.description.clone().unwrap_or_default();
        let keep = |new: String, old: String| if new == DO_NOT_MODIFY { old } else { new };
        let merged = Description {
            moniker: keep(d.moniker, old.moniker),
            identity: keep(d.identity, old.identity),
            website: keep(d.website, old.website),
            security_contact: keep(d.security_contact, old.security_contact),
            details: keep(d.details, old.details),
        };
        check_description(&merged)?;
        r.description = Some(merged);
    }
    if let Some(new_rate) = e.commission_rate {
        let now = ctx.block.time_unix;
        let c = r.commission.get_or_insert_with(Default::default);
        let rates = c.commission_rates.get_or_insert_with(Default::default);
        let old = Dec::from_proto(&rates.rate)?;
        let max_rate = Dec::from_proto(&rates.max_rate)?;
        let max_change = Dec::from_proto(&rates.max_change_rate)?;
        let last = state::seconds(&c.update_time);
        if now.saturating_sub(last) < COMMISSION_UPDATE_INTERVAL {
            return Err(errors::commission_update_time(format!(
                "commission was changed at {last}; the next change is allowed from {}",
                last.saturating_add(COMMISSION_UPDATE_INTERVAL)
            )));
        }
        if new_rate > max_rate {
            return Err(errors::commission_gt_max_rate(format!(
                "rate {new_rate} is above the max rate {max_rate}"
            )));
        }
        let change = if new_rate > old {
            new_rate.checked_sub(old)?
        } else {
            old.checked_sub(new_rate)?
        };
        if change > max_change {
            return Err(errors::commission_gt_max_change_rate(format!(
                "a change from {old} to {new_rate} is more than the max change rate {max_change}"
            )));
        }
        let min = Dec::from_proto(&state::params(ctx)?.min_commission_rate)?;
        if new_rate < min {
            return Err(errors::commission_lt_min_rate(format!(
                "rate {new_rate} is below the chain's minimum commission rate {min}"
            )));
        }
        rates.rate = new_rate.to_proto();
        c.update_time = state::timestamp(now);
    }
    if let Some(m) = e.min_self_delegation {
        let old = state::int_of(&r.min_self_delegation)?;
        if m <= old {
            return Err(errors::min_self_delegation_decreased(format!(
                "minimum self delegation can only increase: {old} to {m}"
            )));
        }
        if m > tokens(&r)? {
            return Err(errors::self_delegation_below_minimum(format!(
                "minimum self delegation {m} is above the validator's tokens {}",
                tokens(&r)?
            )));
        }
        r.min_self_delegation = m.to_string();
    }
    save(ctx, &r)?;
    ctx.emit(
        "edit_validator",
        &[
            ("validator", r.operator_address.clone()),
            (
                "commission_rate",
                r.commission
                    .as_ref()
                    .and_then(|c| c.commission_rates.as_ref())
                    .map_or(Ok(Dec::ZERO), |c| Dec::from_proto(&c.rate))?
                    .to_string(),
            ),
        ],
    );
    Ok(())
}

/// Takes a validator out of the set at the next end of block (its power leaves the index).
pub fn jail(ctx: &mut Ctx<'_>, r: &mut Record, reason: &str) -> AppResult<()> {
    if r.jailed {
        return Ok(());
    }
    r.jailed = true;
    save(ctx, r)?;
    ctx.emit(
        "jail",
        &[
            ("validator", r.operator_address.clone()),
            ("reason", reason.to_string()),
        ],
    );
    Ok(())
}
