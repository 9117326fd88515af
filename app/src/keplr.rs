//! The chain-info JSON a wallet needs to add Glia (Keplr's `experimentalSuggestChain`), made
//! from the node's own state and configuration: chain id and minimum gas price from state, the
//! node's mempool price, its public RPC and REST URLs. Served by the HTTP API at `/keplr.json`
//! and written by `localnet/up.sh` to `localnet/.run/keplr.json`. Keplr's validator
//! (chainapsis/keplr-wallet `packages/chain-validator/src/schema.ts`) refuses a chain whose
//! info breaks its schema: names of 1–36 characters, integer decimals of 0–18, gas price steps
//! low ≤ average ≤ high, features from its list, the stake currency among the currencies, and
//! all six bech32 prefixes; `tests/keplr.py` checks this document against those rules.

use crate::app::App;
use glia_modules::address::{PREFIX, VALOPER_PREFIX};
use glia_modules::coins::{GasPrice, BASE_DENOM};
use glia_modules::error::AppResult;
use serde_json::{json, Value};

/// The display unit: 1 GLIA = 10^6 uglia.
pub const DISPLAY_DENOM: &str = "GLIA";
pub const DECIMALS: u32 = 6;
/// BIP-44 coin type of Glia's keys (the Cosmos Hub's: `m/44'/118'/0'/0/0`).
pub const COIN_TYPE: u32 = 118;

/// Keplr's chain info for this node. `rpc` and `rest` are the URLs a browser reaches the node
/// at. The gas price steps start at the price this node's mempool asks (low) and offer 1.5× and
/// 2× for a faster inclusion when blocks are full.
pub fn chain_info(app: &App, rpc: &str, rest: &str) -> AppResult<Value> {
    let latest = app.0.store.latest();
    let (params, chain_price) = App::params(&latest)?;
    let price = app.0.config.min_gas_price.clone().unwrap_or(chain_price);
    Ok(document(&params.chain_id, rpc, rest, &price))
}

fn document(chain_id: &str, rpc: &str, rest: &str, price: &GasPrice) -> Value {
    // Display only (a wallet's fee suggestion): never part of consensus.
    let low = price.numerator as f64 / 10f64.powi(price.scale as i32);
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let currency = json!({
        "coinDenom": DISPLAY_DENOM,
        "coinMinimalDenom": BASE_DENOM,
        "coinDecimals": DECIMALS,
    });
    let mut fee = currency.clone();
    fee["gasPriceStep"] =
        json!({"low": round(low), "average": round(low * 1.5), "high": round(low * 2.0)});
    json!({
        "chainId": chain_id,
        "chainName": format!("Glia {chain_id}").chars().take(36).collect::<String>(),
        "rpc": rpc.trim_end_matches('/'),
        "rest": rest.trim_end_matches('/'),
        "bip44": {"coinType": COIN_TYPE},
        "bech32Config": {
            "bech32PrefixAccAddr": PREFIX,
            "bech32PrefixAccPub": format!("{PREFIX}pub"),
            "bech32PrefixValAddr": VALOPER_PREFIX,
            "bech32PrefixValPub": format!("{VALOPER_PREFIX}pub"),
            "bech32PrefixConsAddr": format!("{PREFIX}valcons"),
            "bech32PrefixConsPub": format!("{PREFIX}valconspub"),
        },
        "currencies": [currency.clone()],
        "feeCurrencies": [fee],
        "stakeCurrency": currency,
        "features": ["ibc-transfer", "ibc-go", "query:/cosmos/bank/v1beta1/spendable_balances"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_price_steps_rise_from_the_mempool_price() {
        let d = document(
            "glia-local-1",
            "http://127.0.0.1:26657/",
            "http://127.0.0.1:1317",
            &GasPrice::parse("0.025uglia").unwrap(),
        );
        let step = &d["feeCurrencies"][0]["gasPriceStep"];
        assert_eq!(
            (
                step["low"].as_f64(),
                step["average"].as_f64(),
                step["high"].as_f64()
            ),
            (Some(0.025), Some(0.0375), Some(0.05))
        );
        assert_eq!(d["rpc"], "http://127.0.0.1:26657");
        assert_eq!(d["chainName"], "Glia glia-local-1");
        assert_eq!(d["bech32Config"]["bech32PrefixValAddr"], "gliavaloper");
        assert_eq!(d["stakeCurrency"]["coinMinimalDenom"], "uglia");
    }
}
