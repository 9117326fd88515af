//! Historical info (`cosmos.staking.v1beta1.HistoricalInfo`): at the start of every block the
//! block's header (as FinalizeBlock tells it: CometBFT 0.38 sends no header, so the chain id,
//! height, time, next validators' hash, proposer and the previous block's app hash) and the
//! bonded set, kept for the last `historical_entries` heights. Relayers and IBC light clients
//! of this chain read them (`Query/HistoricalInfo`); IBC's host consensus states are built
//! from the same fields.

use super::state::{self, state_key};
use crate::context::{Ctx, Kv};
use crate::error::AppResult;
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{HistoricalInfo, Validator as Record};
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::types::Header;

pub const PREFIX: &str = "staking/historical/";

pub fn key(height: u64) -> String {
    format!("{PREFIX}{height:020}")
}

/// The bonded validators as the last end of block left them, by power (highest first), then
/// operator, as the SDK lists them.
fn bonded_set(ctx: &mut Ctx<'_>) -> AppResult<Vec<Record>> {
    let mut set = Vec::new();
    for k in ctx.kv_scan_keys(state_key::LAST_POWER_PREFIX)? {
        let op = state::address_of_key(&k[state_key::LAST_POWER_PREFIX.len()..])?;
        if let Some(r) = state::record(ctx, &op)? {
            set.push(r);
        }
    }
    set.sort_by(|a, b| {
        let (ta, tb) = (state::int_of(&a.tokens), state::int_of(&b.tokens));
        tb.unwrap_or(0)
            .cmp(&ta.unwrap_or(0))
            .then_with(|| a.operator_address.cmp(&b.operator_address))
    });
    Ok(set)
}

/// Records this block's historical info and drops the one that has fallen out of the window.
pub fn track(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let entries = u64::from(state::params(ctx)?.historical_entries);
    let height = ctx.block.height;
    if let Some(old) = height.checked_sub(entries) {
        ctx.delete(key(old))?;
    }
    if entries == 0 {
        return Ok(());
    }
    let b = ctx.block;
    let header = Header {
        chain_id: b.chain_id.clone(),
        height: i64::try_from(b.height).unwrap_or(i64::MAX),
        time: Some(Timestamp {
            seconds: b.time_unix,
            nanos: b.time_nanos,
        }),
        next_validators_hash: b.next_validators_hash.clone(),
        app_hash: b.last_app_hash.clone(),
        proposer_address: hex::decode(&b.proposer).unwrap_or_default(),
        ..Default::default()
    };
    let info = HistoricalInfo {
        header: Some(header),
        valset: bonded_set(ctx)?,
    };
    ctx.put(key(height), info.encode_to_vec())
}

pub fn get(kv: &mut impl Kv, height: u64) -> AppResult<Option<HistoricalInfo>> {
    value::get(kv, &key(height), "historical info")
}
