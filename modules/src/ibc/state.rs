//! Every key the IBC component writes. ICS-24 paths live as they are under `ibc/` (the
//! provable `ibc` substore, whose root is committed in the app hash), so a relayer's
//! `store/ibc/key` query with the ICS-24 path reads exactly what the handlers wrote; Glia's
//! own bookkeeping sits under `ibc/glia/`, a prefix no ICS-24 path starts with.

use crate::context::Kv;
use crate::error::{AppError, AppResult};

/// The component's key prefix, the substore and the commitment prefix in every proof.
pub const PREFIX: &str = "ibc";

/// The key of an ICS-24 path.
pub fn path(p: impl std::fmt::Display) -> String {
    format!("{PREFIX}/{p}")
}

pub mod keys {
    /// Counters of created clients, connections and channels (u64, big-endian).
    pub const CLIENT_COUNTER: &str = "ibc/glia/counter/clients";
    pub const CONNECTION_COUNTER: &str = "ibc/glia/counter/connections";
    pub const CHANNEL_COUNTER: &str = "ibc/glia/counter/channels";
    /// The height of the block that wrote this state (an IBC `Height`, protobuf): list
    /// queries answer with the height they read, which relayers need.
    pub const HEIGHT: &str = "ibc/glia/height";
    /// ICS-20 and ICS-27 params (JSON).
    pub const PARAMS: &str = "ibc/glia/params";

    /// Glia's own consensus state at `height` (the header fields FinalizeBlock gave).
    pub fn host_consensus(height: u64) -> String {
        format!("ibc/glia/host/{height:020}")
    }

    /// The index of a client's consensus-state heights, in height order.
    pub fn cs_heights(client: &str) -> String {
        format!("ibc/glia/cs/{client}/")
    }

    pub fn cs_height(client: &str, revision: u64, height: u64) -> String {
        format!("ibc/glia/cs/{client}/{revision:020}-{height:020}")
    }

    /// A voucher denom's trace (`ibc/<HASH>` → `transfer/channel-0/stake`).
    pub fn denom_trace(hash: &str) -> String {
        format!("ibc/glia/denom/{hash}")
    }

    pub const DENOM_TRACES: &str = "ibc/glia/denom/";

    /// How much of a denom all ICS-20 escrows hold.
    pub fn escrow_total(denom: &str) -> String {
        format!("ibc/glia/escrow/{denom}")
    }
}

pub fn get_u64(kv: &mut impl Kv, key: &str) -> AppResult<Option<u64>> {
    match kv.kv_get(key)? {
        None => Ok(None),
        Some(b) => {
            let arr: [u8; 8] = b
                .as_slice()
                .try_into()
                .map_err(|_| AppError::internal(format!("{key} is not a u64")))?;
            Ok(Some(u64::from_be_bytes(arr)))
        }
    }
}

pub fn get_u128(kv: &mut impl Kv, key: &str) -> AppResult<u128> {
    match kv.kv_get(key)? {
        None => Ok(0),
        Some(b) => {
            let arr: [u8; 16] = b
                .as_slice()
                .try_into()
                .map_err(|_| AppError::internal(format!("{key} is not a u128")))?;
            Ok(u128::from_be_bytes(arr))
        }
    }
}
