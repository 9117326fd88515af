//! The beacon's keys and typed state access. The draw exclusions live only for the block that
//! computes them: scratch data, outside the Merkle tree (`store::SCRATCH_PREFIX`).

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::abci::v1::DrawExcluded;
use glia_proto::inference::v1::BeaconChain;
use glia_proto::store::v1::Hash;
use prost::Message;

/// Every key the beacon writes.
pub mod state_key {
    pub const BEACON: &str = "beacon/value";
    pub const BEACON_CHAINS_PREFIX: &str = "beacon/chains/";
    /// Validators the current block's draws leave out (see `super::super::absent`): written
    /// by begin_block, read by the same block's draws, never committed.
    pub const DRAW_EXCLUDED: &str = "scratch/beacon/draw_excluded";

    pub fn beacon_chain(hex_address: &str) -> String {
        format!("{BEACON_CHAINS_PREFIX}{}", hex_address.to_ascii_uppercase())
    }
}

/// The current beacon (zero before the first block mixes one).
pub fn beacon(kv: &mut impl Kv) -> AppResult<[u8; 32]> {
    match value::get::<Hash>(kv, state_key::BEACON, "beacon")? {
        None => Ok([0u8; 32]),
        Some(h) => h
            .value
            .as_slice()
            .try_into()
            .map_err(|_| AppError::internal("stored beacon is not 32 bytes")),
    }
}

pub fn set_beacon(ctx: &mut Ctx<'_>, b: &[u8; 32]) -> AppResult<()> {
    ctx.put(
        state_key::BEACON.into(),
        Hash { value: b.to_vec() }.encode_to_vec(),
    )
}

pub fn beacon_chain(kv: &mut impl Kv, hex_address: &str) -> AppResult<Option<BeaconChain>> {
    value::get(kv, &state_key::beacon_chain(hex_address), "beacon chain")
}

pub fn set_beacon_chain(ctx: &mut Ctx<'_>, c: &BeaconChain) -> AppResult<()> {
    ctx.put(
        state_key::beacon_chain(&c.validator_address),
        c.encode_to_vec(),
    )
}

/// Validators (hex) this block's draws leave out.
pub fn draw_excluded(kv: &mut impl Kv) -> AppResult<Vec<String>> {
    Ok(
        value::get::<DrawExcluded>(kv, state_key::DRAW_EXCLUDED, "draw exclusions")?
            .map_or_else(Vec::new, |d| d.validators),
    )
}

pub fn set_draw_excluded(ctx: &mut Ctx<'_>, validators: &[String]) -> AppResult<()> {
    ctx.put(
        state_key::DRAW_EXCLUDED.into(),
        DrawExcluded {
            validators: validators.to_vec(),
        }
        .encode_to_vec(),
    )
}
