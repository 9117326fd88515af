//! The beacon's keys and typed state access.
//!
//! The keys still sit under `inference/`, where the beacon began; they move to `beacon/` with
//! the one deliberate state change of the components work (one encoding), so that every step
//! before it keeps the app hash.

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use glia_proto::inference::v1::BeaconChain;
use prost::Message;

/// Every key the beacon writes.
pub mod state_key {
    pub const BEACON: &str = "inference/beacon";
    pub const BEACON_CHAINS_PREFIX: &str = "inference/beacon_chains/";
    /// Validators the current block's draws leave out (see `super::super::absent`).
    pub const DRAW_EXCLUDED: &str = "inference/draw_excluded";

    pub fn beacon_chain(hex_address: &str) -> String {
        format!("{BEACON_CHAINS_PREFIX}{}", hex_address.to_ascii_uppercase())
    }
}

/// The current beacon (zero before the first block mixes one).
pub fn beacon(kv: &mut impl Kv) -> AppResult<[u8; 32]> {
    Ok(match kv.kv_get(state_key::BEACON)? {
        Some(b) if b.len() == 32 => {
            let mut a = [0u8; 32];
            a.copy_from_slice(&b);
            a
        }
        _ => [0u8; 32],
    })
}

pub fn set_beacon(ctx: &mut Ctx<'_>, b: &[u8; 32]) -> AppResult<()> {
    ctx.put(state_key::BEACON.into(), b.to_vec())
}

pub fn beacon_chain(kv: &mut impl Kv, hex_address: &str) -> AppResult<Option<BeaconChain>> {
    kv.kv_get(&state_key::beacon_chain(hex_address))?
        .map(|b| {
            BeaconChain::decode(b.as_slice())
                .map_err(|e| AppError::internal(format!("stored beacon chain is corrupt: {e}")))
        })
        .transpose()
}

pub fn set_beacon_chain(ctx: &mut Ctx<'_>, c: &BeaconChain) -> AppResult<()> {
    ctx.put(
        state_key::beacon_chain(&c.validator_address),
        c.encode_to_vec(),
    )
}

/// Validators (hex) this block's draws leave out.
pub fn draw_excluded(kv: &mut impl Kv) -> AppResult<Vec<String>> {
    Ok(match kv.kv_get(state_key::DRAW_EXCLUDED)? {
        Some(b) => String::from_utf8(b)
            .map_err(|_| AppError::internal("stored draw exclusions are not UTF-8"))?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    })
}

pub fn set_draw_excluded(ctx: &mut Ctx<'_>, validators: &[String]) -> AppResult<()> {
    ctx.put(
        state_key::DRAW_EXCLUDED.into(),
        validators.join(",").into_bytes(),
    )
}
