//! Validator records, keyed by consensus address.

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::staking::v1beta1::Params;
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint_proto::google::protobuf::Duration;

pub mod state_key {
    pub const PARAMS: &str = "staking/params";
    pub const VALIDATORS_PREFIX: &str = "staking/validators/";

    /// `staking/validators/<hex consensus address>`.
    pub fn validator(address: &[u8; 20]) -> String {
        format!("{VALIDATORS_PREFIX}{}", hex::encode_upper(address))
    }
}

/// A validator: its ed25519 consensus key and voting power (`glia.staking.v1.Validator`).
pub use glia_proto::staking::v1::Validator;

/// A validator's consensus address.
pub trait ConsensusAddress {
    /// CometBFT's address of an ed25519 key: the first 20 bytes of its sha256.
    fn address(&self) -> [u8; 20];
}

impl ConsensusAddress for Validator {
    fn address(&self) -> [u8; 20] {
        consensus_address(&self.pubkey)
    }
}

pub fn consensus_address(pubkey: &[u8]) -> [u8; 20] {
    let h = Sha256::digest(pubkey);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[..20]);
    a
}

pub fn validator(kv: &mut impl Kv, address: &[u8; 20]) -> AppResult<Option<Validator>> {
    kv.kv_get(&state_key::validator(address))?
        .map(|b| {
            Validator::decode(b.as_slice())
                .map_err(|e| AppError::internal(format!("stored validator is corrupt: {e}")))
        })
        .transpose()
}

/// Every validator, in address order.
pub fn validators(kv: &mut impl Kv) -> AppResult<Vec<Validator>> {
    kv.kv_scan(state_key::VALIDATORS_PREFIX)?
        .into_iter()
        .map(|(_, b)| {
            Validator::decode(b.as_slice())
                .map_err(|e| AppError::internal(format!("stored validator is corrupt: {e}")))
        })
        .collect()
}

pub fn set_validator(ctx: &mut Ctx<'_>, v: &Validator) -> AppResult<()> {
    ctx.put(state_key::validator(&v.address()), v.encode_to_vec())
}

/// The SDK's defaults: 21 days to unbond, 100 validators, 7 entries per pair, 10,000
/// historical entries (IBC light clients of this chain verify against them), no minimum
/// commission.
pub fn default_params() -> Params {
    Params {
        unbonding_time: Some(Duration {
            seconds: 21 * 24 * 3600,
            nanos: 0,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: 10_000,
        bond_denom: crate::coins::BASE_DENOM.into(),
        min_commission_rate: crate::decimal::Dec::ZERO.to_proto(),
    }
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    Ok(crate::value::get(kv, state_key::PARAMS, "staking params")?.unwrap_or_else(default_params))
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}
