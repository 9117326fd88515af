//! Slashing's keys: params, one signing info per validator, and its missed-block bitmap over
//! the window.

use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::slashing::v1beta1::{Params, ValidatorSigningInfo};
use glia_proto::store::v1::Hash;
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint_proto::google::protobuf::Duration;

pub mod state_key {
    pub const PARAMS: &str = "slashing/params";
    pub const INFOS_PREFIX: &str = "slashing/infos/";
    pub const MISSED_PREFIX: &str = "slashing/missed/";

    /// `slashing/infos/<gliavalcons1…>`: the page key of `SigningInfos` is the address.
    pub fn info(valcons: &str) -> String {
        format!("{INFOS_PREFIX}{valcons}")
    }

    pub fn missed(valcons: &str) -> String {
        format!("{MISSED_PREFIX}{valcons}")
    }
}

/// The SDK's defaults: a 100-block window, half of it signed, 10 minutes jailed, 5% for a
/// double sign, 1% for downtime.
pub fn default_params() -> Params {
    let dec = |s: &str| Dec::parse(s).map_or_else(|_| Vec::new(), |d| d.to_proto().into_bytes());
    Params {
        signed_blocks_window: 100,
        min_signed_per_window: dec("0.5"),
        downtime_jail_duration: Some(Duration {
            seconds: 600,
            nanos: 0,
        }),
        slash_fraction_double_sign: dec("0.05"),
        slash_fraction_downtime: dec("0.01"),
    }
}

/// `app_state.slashing`: params left out keep their defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub signed_blocks_window: Option<u32>,
    /// Point form, e.g. "0.5".
    pub min_signed_per_window: Option<String>,
    /// How long a validator jailed for downtime waits before MsgUnjail.
    pub downtime_jail_seconds: Option<u64>,
    /// Point form: the share of stake burned for downtime and for double signing.
    pub slash_fraction_downtime: Option<String>,
    pub slash_fraction_double_sign: Option<String>,
}

/// A decimal kept as bytes (the SDK's `bytes` fields hold the integer form's text).
pub fn dec_of(bytes: &[u8]) -> AppResult<Dec> {
    Dec::from_proto(std::str::from_utf8(bytes).unwrap_or("?"))
}

pub fn params_from(g: &Genesis) -> AppResult<Params> {
    let mut p = default_params();
    if let Some(w) = g.signed_blocks_window {
        if w == 0 || w > MAX_WINDOW {
            return Err(AppError::invalid_request(format!(
                "slashing params: signed_blocks_window {w} must be 1 to {MAX_WINDOW}"
            )));
        }
        p.signed_blocks_window = i64::from(w);
    }
    if let Some(m) = &g.min_signed_per_window {
        let d = Dec::parse(m)?;
        if d > Dec::ONE {
            return Err(AppError::invalid_request(
                "slashing params: min_signed_per_window must be at most 1",
            ));
        }
        p.min_signed_per_window = d.to_proto().into_bytes();
    }
    if let Some(s) = g.downtime_jail_seconds {
        let seconds = i64::try_from(s).map_err(|_| {
            AppError::invalid_request(format!(
                "slashing params: downtime_jail_seconds {s} is too large"
            ))
        })?;
        p.downtime_jail_duration = Some(Duration { seconds, nanos: 0 });
    }
    for (given, field, name) in [
        (
            &g.slash_fraction_downtime,
            &mut p.slash_fraction_downtime,
            "slash_fraction_downtime",
        ),
        (
            &g.slash_fraction_double_sign,
            &mut p.slash_fraction_double_sign,
            "slash_fraction_double_sign",
        ),
    ] {
        if let Some(v) = given {
            let d = Dec::parse(v)?;
            if d > Dec::ONE {
                return Err(AppError::invalid_request(format!(
                    "slashing params: {name} must be at most 1"
                )));
            }
            *field = d.to_proto().into_bytes();
        }
    }
    Ok(p)
}

pub fn export(p: &Params) -> AppResult<Genesis> {
    Ok(Genesis {
        signed_blocks_window: Some(u32::try_from(p.signed_blocks_window).unwrap_or(MAX_WINDOW)),
        min_signed_per_window: Some(dec_of(&p.min_signed_per_window)?.to_string()),
        downtime_jail_seconds: Some(
            p.downtime_jail_duration
                .as_ref()
                .map_or(0, |d| d.seconds.max(0) as u64),
        ),
        slash_fraction_downtime: Some(dec_of(&p.slash_fraction_downtime)?.to_string()),
        slash_fraction_double_sign: Some(dec_of(&p.slash_fraction_double_sign)?.to_string()),
    })
}

/// The longest window: its bitmap (window / 8 bytes) is rewritten when a bit changes.
pub const MAX_WINDOW: u32 = 100_000;

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    Ok(value::get(kv, state_key::PARAMS, "slashing params")?.unwrap_or_else(default_params))
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

pub fn info(kv: &mut impl Kv, valcons: &str) -> AppResult<Option<ValidatorSigningInfo>> {
    value::get(kv, &state_key::info(valcons), "signing info")
}

pub fn set_info(ctx: &mut Ctx<'_>, i: &ValidatorSigningInfo) -> AppResult<()> {
    ctx.put(state_key::info(&i.address), i.encode_to_vec())
}

/// The missed-block bitmap of a validator (bit i: the block at window index i was missed).
pub fn missed(kv: &mut impl Kv, valcons: &str) -> AppResult<Vec<u8>> {
    Ok(
        value::get::<Hash>(kv, &state_key::missed(valcons), "missed blocks")?
            .map_or_else(Vec::new, |h| h.value),
    )
}

pub fn set_missed(ctx: &mut Ctx<'_>, valcons: &str, bits: Vec<u8>) -> AppResult<()> {
    ctx.put(
        state_key::missed(valcons),
        Hash { value: bits }.encode_to_vec(),
    )
}
