//! Bank messages and their stateless checks.

use crate::address::Address;
use crate::coins::{parse_coins, Coin};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use glia_proto::cosmos::Any;
use prost::{Message, Name};

/// A bank message, checked statelessly.
#[derive(Clone, Debug)]
pub enum BankMsg {
    Send {
        from: Address,
        to: Address,
        amount: Vec<Coin>,
    },
    MultiSend {
        input: (Address, Vec<Coin>),
        outputs: Vec<(Address, Vec<Coin>)>,
    },
}

fn addr(s: &str, which: &str) -> AppResult<Address> {
    Address::parse(s)
        .map_err(|e| AppError::invalid_address(format!("invalid {which} address: {e}")))
}

fn sum(coins: &mut Vec<Coin>, add: &[Coin]) -> AppResult<()> {
    for c in add {
        match coins.iter_mut().find(|x| x.denom == c.denom) {
            Some(x) => {
                x.amount = x
                    .amount
                    .checked_add(c.amount)
                    .ok_or_else(|| AppError::invalid_coins("sum of amounts overflows"))?
            }
            None => coins.push(c.clone()),
        }
    }
    coins.sort();
    Ok(())
}

impl BankMsg {
    /// Decodes and checks an `Any` if it is a bank message; `None` if the type is not bank's.
    pub fn decode(any: &Any) -> Option<AppResult<BankMsg>> {
        if any.type_url == MsgSend::type_url() {
            Some(Self::check_send(any))
        } else if any.type_url == MsgMultiSend::type_url() {
            Some(Self::check_multi_send(any))
        } else {
            None
        }
    }

    fn check_send(any: &Any) -> AppResult<BankMsg> {
        let m = MsgSend::decode(any.value.as_slice())
            .map_err(|e| AppError::tx_decode(format!("MsgSend: {e}")))?;
        Ok(BankMsg::Send {
            from: addr(&m.from_address, "from")?,
            to: addr(&m.to_address, "to")?,
            amount: parse_coins(&m.amount, false)?,
        })
    }

    fn check_multi_send(any: &Any) -> AppResult<BankMsg> {
        let m = MsgMultiSend::decode(any.value.as_slice())
            .map_err(|e| AppError::tx_decode(format!("MsgMultiSend: {e}")))?;
        // As in the SDK since v0.47: exactly one input.
        if m.inputs.len() != 1 {
            return Err(AppError::invalid_request(format!(
                "multi-send needs exactly one input, got {}",
                m.inputs.len()
            )));
        }
        if m.outputs.is_empty() {
            return Err(AppError::invalid_request("multi-send has no outputs"));
        }
        let input = (
            addr(&m.inputs[0].address, "input")?,
            parse_coins(&m.inputs[0].coins, false)?,
        );
        let mut outputs = Vec::with_capacity(m.outputs.len());
        let mut total = Vec::new();
        for o in &m.outputs {
            let coins = parse_coins(&o.coins, false)?;
            sum(&mut total, &coins)?;
            outputs.push((addr(&o.address, "output")?, coins));
        }
        if total != input.1 {
            return Err(AppError::invalid_coins(format!(
                "sum of outputs {} does not equal the input {}",
                crate::coins::format_coins(&total),
                crate::coins::format_coins(&input.1)
            )));
        }
        Ok(BankMsg::MultiSend { input, outputs })
    }

    /// The addresses that must sign.
    pub fn signers(&self) -> Vec<Address> {
        match self {
            BankMsg::Send { from, .. } => vec![from.clone()],
            BankMsg::MultiSend { input, .. } => vec![input.0.clone()],
        }
    }
}
