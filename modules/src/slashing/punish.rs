//! What slashing does with what it counts: downtime over the window jails and slashes,
//! double signing (CometBFT's misbehaviour list) slashes, jails for good and tombstones, and
//! MsgUnjail lets a validator whose jail time is over back in.

use super::state::{self, dec_of};
use super::valcons;
use crate::address::Address;
use crate::component::Misbehaviour;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::staking::slash as stake;
use glia_proto::cosmos::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUnjailResponse, ValidatorSigningInfo,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};

crate::error::error_codes! {
    super::component::NAME;
    no_validator_for_address = 2;
    validator_jailed = 4;
    validator_not_jailed = 5;
    missing_self_delegation = 6;
    self_delegation_too_low_to_unjail = 7;
}

/// Blocks between a validator-set change and CometBFT applying it: the stake that signed
/// height h was bonded at h - 2 (the SDK's `ValidatorUpdateDelay`).
const VALIDATOR_UPDATE_DELAY: i64 = 2;
/// 9999-12-31T23:59:59Z: a double signer's jail never ends (it is tombstoned).
pub const FOREVER: i64 = 253_402_300_799;

fn address20(bytes: &[u8]) -> AppResult<[u8; 20]> {
    bytes
        .try_into()
        .map_err(|_| AppError::internal(format!("a consensus address of {} bytes", bytes.len())))
}

/// After a vote is counted: a validator that missed more than the window allows (once it has
/// been watched for a whole window) is slashed and jailed, and its window starts over.
pub fn check_downtime(
    ctx: &mut Ctx<'_>,
    cons: &[u8],
    info: &mut ValidatorSigningInfo,
    power: i64,
    window: i64,
) -> AppResult<()> {
    let p = state::params(ctx)?;
    let height = i64::try_from(ctx.block.height).unwrap_or(i64::MAX);
    // round(min_signed × window), as the SDK rounds it.
    let min_signed = dec_of(&p.min_signed_per_window)?
        .checked_mul(crate::decimal::Dec::from_int(window as u128)?)?
        .checked_add(crate::decimal::Dec::parse("0.5")?)?
        .floor() as i64;
    let max_missed = window.saturating_sub(min_signed);
    if height <= info.start_height.saturating_add(window)
        || info.missed_blocks_counter <= max_missed
    {
        return Ok(());
    }
    let cons = address20(cons)?;
    let Some(op) = stake::operator_of(ctx, &cons)? else {
        return Ok(());
    };
    if crate::staking::state::record(ctx, &op)?.is_none_or(|r| r.jailed) {
        return Ok(());
    }
    let at = height
        .saturating_sub(VALIDATOR_UPDATE_DELAY)
        .saturating_sub(1);
    let burned = stake::slash(
        ctx,
        &cons,
        at,
        power,
        dec_of(&p.slash_fraction_downtime)?,
        "missing_signature",
    )?;
    stake::jail(ctx, &cons, "missing_signature")?;
    let jail = p.downtime_jail_duration.map_or(0, |d| d.seconds);
    info.jailed_until = crate::staking::state::timestamp(ctx.block.time_unix.saturating_add(jail));
    info.missed_blocks_counter = 0;
    info.index_offset = 0;
    state::set_missed(ctx, &info.address, Vec::new())?;
    ctx.emit(
        "slash",
        &[
            ("address", info.address.clone()),
            ("power", power.to_string()),
            ("reason", "missing_signature".into()),
            ("jailed", info.address.clone()),
            ("burned_coins", burned.to_string()),
        ],
    );
    Ok(())
}

/// Evidence of double signing: slash by the double-sign fraction at the offence's height,
/// jail for ever, tombstone. Evidence against a tombstoned validator is ignored (it was
/// punished once for it).
pub fn double_sign(ctx: &mut Ctx<'_>, m: &Misbehaviour) -> AppResult<()> {
    let bytes = hex::decode(&m.validator)
        .map_err(|_| AppError::internal(format!("misbehaviour of {:?}, not hex", m.validator)))?;
    let cons = address20(&bytes)?;
    let who = valcons(&bytes)?;
    let mut info = state::info(ctx, &who)?.unwrap_or_else(|| ValidatorSigningInfo {
        address: who.clone(),
        ..Default::default()
    });
    if info.tombstoned || stake::operator_of(ctx, &cons)?.is_none() {
        return Ok(());
    }
    let p = state::params(ctx)?;
    let at = i64::try_from(m.height)
        .unwrap_or(i64::MAX)
        .saturating_sub(VALIDATOR_UPDATE_DELAY);
    let burned = stake::slash(
        ctx,
        &cons,
        at,
        m.power,
        dec_of(&p.slash_fraction_double_sign)?,
        "double_sign",
    )?;
    stake::jail(ctx, &cons, "double_sign")?;
    info.jailed_until = crate::staking::state::timestamp(FOREVER);
    info.tombstoned = true;
    state::set_info(ctx, &info)?;
    ctx.emit(
        "slash",
        &[
            ("address", who),
            ("power", m.power.to_string()),
            ("reason", "double_sign".into()),
            ("burned_coins", burned.to_string()),
        ],
    );
    Ok(())
}

/// MsgUnjail, checked statelessly: the operator account signs.
pub fn decode_unjail(any: &Any) -> AppResult<Address> {
    let m = MsgUnjail::decode(any.value.as_slice())
        .map_err(|e| AppError::tx_decode(format!("MsgUnjail: {e}")))?;
    Address::parse_valoper(&m.validator_addr)
        .map_err(|e| AppError::invalid_address(format!("invalid validator address: {e}")))
}

pub fn unjail(ctx: &mut Ctx<'_>, op: &Address) -> AppResult<Any> {
    let r = crate::staking::state::record(ctx, op)?.ok_or_else(|| {
        no_validator_for_address(format!(
            "{} is not associated with any known validator",
            op.to_valoper()
        ))
    })?;
    let own = stake::self_bonded(ctx, op)?;
    if own == 0 {
        return Err(missing_self_delegation(format!(
            "{} has no self-delegation; cannot be unjailed",
            r.operator_address
        )));
    }
    let min = crate::staking::state::int_of(&r.min_self_delegation)?;
    if own < min {
        return Err(self_delegation_too_low_to_unjail(format!(
            "{}'s self delegation {own} is below its minimum {min}; cannot be unjailed",
            r.operator_address
        )));
    }
    if !r.jailed {
        return Err(validator_not_jailed(format!(
            "{} is not jailed; cannot be unjailed",
            r.operator_address
        )));
    }
    let key = crate::staking::validators::pubkey(&r)?;
    let who = valcons(&crate::staking::state::consensus_address(&key))?;
    if let Some(info) = state::info(ctx, &who)? {
        if info.tombstoned {
            return Err(validator_jailed(format!(
                "{} was tombstoned for double signing; cannot be unjailed",
                r.operator_address
            )));
        }
        let until = info.jailed_until.as_ref().map_or(0, |t| t.seconds);
        if ctx.block.time_unix < until {
            return Err(validator_jailed(format!(
                "{} is jailed until {until} (now {}); cannot be unjailed yet",
                r.operator_address, ctx.block.time_unix
            )));
        }
    }
    stake::unjail(ctx, op)?;
    Ok(Any {
        type_url: MsgUnjailResponse::type_url(),
        value: MsgUnjailResponse {}.encode_to_vec(),
    })
}
