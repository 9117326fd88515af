//! Staking, distribution and slashing txs as the Cosmos SDK's CLI takes them:
//! `gliad tx staking create-validator|edit-validator|delegate|redelegate|unbond`, `gliad tx distribution
//! withdraw-rewards|withdraw-all-rewards|set-withdraw-addr`, `gliad tx slashing unjail`; each
//! signed `--from` a key (or a localnet account), gas from a simulation, `-o json` for scripts.

use super::bank::parse_amount;
use super::signer::SignerArgs;
use anyhow::{bail, Context, Result};
use glia_client::tx::any;
use glia_modules::address::Address;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    MsgSetWithdrawAddress, MsgWithdrawDelegatorReward, MsgWithdrawValidatorCommission,
};
use glia_proto::cosmos::cosmos::slashing::v1beta1::MsgUnjail;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgBeginRedelegate, MsgCreateValidator, MsgDelegate,
    MsgEditValidator, MsgUndelegate,
};
use glia_proto::cosmos::Any;
use std::path::PathBuf;

fn valoper(s: &str) -> Result<String> {
    Address::parse_valoper(s)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("validator {s:?} (a gliavaloper1… address)"))?;
    Ok(s.to_string())
}

/// One coin of the amount (staking takes a single coin).
fn one_coin(s: &str) -> Result<ProtoCoin> {
    let coins = parse_amount(s)?;
    match coins.as_slice() {
        [c] => Ok(c.to_proto()),
        _ => bail!("{s:?}: one amount with its denom, e.g. 1000000uglia"),
    }
}

#[derive(clap::Args)]
pub struct DelegateArgs {
    /// The validator's operator address (gliavaloper1…).
    pub validator: String,
    /// The amount to bond, e.g. 1000000uglia.
    pub amount: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn delegate(a: DelegateArgs) -> Result<()> {
    let (validator, amount) = (valoper(&a.validator)?, one_coin(&a.amount)?);
    let s = a.signer.resolve()?;
    let msg = MsgDelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_address: validator.clone(),
        amount: Some(amount),
    };
    let what = format!("delegated {} to {validator}", a.amount);
    s.send_and_print(vec![any(&msg)], &what)
}

#[derive(clap::Args)]
pub struct RedelegateArgs {
    /// The validator the stake leaves (gliavaloper1…).
    pub src_validator: String,
    /// The validator it goes to (gliavaloper1…).
    pub dst_validator: String,
    /// The amount, e.g. 1000000uglia.
    pub amount: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn redelegate(a: RedelegateArgs) -> Result<()> {
    let (src, dst) = (valoper(&a.src_validator)?, valoper(&a.dst_validator)?);
    let amount = one_coin(&a.amount)?;
    let s = a.signer.resolve()?;
    let msg = MsgBeginRedelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_src_address: src.clone(),
        validator_dst_address: dst.clone(),
        amount: Some(amount),
    };
    let what = format!("redelegated {} from {src} to {dst}", a.amount);
    s.send_and_print(vec![any(&msg)], &what)
}

#[derive(clap::Args)]
pub struct UnbondArgs {
    /// The validator (gliavaloper1…).
    pub validator: String,
    /// The amount to unbond, e.g. 1000000uglia (paid out after the unbonding time).
    pub amount: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn unbond(a: UnbondArgs) -> Result<()> {
    let (validator, amount) = (valoper(&a.validator)?, one_coin(&a.amount)?);
    let s = a.signer.resolve()?;
    let msg = MsgUndelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_address: validator.clone(),
        amount: Some(amount),
    };
    let what = format!("unbonding {} from {validator}", a.amount);
    s.send_and_print(vec![any(&msg)], &what)
}

#[derive(clap::Args)]
pub struct WithdrawArgs {
    /// The validator whose delegation's rewards to withdraw (gliavaloper1…).
    pub validator: String,
    /// Also withdraw the validator's commission (the signer must be its operator).
    #[arg(long)]
    pub commission: bool,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn withdraw_rewards(a: WithdrawArgs) -> Result<()> {
    let validator = valoper(&a.validator)?;
    let s = a.signer.resolve()?;
    let mut msgs = vec![any(&MsgWithdrawDelegatorReward {
        delegator_address: s.key.address.to_bech32(),
        validator_address: validator.clone(),
    })];
    if a.commission {
        msgs.push(any(&MsgWithdrawValidatorCommission {
            validator_address: validator.clone(),
        }));
    }
    let what = format!("withdrew rewards from {validator}");
    s.send_and_print(msgs, &what)
}

#[derive(clap::Args)]
pub struct WithdrawAllArgs {
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// Every delegation's rewards, in one tx (the validators read from the chain).
pub fn withdraw_all_rewards(a: WithdrawAllArgs) -> Result<()> {
    use glia_proto::cosmos::cosmos::staking::v1beta1::{
        QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse,
    };
    let s = a.signer.resolve()?;
    let me = s.key.address.to_bech32();
    let r: QueryDelegatorDelegationsResponse = s.rpc.query(
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        &QueryDelegatorDelegationsRequest {
            delegator_addr: me.clone(),
            pagination: None,
        },
    )?;
    let msgs: Vec<Any> = r
        .delegation_responses
        .iter()
        .filter_map(|d| d.delegation.as_ref())
        .map(|d| {
            any(&MsgWithdrawDelegatorReward {
                delegator_address: me.clone(),
                validator_address: d.validator_address.clone(),
            })
        })
        .collect();
    if msgs.is_empty() {
        bail!("{me} has no delegations, so no rewards to withdraw");
    }
    let what = format!("withdrew the rewards of {} delegations", msgs.len());
    s.send_and_print(msgs, &what)
}

#[derive(clap::Args)]
pub struct SetWithdrawAddrArgs {
    /// Where rewards are paid from now on (glia1…).
    pub withdraw_address: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn set_withdraw_addr(a: SetWithdrawAddrArgs) -> Result<()> {
    Address::parse(&a.withdraw_address)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("withdraw address {}", a.withdraw_address))?;
    let s = a.signer.resolve()?;
    let msg = MsgSetWithdrawAddress {
        delegator_address: s.key.address.to_bech32(),
        withdraw_address: a.withdraw_address.clone(),
    };
    let what = format!("rewards now go to {}", a.withdraw_address);
    s.send_and_print(vec![any(&msg)], &what)
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(clap::Args)]
pub struct SetAutoWithdrawArgs {
    /// on: at every useful-work epoch's end, your staking rewards (and, for a validator's
    /// operator, its commission) are paid to your withdraw address with no tx; off: stop.
    #[arg(value_enum)]
    pub state: OnOff,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn set_auto_withdraw(a: SetAutoWithdrawArgs) -> Result<()> {
    let s = a.signer.resolve()?;
    let enabled = matches!(a.state, OnOff::On);
    let msg = glia_proto::distribution::v1::MsgSetAutoWithdraw {
        delegator_address: s.key.address.to_bech32(),
        enabled,
    };
    let what = if enabled {
        "rewards are now withdrawn at every epoch's end"
    } else {
        "automatic withdrawal is off"
    };
    s.send_and_print(vec![any(&msg)], what)
}

#[derive(clap::Args)]
pub struct UnjailArgs {
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// The signer's validator back in the set (after its jail time).
pub fn unjail(a: UnjailArgs) -> Result<()> {
    let s = a.signer.resolve()?;
    let validator = s.key.address.to_valoper();
    let msg = MsgUnjail {
        validator_addr: validator.clone(),
    };
    let what = format!("unjailed {validator}");
    s.send_and_print(vec![any(&msg)], &what)
}

/// The validator's public description; each field left out keeps the SDK's "do not modify"
/// marker in `edit-validator` (and is empty in `create-validator`).
#[derive(clap::Args)]
pub struct DescriptionArgs {
    /// The validator's name, as wallets and the web page show it.
    #[arg(long)]
    pub moniker: Option<String>,
    /// A keybase.io identity (its 16-hex-digit key suffix), for the avatar wallets show.
    #[arg(long)]
    pub identity: Option<String>,
    /// The operator's website.
    #[arg(long)]
    pub website: Option<String>,
    /// How to reach the operator about security.
    #[arg(long)]
    pub security_contact: Option<String>,
    /// A few words about the validator (its GPUs, say).
    #[arg(long)]
    pub details: Option<String>,
}

impl DescriptionArgs {
    fn to_proto(&self, unset: &str) -> Description {
        let f = |v: &Option<String>| v.clone().unwrap_or_else(|| unset.to_string());
        Description {
            moniker: f(&self.moniker),
            identity: f(&self.identity),
            website: f(&self.website),
            security_contact: f(&self.security_contact),
            details: f(&self.details),
        }
    }
}

#[derive(clap::Args)]
pub struct CreateValidatorArgs {
    /// The self-bond, e.g. 1000000000uglia (the consensus power is the bond over 10^6).
    #[arg(long)]
    pub amount: String,
    /// The consensus public key as `cometbft show-validator` prints it:
    /// {"@type":"/cosmos.crypto.ed25519.PubKey","key":"<base64>"}.
    #[arg(
        long,
        conflicts_with = "validator_key",
        required_unless_present = "validator_key"
    )]
    pub pubkey: Option<String>,
    /// Or the node's CometBFT key file (HOME/config/priv_validator_key.json): only its public
    /// key is read.
    #[arg(long, value_name = "FILE")]
    pub validator_key: Option<PathBuf>,
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// Commission on delegators' rewards, a fraction (0.1 is 10%).
    #[arg(long, default_value = "0.1")]
    pub commission_rate: String,
    /// The most the commission may ever be.
    #[arg(long, default_value = "0.2")]
    pub commission_max_rate: String,
    /// The most the commission may change in a day.
    #[arg(long, default_value = "0.01")]
    pub commission_max_change_rate: String,
    /// The self-delegation below which the validator is jailed (uglia).
    #[arg(long, default_value = "1")]
    pub min_self_delegation: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

fn dec(flag: &str, s: &str) -> Result<String> {
    Ok(glia_modules::decimal::Dec::parse(s)
        .map_err(|e| anyhow::anyhow!("--{flag} {s:?}: {e} (a fraction such as 0.1)"))?
        .to_proto())
}

/// The ed25519 consensus key from `--pubkey` JSON or a priv_validator_key.json.
fn consensus_pubkey(a: &CreateValidatorArgs) -> Result<Any> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = match (&a.pubkey, &a.validator_key) {
        (Some(json), _) => {
            let v: serde_json::Value = serde_json::from_str(json)
                .context("--pubkey is not JSON; pass what `cometbft show-validator` prints")?;
            if v["@type"] != "/cosmos.crypto.ed25519.PubKey" {
                bail!("--pubkey: only /cosmos.crypto.ed25519.PubKey consensus keys are supported");
            }
            b64.decode(v["key"].as_str().unwrap_or_default())
                .context("--pubkey: `key` is not base64")?
        }
        (None, Some(path)) => {
            let v: serde_json::Value = serde_json::from_slice(
                &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            )
            .with_context(|| format!("{} is not JSON", path.display()))?;
            b64.decode(v["pub_key"]["value"].as_str().unwrap_or_default())
                .with_context(|| format!("{}: no base64 pub_key.value", path.display()))?
        }
        (None, None) => bail!("pass --pubkey or --validator-key"),
    };
    if key.len() != 32 {
        bail!(
            "the consensus key is {} bytes; an ed25519 key is 32",
            key.len()
        );
    }
    Ok(Any {
        type_url: "/cosmos.crypto.ed25519.PubKey".into(),
        value: prost::Message::encode_to_vec(&Ed25519PubKey { key }),
    })
}

/// `MsgCreateValidator` for the signer's own operator address (gliavaloper… of `--from`).
#[allow(deprecated)] // delegator_address: left empty, as SDK 0.50 clients do
pub fn create_validator(a: CreateValidatorArgs) -> Result<()> {
    let amount = one_coin(&a.amount)?;
    let pubkey = consensus_pubkey(&a)?;
    let commission = CommissionRates {
        rate: dec("commission-rate", &a.commission_rate)?,
        max_rate: dec("commission-max-rate", &a.commission_max_rate)?,
        max_change_rate: dec("commission-max-change-rate", &a.commission_max_change_rate)?,
    };
    let s = a.signer.resolve()?;
    let operator = s.key.address.to_valoper();
    let msg = MsgCreateValidator {
        description: Some(a.description.to_proto("")),
        commission: Some(commission),
        min_self_delegation: a.min_self_delegation.clone(),
        delegator_address: String::new(),
        validator_address: operator.clone(),
        pubkey: Some(pubkey),
        value: Some(amount),
    };
    let what = format!("validator {operator} created with {}", a.amount);
    s.send_and_print(vec![any(&msg)], &what)
}

#[derive(clap::Args)]
pub struct EditValidatorArgs {
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// A new commission rate (at most the max change rate away, once a day).
    #[arg(long)]
    pub commission_rate: Option<String>,
    /// A new, higher minimum self-delegation (uglia).
    #[arg(long)]
    pub min_self_delegation: Option<String>,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// `MsgEditValidator` for the signer's validator: only the fields given change.
pub fn edit_validator(a: EditValidatorArgs) -> Result<()> {
    let commission_rate = match &a.commission_rate {
        Some(r) => dec("commission-rate", r)?,
        None => String::new(),
    };
    let s = a.signer.resolve()?;
    let operator = s.key.address.to_valoper();
    let msg = MsgEditValidator {
        description: Some(
            a.description
                .to_proto(glia_modules::staking::validators::DO_NOT_MODIFY),
        ),
        validator_address: operator.clone(),
        commission_rate,
        min_self_delegation: a.min_self_delegation.clone().unwrap_or_default(),
    };
    s.send_and_print(vec![any(&msg)], &format!("validator {operator} edited"))
}
