//! Staking, distribution and slashing txs as the Cosmos SDK's CLI takes them:
//! `gliad tx staking delegate|redelegate|unbond`, `gliad tx distribution
//! withdraw-rewards|withdraw-all-rewards|set-withdraw-addr`, `gliad tx slashing unjail`; each
//! signed `--from` a key (or a localnet account), gas from a simulation, `-o json` for scripts.

use super::bank::parse_amount;
use super::keys::Output;
use super::signer::{Signer, SignerArgs};
use anyhow::{bail, Context, Result};
use glia_client::tx::any;
use glia_modules::address::Address;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    MsgSetWithdrawAddress, MsgWithdrawDelegatorReward, MsgWithdrawValidatorCommission,
};
use glia_proto::cosmos::cosmos::slashing::v1beta1::MsgUnjail;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgDelegate, MsgUndelegate,
};
use glia_proto::cosmos::Any;

/// Flags every command here takes: who signs, where, and the output format.
#[derive(clap::Args)]
pub struct Common {
    /// Output format: text or json.
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: Output,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// Signs and sends `msgs`, then prints the result: `what` in text, or the tx's figures as JSON.
pub fn send_and_print(s: &Signer, msgs: Vec<Any>, output: Output, what: &str) -> Result<()> {
    let (hash, r, fee) = s.send(msgs)?;
    match output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "txhash": hash, "height": r["height"], "code": r["tx_result"]["code"],
                "gas_wanted": r["tx_result"]["gas_wanted"], "gas_used": r["tx_result"]["gas_used"],
                "fee": fee.to_string(),
            })
        ),
        Output::Text => println!(
            "{what} in block {} (tx {hash}, fee {fee})",
            r["height"].as_str().unwrap_or("?")
        ),
    }
    Ok(())
}

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
    pub common: Common,
}

pub fn delegate(a: DelegateArgs) -> Result<()> {
    let (validator, amount) = (valoper(&a.validator)?, one_coin(&a.amount)?);
    let s = a.common.signer.resolve()?;
    let msg = MsgDelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_address: validator.clone(),
        amount: Some(amount),
    };
    let what = format!("delegated {} to {validator}", a.amount);
    send_and_print(&s, vec![any(&msg)], a.common.output, &what)
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
    pub common: Common,
}

pub fn redelegate(a: RedelegateArgs) -> Result<()> {
    let (src, dst) = (valoper(&a.src_validator)?, valoper(&a.dst_validator)?);
    let amount = one_coin(&a.amount)?;
    let s = a.common.signer.resolve()?;
    let msg = MsgBeginRedelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_src_address: src.clone(),
        validator_dst_address: dst.clone(),
        amount: Some(amount),
    };
    let what = format!("redelegated {} from {src} to {dst}", a.amount);
    send_and_print(&s, vec![any(&msg)], a.common.output, &what)
}

#[derive(clap::Args)]
pub struct UnbondArgs {
    /// The validator (gliavaloper1…).
    pub validator: String,
    /// The amount to unbond, e.g. 1000000uglia (paid out after the unbonding time).
    pub amount: String,
    #[command(flatten)]
    pub common: Common,
}

pub fn unbond(a: UnbondArgs) -> Result<()> {
    let (validator, amount) = (valoper(&a.validator)?, one_coin(&a.amount)?);
    let s = a.common.signer.resolve()?;
    let msg = MsgUndelegate {
        delegator_address: s.key.address.to_bech32(),
        validator_address: validator.clone(),
        amount: Some(amount),
    };
    let what = format!("unbonding {} from {validator}", a.amount);
    send_and_print(&s, vec![any(&msg)], a.common.output, &what)
}

#[derive(clap::Args)]
pub struct WithdrawArgs {
    /// The validator whose delegation's rewards to withdraw (gliavaloper1…).
    pub validator: String,
    /// Also withdraw the validator's commission (the signer must be its operator).
    #[arg(long)]
    pub commission: bool,
    #[command(flatten)]
    pub common: Common,
}

pub fn withdraw_rewards(a: WithdrawArgs) -> Result<()> {
    let validator = valoper(&a.validator)?;
    let s = a.common.signer.resolve()?;
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
    send_and_print(&s, msgs, a.common.output, &what)
}

#[derive(clap::Args)]
pub struct WithdrawAllArgs {
    #[command(flatten)]
    pub common: Common,
}

/// Every delegation's rewards, in one tx (the validators read from the chain).
pub fn withdraw_all_rewards(a: WithdrawAllArgs) -> Result<()> {
    use glia_proto::cosmos::cosmos::staking::v1beta1::{
        QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse,
    };
    let s = a.common.signer.resolve()?;
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
    send_and_print(&s, msgs, a.common.output, &what)
}

#[derive(clap::Args)]
pub struct SetWithdrawAddrArgs {
    /// Where rewards are paid from now on (glia1…).
    pub withdraw_address: String,
    #[command(flatten)]
    pub common: Common,
}

pub fn set_withdraw_addr(a: SetWithdrawAddrArgs) -> Result<()> {
    Address::parse(&a.withdraw_address)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("withdraw address {}", a.withdraw_address))?;
    let s = a.common.signer.resolve()?;
    let msg = MsgSetWithdrawAddress {
        delegator_address: s.key.address.to_bech32(),
        withdraw_address: a.withdraw_address.clone(),
    };
    let what = format!("rewards now go to {}", a.withdraw_address);
    send_and_print(&s, vec![any(&msg)], a.common.output, &what)
}

#[derive(clap::Args)]
pub struct UnjailArgs {
    #[command(flatten)]
    pub common: Common,
}

/// The signer's validator back in the set (after its jail time).
pub fn unjail(a: UnjailArgs) -> Result<()> {
    let s = a.common.signer.resolve()?;
    let validator = s.key.address.to_valoper();
    let msg = MsgUnjail {
        validator_addr: validator.clone(),
    };
    let what = format!("unjailed {validator}");
    send_and_print(&s, vec![any(&msg)], a.common.output, &what)
}
