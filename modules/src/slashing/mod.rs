//! Slashing (`cosmos.slashing.v1beta1`): so far every validator's liveness, counted from the
//! last commit's votes over a window of blocks, as wallets and explorers read it
//! (`SigningInfo`, `SigningInfos`). Jailing and slashing for downtime and double signing come
//! with bonded stake (issue 16); the counts they will act on are kept from now on.

pub mod component;
pub mod punish;
pub mod state;

use crate::error::{AppError, AppResult};
use bech32::{Bech32, Hrp};

/// The bech32 prefix of consensus addresses (`gliavalcons1…`), as the SDK names them.
pub const VALCONS_PREFIX: &str = "gliavalcons";

/// A consensus address (20 bytes) in bech32.
pub fn valcons(address: &[u8]) -> AppResult<String> {
    let hrp = Hrp::parse(VALCONS_PREFIX).map_err(|e| AppError::internal(e.to_string()))?;
    bech32::encode::<Bech32>(hrp, address).map_err(|e| AppError::internal(e.to_string()))
}

/// The 20 bytes of a `gliavalcons1…` address.
pub fn parse_valcons(s: &str) -> AppResult<Vec<u8>> {
    let (hrp, data) = bech32::decode(s)
        .map_err(|e| AppError::invalid_address(format!("{s:?} is not a consensus address: {e}")))?;
    if hrp.as_str() != VALCONS_PREFIX || data.len() != 20 {
        return Err(AppError::invalid_address(format!(
            "{s:?} is not a {VALCONS_PREFIX} address of 20 bytes"
        )));
    }
    Ok(data)
}
