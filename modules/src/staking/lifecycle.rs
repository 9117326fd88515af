//! Staking genesis: params (overrides of the SDK's defaults), and the genesis validators:
//! gentx-like records, each created and self-bonded through the same path as
//! MsgCreateValidator, so the first validator set is chosen by the same rule as every later
//! one and returned to CometBFT from InitChain.

use super::state;
use super::validators::{self, NewValidator};
use crate::address::Address;
use crate::context::Ctx;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use base64::Engine;
use glia_proto::cosmos::cosmos::staking::v1beta1::{CommissionRates, Description, Params};
use serde::{Deserialize, Serialize};
use tendermint_proto::google::protobuf::Duration;

/// `app_state.staking`: params left out keep their defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub params: Option<GenesisParams>,
    /// Validators bonded at genesis, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<GenesisValidator>,
}

/// A genesis validator, as a gentx states it: the operator account (which pays the self-bond
/// from its genesis balance), its ed25519 consensus key, the self-bond and commission.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// `glia1…`: the operator's account.
    pub operator: String,
    /// The consensus key, base64 of its 32 bytes (as `priv_validator_key.json` writes it).
    pub consensus_pubkey: String,
    /// Tokens (uglia) bonded from the operator's balance.
    pub self_bond: String,
    pub moniker: String,
    /// Point form, e.g. "0.1".
    pub commission_rate: String,
    pub commission_max_rate: String,
    pub commission_max_change_rate: String,
    #[serde(default = "one")]
    pub min_self_delegation: String,
}

fn one() -> String {
    "1".into()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParams {
    /// How long undelegated tokens stay slashable; IBC light clients of this chain trust a
    /// header for two thirds of it.
    pub unbonding_seconds: Option<u64>,
    pub max_validators: Option<u32>,
    pub max_entries: Option<u32>,
    pub historical_entries: Option<u32>,
    /// A decimal in point form, e.g. "0.05".
    pub min_commission_rate: Option<String>,
}

/// Applies genesis overrides to the defaults and checks the result.
pub fn params_from(g: &Genesis) -> AppResult<Params> {
    let mut p = state::default_params();
    if let Some(gp) = &g.params {
        if let Some(s) = gp.unbonding_seconds {
            let seconds = i64::try_from(s).map_err(|_| {
                AppError::invalid_request(format!(
                    "staking params: unbonding_seconds {s} is too large"
                ))
            })?;
            p.unbonding_time = Some(Duration { seconds, nanos: 0 });
        }
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = gp.$f { p.$f = v; })* };
        }
        set!(max_validators, max_entries, historical_entries);
        if let Some(r) = &gp.min_commission_rate {
            p.min_commission_rate = Dec::parse(r)?.to_proto();
        }
    }
    check_params(&p)?;
    Ok(p)
}

fn check_params(p: &Params) -> AppResult<()> {
    let bad = |m: &str| Err(AppError::invalid_request(format!("staking params: {m}")));
    if p.unbonding_time.as_ref().map_or(0, |d| d.seconds) <= 0 {
        return bad("unbonding_time must be positive");
    }
    if p.max_validators == 0 || p.max_entries == 0 {
        return bad("max_validators and max_entries must be positive");
    }
    // Relayers refuse a chain that keeps no historical entries: a counterparty could not
    // verify this chain's client on a connection handshake.
    if p.historical_entries == 0 {
        return bad("historical_entries must be positive (IBC relayers require it)");
    }
    if Dec::from_proto(&p.min_commission_rate)? > Dec::ONE {
        return bad("min_commission_rate must be at most 1");
    }
    Ok(())
}

/// The genesis section that [`params_from`] reads back to `p`.
pub fn export(p: &Params) -> AppResult<Genesis> {
    Ok(Genesis {
        validators: Vec::new(),
        params: Some(GenesisParams {
            unbonding_seconds: Some(
                p.unbonding_time
                    .as_ref()
                    .map_or(0, |d| d.seconds.max(0) as u64),
            ),
            max_validators: Some(p.max_validators),
            max_entries: Some(p.max_entries),
            historical_entries: Some(p.historical_entries),
            min_commission_rate: Some(Dec::from_proto(&p.min_commission_rate)?.to_string()),
        }),
    })
}

/// Creates and bonds the genesis validators (the first set is chosen at the end of genesis).
pub fn init_genesis(ctx: &mut Ctx<'_>, g: &Genesis) -> AppResult<()> {
    for (i, v) in g.validators.iter().enumerate() {
        let bad = |m: String| {
            AppError::invalid_request(format!("app_state.staking.validators[{i}]: {m}"))
        };
        let operator = Address::parse(&v.operator).map_err(|e| bad(format!("operator: {e}")))?;
        let pubkey = base64::engine::general_purpose::STANDARD
            .decode(&v.consensus_pubkey)
            .map_err(|e| bad(format!("consensus_pubkey is not base64: {e}")))?;
        if pubkey.len() != 32 {
            return Err(bad(format!(
                "consensus_pubkey must be a 32-byte ed25519 key, got {} bytes",
                pubkey.len()
            )));
        }
        let int = |s: &str, what: &str| {
            crate::coins::parse_amount(s).map_err(|e| bad(format!("{what}: {e}")))
        };
        let dec = |s: &str| Dec::parse(s).map(|d| d.to_proto());
        let new = NewValidator {
            operator,
            pubkey,
            description: Description {
                moniker: v.moniker.clone(),
                ..Default::default()
            },
            rates: CommissionRates {
                rate: dec(&v.commission_rate)?,
                max_rate: dec(&v.commission_max_rate)?,
                max_change_rate: dec(&v.commission_max_change_rate)?,
            },
            min_self_delegation: int(&v.min_self_delegation, "min_self_delegation")?,
            self_bond: int(&v.self_bond, "self_bond")?,
        };
        validators::create(ctx, new).map_err(|e| AppError {
            log: format!("app_state.staking.validators[{i}]: {}", e.log),
            ..e
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Genesis overrides apply over the SDK's defaults, export reads back to the same params,
    /// and a params set a relayer or a delegator could not live with is refused by name.
    #[test]
    fn params_from_genesis_are_checked_and_export_reads_back() {
        let d = params_from(&Genesis::default()).unwrap();
        assert_eq!(d, state::default_params());
        assert_eq!(d.unbonding_time.as_ref().unwrap().seconds, 1_814_400);
        let g = Genesis {
            params: Some(GenesisParams {
                unbonding_seconds: Some(240),
                min_commission_rate: Some("0.05".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let p = params_from(&g).unwrap();
        assert_eq!(p.unbonding_time.as_ref().unwrap().seconds, 240);
        assert_eq!(p.min_commission_rate, "50000000000000000");
        assert_eq!(params_from(&export(&p).unwrap()).unwrap(), p);
        let refused = |gp: GenesisParams| {
            params_from(&Genesis {
                params: Some(gp),
                ..Default::default()
            })
            .unwrap_err()
            .log
        };
        let e = refused(GenesisParams {
            historical_entries: Some(0),
            ..Default::default()
        });
        assert!(e.contains("historical_entries must be positive"), "{e}");
        let e = refused(GenesisParams {
            min_commission_rate: Some("1.5".into()),
            ..Default::default()
        });
        assert!(e.contains("at most 1"), "{e}");
        let e = refused(GenesisParams {
            unbonding_seconds: Some(0),
            ..Default::default()
        });
        assert!(e.contains("unbonding_time must be positive"), "{e}");
    }
}
