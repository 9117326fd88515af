//! The beacon component: each block mixes the hash-chain values the last commit's votes
//! reveal (its part of every vote extension) into the randomness executors are drawn with.

use super::{absent, mix, record_shares, state};
use crate::component::{BlockContext, Component, VoteExtensionPart};
use crate::context::{Ctx, ReadOnly};
use crate::error::{AppError, AppResult};
use glia_proto::abci::v1::BeaconShare;
use prost::Message;

pub const NAME: &str = "beacon";

/// The most bytes a share part may take: a 32-byte value and its framing.
pub const MAX_PART_BYTES: usize = 64;

pub struct Beacon;

/// Decodes a share part: empty, or a 32-byte value.
pub fn decode_share(bytes: &[u8]) -> AppResult<Vec<u8>> {
    let share = BeaconShare::decode(bytes)
        .map_err(|e| AppError::invalid_request(format!("beacon share does not decode: {e}")))?;
    if !(share.value.is_empty() || share.value.len() == 32) {
        return Err(AppError::invalid_request(format!(
            "a beacon share of {} bytes, not 32",
            share.value.len()
        )));
    }
    Ok(share.value)
}

impl Component for Beacon {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Records the valid shares of the last commit's votes, mixes the next beacon with them,
    /// and notes who withheld theirs (draws take those last).
    fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        let shares: Vec<(String, Vec<u8>)> = block
            .vote_extension_parts(NAME)
            .into_iter()
            .filter_map(|(v, part)| Some((v, decode_share(&part).ok()?)))
            .collect();
        let vote_height = ctx.block.height.saturating_sub(1);
        let valid = record_shares(ctx, vote_height, &shares)?;
        let prev = state::beacon(ctx)?;
        state::set_beacon(ctx, &mix(&prev, ctx.block.height, &valid))?;
        let left_out = absent(ctx, &valid)?;
        state::set_draw_excluded(ctx, &left_out)
    }

    fn vote_extension(&self) -> Option<&dyn VoteExtensionPart> {
        Some(self)
    }
}

impl VoteExtensionPart for Beacon {
    fn max_bytes(&self, _kv: &mut ReadOnly<'_>) -> usize {
        MAX_PART_BYTES
    }

    fn verify(&self, bytes: &[u8], max_bytes: usize) -> AppResult<()> {
        if bytes.len() > max_bytes {
            return Err(AppError::invalid_request(format!(
                "beacon part of {} bytes exceeds {max_bytes}",
                bytes.len()
            )));
        }
        decode_share(bytes).map(|_| ())
    }
}
