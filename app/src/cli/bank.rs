//! `gliad tx bank send FROM TO AMOUNT`: a transfer as the Cosmos SDK's CLI takes it, signed by
//! a key of the keyring (or a localnet account), gas from a simulation.

use super::signer::SignerArgs;
use anyhow::{bail, Context, Result};
use glia_client::tx::any;
use glia_modules::coins::Coin;
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;

#[derive(clap::Args)]
pub struct SendArgs {
    /// The sender: a key of the keyring (name or address), else a localnet account.
    #[arg(value_name = "FROM")]
    pub from_key: String,
    /// The recipient's address (glia1…).
    pub to: String,
    /// What to send: an amount and denom, several separated by commas (1000uglia,5ibc/…).
    pub amount: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// `1000uglia,5ibc/27A6…` as coins, each positive.
pub fn parse_amount(s: &str) -> Result<Vec<Coin>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .with_context(|| format!("{part:?} has no denom (e.g. 1000uglia)"))?;
        let (n, denom) = part.split_at(split);
        let amount = glia_modules::coins::parse_amount(n)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("amount {part:?}"))?;
        if amount == 0 {
            bail!("{part:?}: amounts must be positive");
        }
        glia_modules::coins::validate_denom(denom)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("denom of {part:?}"))?;
        out.push(Coin::new(denom, amount));
    }
    Ok(out)
}

pub fn send(mut a: SendArgs) -> Result<()> {
    glia_modules::address::Address::parse(&a.to)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("recipient {}", a.to))?;
    let coins = parse_amount(&a.amount)?;
    a.signer.from = Some(a.from_key.clone());
    let signer = a.signer.resolve()?;
    let key = &signer.key;
    let msg = MsgSend {
        from_address: key.address.to_bech32(),
        to_address: a.to.clone(),
        amount: coins.iter().map(Coin::to_proto).collect(),
    };
    let what = format!("sent {} from {} to {}", a.amount, key.address, a.to);
    signer.send_and_print(vec![any(&msg)], &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_the_sdk_writes_them() {
        let c = parse_amount(
            "1000uglia, 5ibc/27A6394C3F9FF9C9DCF5DFFADF9BB5FE9A37C7E92B006199894CF1824DF9AC7C",
        )
        .unwrap();
        assert_eq!(c[0], Coin::new("uglia", 1000));
        assert_eq!(c[1].amount, 5);
        for bad in ["uglia", "0uglia", "10", "-5uglia", "1.5uglia"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }
}
