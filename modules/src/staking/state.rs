//! Validator records, keyed by consensus address.

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use prost::Message;
use sha2::{Digest, Sha256};

pub mod state_key {
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
