//! Staking's keys and records.
//!
//! Records are the SDK's own messages (`cosmos.staking.v1beta1.Validator`, `Delegation`,
//! `UnbondingDelegation`, `Redelegation`), so queries serve them as stored. Keys name accounts
//! by the lower-case hex of their bytes (byte order is key order, as the SDK iterates them).
//!
//! Two views of "the validators":
//! - the staking records: every validator anyone created, bonded or not;
//! - the signing set (`staking/validators/<consensus hex>`, `glia.staking.v1.Validator`): the
//!   keys and powers CometBFT uses for the block being executed. Updates returned at height H
//!   are applied to it at H+2, when CometBFT applies them; other modules (injected votes, the
//!   beacon, executor draws) read this view.

use crate::address::Address;
use crate::context::{Ctx, Kv};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::value;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    Delegation, Params, Redelegation, UnbondingDelegation,
};
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint_proto::google::protobuf::Duration;

/// A validator's record: the SDK's `cosmos.staking.v1beta1.Validator`.
pub use glia_proto::cosmos::cosmos::staking::v1beta1::Validator as Record;

pub mod state_key {
    pub const PARAMS: &str = "staking/params";
    /// The signing set, by consensus address (upper-case hex).
    pub const VALIDATORS_PREFIX: &str = "staking/validators/";
    pub const PENDING_PREFIX: &str = "staking/pending/";
    pub const RECORDS_PREFIX: &str = "staking/records/";
    pub const BY_CONS_PREFIX: &str = "staking/by_cons/";
    pub const POWER_PREFIX: &str = "staking/power/";
    pub const LAST_POWER_PREFIX: &str = "staking/last_power/";
    pub const DELEGATIONS_PREFIX: &str = "staking/delegations/";
    pub const DELEGATORS_PREFIX: &str = "staking/delegators/";
    pub const UBDS_PREFIX: &str = "staking/ubds/";
    pub const UBDS_BY_VAL_PREFIX: &str = "staking/ubds_by_val/";
    pub const UBD_QUEUE_PREFIX: &str = "staking/ubd_queue/";
    pub const REDS_PREFIX: &str = "staking/reds/";
    pub const REDS_BY_SRC_PREFIX: &str = "staking/reds_by_src/";
    pub const REDS_BY_DST_PREFIX: &str = "staking/reds_by_dst/";
    pub const RED_QUEUE_PREFIX: &str = "staking/red_queue/";
    pub const VAL_QUEUE_PREFIX: &str = "staking/val_queue/";
    pub const UNBONDING_ID: &str = "staking/unbonding_id";

    /// `staking/validators/<HEX consensus address>`.
    pub fn validator(address: &[u8; 20]) -> String {
        format!("{VALIDATORS_PREFIX}{}", hex::encode_upper(address))
    }
    /// `staking/pending/<height>`: the updates CometBFT applies at that height.
    pub fn pending(height: u64) -> String {
        format!("{PENDING_PREFIX}{height:020}")
    }
    pub fn record(op: &str) -> String {
        format!("{RECORDS_PREFIX}{op}")
    }
    pub fn by_cons(address: &[u8; 20]) -> String {
        format!("{BY_CONS_PREFIX}{}", hex::encode_upper(address))
    }
    /// Highest power first, then operator bytes.
    pub fn power(power: u64, op: &str) -> String {
        format!("{POWER_PREFIX}{:016x}/{op}", !power)
    }
    pub fn last_power(op: &str) -> String {
        format!("{LAST_POWER_PREFIX}{op}")
    }
    pub fn delegation(del: &str, op: &str) -> String {
        format!("{DELEGATIONS_PREFIX}{del}/{op}")
    }
    pub fn delegations_of(del: &str) -> String {
        format!("{DELEGATIONS_PREFIX}{del}/")
    }
    pub fn delegator(op: &str, del: &str) -> String {
        format!("{DELEGATORS_PREFIX}{op}/{del}")
    }
    pub fn delegators_of(op: &str) -> String {
        format!("{DELEGATORS_PREFIX}{op}/")
    }
    pub fn ubd(del: &str, op: &str) -> String {
        format!("{UBDS_PREFIX}{del}/{op}")
    }
    pub fn ubds_of(del: &str) -> String {
        format!("{UBDS_PREFIX}{del}/")
    }
    pub fn ubd_by_val(op: &str, del: &str) -> String {
        format!("{UBDS_BY_VAL_PREFIX}{op}/{del}")
    }
    pub fn ubds_by_val(op: &str) -> String {
        format!("{UBDS_BY_VAL_PREFIX}{op}/")
    }
    pub fn ubd_queue(time: i64, del: &str, op: &str) -> String {
        format!("{UBD_QUEUE_PREFIX}{}/{del}/{op}", time_key(time))
    }
    pub fn red(del: &str, src: &str, dst: &str) -> String {
        format!("{REDS_PREFIX}{del}/{src}/{dst}")
    }
    pub fn reds_of(del: &str) -> String {
        format!("{REDS_PREFIX}{del}/")
    }
    pub fn red_by_src(src: &str, del: &str, dst: &str) -> String {
        format!("{REDS_BY_SRC_PREFIX}{src}/{del}/{dst}")
    }
    pub fn reds_by_src(src: &str) -> String {
        format!("{REDS_BY_SRC_PREFIX}{src}/")
    }
    pub fn red_by_dst(dst: &str, del: &str, src: &str) -> String {
        format!("{REDS_BY_DST_PREFIX}{dst}/{del}/{src}")
    }
    pub fn reds_by_dst_of(dst: &str, del: &str) -> String {
        format!("{REDS_BY_DST_PREFIX}{dst}/{del}/")
    }
    pub fn red_queue(time: i64, del: &str, src: &str, dst: &str) -> String {
        format!("{RED_QUEUE_PREFIX}{}/{del}/{src}/{dst}", time_key(time))
    }
    pub fn val_queue(time: i64, op: &str) -> String {
        format!("{VAL_QUEUE_PREFIX}{}/{op}", time_key(time))
    }
    /// A time's key part: fixed-width hex, so keys sort by time (times before 1970 sort
    /// first as zero; block times are after it).
    pub fn time_key(time: i64) -> String {
        format!("{:016x}", time.max(0))
    }
}

/// Module accounts: tokens of bonded validators, and of the rest (unbonding or unbonded
/// validators, and undelegations waiting out the unbonding period).
pub const BONDED_POOL: &str = "bonded_tokens_pool";
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";

/// Tokens per unit of voting power (the SDK's default power reduction).
pub const POWER_REDUCTION: u128 = 1_000_000;

/// The SDK's `BondStatus`.
pub mod status {
    pub const UNBONDED: i32 = 1;
    pub const UNBONDING: i32 = 2;
    pub const BONDED: i32 = 3;
}

/// A validator of the signing set: its ed25519 consensus key and voting power
/// (`glia.staking.v1.Validator`).
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

/// A member of the signing set.
pub fn validator(kv: &mut impl Kv, address: &[u8; 20]) -> AppResult<Option<Validator>> {
    value::get(kv, &state_key::validator(address), "signing-set validator")
}

/// The signing set, in address order.
pub fn validators(kv: &mut impl Kv) -> AppResult<Vec<Validator>> {
    kv.kv_scan(state_key::VALIDATORS_PREFIX)?
        .into_iter()
        .map(|(_, b)| value::decode("signing-set validator", &b))
        .collect()
}

/// Sets (power > 0) or removes (power 0) a member of the signing set.
pub fn set_validator(ctx: &mut Ctx<'_>, v: &Validator) -> AppResult<()> {
    let key = state_key::validator(&v.address());
    if v.power > 0 {
        ctx.put(key, v.encode_to_vec())
    } else {
        ctx.delete(key)
    }
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
        min_commission_rate: Dec::ZERO.to_proto(),
    }
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    Ok(value::get(kv, state_key::PARAMS, "staking params")?.unwrap_or_else(default_params))
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

/// The key part naming an account: the lower-case hex of its bytes.
pub fn key_of(a: &Address) -> String {
    hex::encode(a.as_bytes())
}

/// The account a key part names.
pub fn address_of_key(part: &str) -> AppResult<Address> {
    hex::decode(part)
        .map(Address::from_bytes)
        .map_err(|_| AppError::internal(format!("corrupt account key part {part:?}")))
}

pub fn record(kv: &mut impl Kv, op: &Address) -> AppResult<Option<Record>> {
    value::get(kv, &state_key::record(&key_of(op)), "validator record")
}

pub fn records(kv: &mut impl Kv) -> AppResult<Vec<Record>> {
    kv.kv_scan(state_key::RECORDS_PREFIX)?
        .into_iter()
        .map(|(_, b)| value::decode("validator record", &b))
        .collect()
}

/// The operator of the validator with consensus address `address`, if any.
pub fn operator_by_cons(kv: &mut impl Kv, address: &[u8; 20]) -> AppResult<Option<Address>> {
    value::text(kv, &state_key::by_cons(address), "consensus key owner")?
        .map(|t| address_of_key(&t))
        .transpose()
}

pub fn delegation(kv: &mut impl Kv, del: &Address, op: &Address) -> AppResult<Option<Delegation>> {
    value::get(
        kv,
        &state_key::delegation(&key_of(del), &key_of(op)),
        "delegation",
    )
}

pub fn ubd(
    kv: &mut impl Kv,
    del: &Address,
    op: &Address,
) -> AppResult<Option<UnbondingDelegation>> {
    value::get(
        kv,
        &state_key::ubd(&key_of(del), &key_of(op)),
        "unbonding delegation",
    )
}

pub fn red(
    kv: &mut impl Kv,
    del: &Address,
    src: &Address,
    dst: &Address,
) -> AppResult<Option<Redelegation>> {
    value::get(
        kv,
        &state_key::red(&key_of(del), &key_of(src), &key_of(dst)),
        "redelegation",
    )
}

/// An integer amount kept as a decimal string in a record (`tokens`, `balance`).
pub fn int_of(s: &str) -> AppResult<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse()
        .map_err(|_| AppError::internal(format!("stored amount {s:?} is corrupt")))
}

/// The voting power of `tokens`.
pub fn power_of(tokens: u128) -> u64 {
    u64::try_from(tokens / POWER_REDUCTION).unwrap_or(u64::MAX)
}

/// Seconds of a protobuf timestamp (absent: 0).
pub fn seconds(t: &Option<tendermint_proto::google::protobuf::Timestamp>) -> i64 {
    t.as_ref().map_or(0, |t| t.seconds)
}

pub fn timestamp(seconds: i64) -> Option<tendermint_proto::google::protobuf::Timestamp> {
    Some(tendermint_proto::google::protobuf::Timestamp { seconds, nanos: 0 })
}
