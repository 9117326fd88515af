//! Validator set genesis: the validators CometBFT passes to InitChain.

use super::state::{set_validator, Validator};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tendermint_proto::v0_38::crypto::public_key::Sum;

pub fn init_genesis(ctx: &mut Ctx<'_>, validators: &[ValidatorUpdate]) -> AppResult<()> {
    for v in validators {
        let pubkey = match v.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(Sum::Ed25519(k)) if k.len() == 32 => k.clone(),
            other => {
                return Err(AppError::invalid_pubkey(format!(
                    "genesis validator key must be 32-byte ed25519, got {other:?}"
                )))
            }
        };
        if v.power <= 0 {
            return Err(AppError::invalid_request(format!(
                "genesis validator power must be positive, got {}",
                v.power
            )));
        }
        set_validator(
            ctx,
            &Validator {
                pubkey,
                power: v.power,
            },
        )?;
    }
    Ok(())
}
