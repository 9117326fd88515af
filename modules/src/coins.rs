//! Coins with integer amounts, validated as the Cosmos SDK validates them.

use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::inference::v1::FeeDenom;

/// The staking and fee denom.
pub const DENOM: &str = "uglia";

/// A positive amount of one denom.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(denom: &str, amount: u128) -> Self {
        Coin {
            denom: denom.to_string(),
            amount,
        }
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl std::fmt::Display for Coin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// `100uglia,5foo`, as the SDK prints coins in events.
pub fn format_coins(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// What a denom other than uglia is worth where the chain accepts it for requests: `units` of
/// it for `uglia` uglia (both positive). Integer only: prices round up (a payer never pays
/// less than the uglia price), worth rounds down (nobody is credited more than was paid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub units: u128,
    pub uglia: u128,
}

impl Rate {
    /// uglia itself.
    pub const ONE: Rate = Rate { units: 1, uglia: 1 };

    /// A price of `amount` uglia in this denom: ceil(amount × units / uglia); `None` when it
    /// does not fit 128 bits.
    pub fn price(&self, amount: u128) -> Option<u128> {
        if self.uglia == 0 {
            return None;
        }
        Some(amount.checked_mul(self.units)?.div_ceil(self.uglia))
    }

    /// What `amount` of this denom is worth in uglia: floor(amount × uglia / units),
    /// saturating.
    pub fn worth(&self, amount: u128) -> u128 {
        let Some(units) = std::num::NonZeroU128::new(self.units) else {
            return 0;
        };
        match amount.checked_mul(self.uglia) {
            Some(x) => x / units,
            None => (amount / units).saturating_mul(self.uglia),
        }
    }
}

/// A fee denom as genesis writes it: `{"denom": "transfer/channel-0/uatom", "units": 1,
/// "uglia": 2}` (`units` of the denom are worth `uglia` uglia). A trace is stored as the
/// voucher's `ibc/<hash>`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFeeDenom {
    pub denom: String,
    pub units: u64,
    pub uglia: u64,
}

/// Genesis fee denoms as params store them (traces hashed).
pub fn fee_denoms_from_genesis(list: &[GenesisFeeDenom]) -> Vec<FeeDenom> {
    list.iter()
        .map(|f| FeeDenom {
            denom: bank_denom_of(&f.denom),
            units: f.units,
            uglia: f.uglia,
        })
        .collect()
}

/// Stored fee denoms as genesis exports them; `None` for none, so an export reads as before.
pub fn fee_denoms_to_genesis(list: &[FeeDenom]) -> Option<Vec<GenesisFeeDenom>> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(|f| GenesisFeeDenom {
                denom: f.denom.clone(),
                units: f.units,
                uglia: f.uglia,
            })
            .collect()
    })
}

/// A params list of fee denoms is usable: valid denoms other than uglia, each once, with
/// positive rates.
pub fn check_fee_denoms(list: &[FeeDenom]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for f in list {
        validate_denom(&f.denom).map_err(|e| format!("fee_denoms: {e}"))?;
        if f.denom == BASE_DENOM {
            return Err("fee_denoms: uglia is always accepted; list only other denoms".into());
        }
        if f.units == 0 || f.uglia == 0 {
            return Err(format!(
                "fee_denoms: {} needs positive units and uglia",
                f.denom
            ));
        }
        if !seen.insert(f.denom.as_str()) {
            return Err(format!("fee_denoms: {} is listed twice", f.denom));
        }
    }
    Ok(())
}

/// The rate at which `denom` pays where `list` is accepted: uglia at par, a listed denom at its
/// rate, anything else `None`.
pub fn fee_rate(list: &[FeeDenom], denom: &str) -> Option<Rate> {
    if denom == BASE_DENOM {
        return Some(Rate::ONE);
    }
    list.iter().find(|f| f.denom == denom).map(|f| Rate {
        units: u128::from(f.units),
        uglia: u128::from(f.uglia),
    })
}

/// The denoms `list` accepts, uglia first, for error messages.
pub fn accepted_denoms(list: &[FeeDenom]) -> String {
    std::iter::once(BASE_DENOM)
        .chain(list.iter().map(|f| f.denom.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bank denom of a name a person writes: `ibc/<hash>` as given (hash upper-cased), an ICS-20
/// trace (`transfer/channel-0/uatom`) as the voucher's `ibc/<SHA-256 of the trace>`, anything
/// else as itself.
pub fn bank_denom_of(name: &str) -> String {
    use sha2::{Digest, Sha256};
    if let Some(hash) = name.strip_prefix("ibc/") {
        format!("ibc/{}", hash.to_ascii_uppercase())
    } else if name.contains('/') {
        format!("ibc/{}", hex::encode_upper(Sha256::digest(name.as_bytes())))
    } else {
        name.to_string()
    }
}

/// Checks a denom against the SDK's rule: a letter, then 2..=127 of `[a-zA-Z0-9/:._-]`.
pub fn validate_denom(denom: &str) -> Result<(), String> {
    let mut chars = denom.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let len_ok = (3..=128).contains(&denom.len());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if first_ok && len_ok && rest_ok {
        Ok(())
    } else {
        Err(format!("invalid denom: {denom:?}"))
    }
}

/// Parses an SDK integer amount: decimal digits only (no sign), fitting in 128 bits.
pub fn parse_amount(s: &str) -> Result<u128, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "invalid amount {s:?}: must be a non-negative integer"
        ));
    }
    s.parse::<u128>()
        .map_err(|_| format!("amount {s} is out of range"))
}

/// Validates a list of coins: each denom valid, each amount positive, sorted by denom with no
/// duplicates (the SDK's `Coins.Validate`). An empty list is allowed only if `allow_empty`.
pub fn parse_coins(coins: &[ProtoCoin], allow_empty: bool) -> AppResult<Vec<Coin>> {
    let text = || {
        coins
            .iter()
            .map(|c| format!("{}{}", c.amount, c.denom))
            .collect::<Vec<_>>()
            .join(",")
    };
    if coins.is_empty() && !allow_empty {
        return Err(AppError::invalid_coins("no coins given"));
    }
    let mut out: Vec<Coin> = Vec::with_capacity(coins.len());
    for c in coins {
        validate_denom(&c.denom)
            .map_err(|e| AppError::invalid_coins(format!("{}: {e}", text())))?;
        let amount = parse_amount(&c.amount)
            .map_err(|e| AppError::invalid_coins(format!("{}: {e}", text())))?;
        if amount == 0 {
            return Err(AppError::invalid_coins(format!(
                "{}: amount must be positive",
                text()
            )));
        }
        if let Some(prev) = out.last() {
            if prev.denom >= c.denom {
                return Err(AppError::invalid_coins(format!(
                    "{}: denoms must be sorted and unique",
                    text()
                )));
            }
        }
        out.push(Coin {
            denom: c.denom.clone(),
            amount,
        });
    }
    Ok(out)
}

/// A decimal price per unit of gas, e.g. `0.025uglia`, kept as `numerator / 10^scale`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub numerator: u128,
    pub scale: u32,
    pub denom: String,
}

impl GasPrice {
    /// Parses `0.025uglia` (at most 18 decimal places, as the SDK's Dec).
    pub fn parse(s: &str) -> Result<Self, String> {
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("gas price {s:?} has no denom"))?;
        let (num, denom) = s.split_at(split);
        validate_denom(denom)?;
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() || frac.len() > 18 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid gas price {s:?}"));
        }
        let numerator = parse_amount(&format!("{int}{frac}"))?;
        Ok(GasPrice {
            numerator,
            scale: frac.len() as u32,
            denom: denom.to_string(),
        })
    }

    /// 10^scale, never zero.
    fn denominator(&self) -> std::num::NonZeroU128 {
        std::num::NonZeroU128::new(10u128.saturating_pow(self.scale))
            .unwrap_or(std::num::NonZeroU128::MIN)
    }

    /// The smallest fee that pays for `gas` at this price: ceil(gas × price).
    pub fn fee_for(&self, gas: u64) -> u128 {
        // Saturating: an absurd gas × price asks an unpayable fee, which is refused as such.
        (gas as u128)
            .saturating_mul(self.numerator)
            .div_ceil(self.denominator().get())
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let den = self.denominator();
        let (i, r) = (self.numerator / den, self.numerator % den);
        if self.scale == 0 {
            write!(f, "{i}{}", self.denom)
        } else {
            write!(f, "{i}.{:0w$}{}", r, self.denom, w = self.scale as usize)
        }
    }
}

/// The staking and fee denomination; module prices are in it.
pub const BASE_DENOM: &str = "uglia";

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(a: &str, d: &str) -> ProtoCoin {
        ProtoCoin {
            denom: d.into(),
            amount: a.into(),
        }
    }

    #[test]
    fn coins_validation() {
        assert_eq!(
            parse_coins(&[pc("5", "uglia")], false).unwrap()[0].amount,
            5
        );
        for bad in [
            pc("0", "uglia"),
            pc("-5", "uglia"),
            pc("5x", "uglia"),
            pc("5", "1bad"),
        ] {
            let e = parse_coins(&[bad], false).unwrap_err();
            assert_eq!(e.code, 10, "{e}");
        }
        assert!(parse_coins(&[pc("1", "uglia"), pc("1", "abc")], false).is_err());
        assert!(parse_coins(&[], false).is_err());
        assert!(parse_amount("340282366920938463463374607431768211456").is_err());
    }

    #[test]
    fn gas_price_fee_rounds_up() {
        let p = GasPrice::parse("0.025uglia").unwrap();
        assert_eq!(p.fee_for(200_000), 5000);
        assert_eq!(p.fee_for(1), 1);
        assert_eq!(p.to_string(), "0.025uglia");
        assert!(GasPrice::parse("abc").is_err());
        assert!(GasPrice::parse("0.1").is_err());
    }

    /// Prices round up and worth rounds down, so a conversion there and back never credits
    /// more than was paid; overflow is `None`, never a wrapped price.
    #[test]
    fn rates_round_in_the_chains_favour() {
        let r = Rate { units: 3, uglia: 2 }; // 3 units for 2 uglia
        assert_eq!(r.price(2), Some(3));
        assert_eq!(r.price(1), Some(2)); // 1.5 rounds up
        assert_eq!(r.worth(3), 2);
        assert_eq!(r.worth(2), 1); // 1.33 rounds down
        assert_eq!(Rate::ONE.price(7), Some(7));
        assert_eq!(r.price(u128::MAX), None);
        assert_eq!(Rate { units: 1, uglia: 0 }.price(5), None);
        assert_eq!(
            Rate { units: 2, uglia: 3 }.worth(u128::MAX),
            u128::MAX,
            "saturates"
        );
        assert_eq!(
            Rate { units: 4, uglia: 3 }.worth(u128::MAX),
            (u128::MAX / 4) * 3
        );
        for p in [0u128, 1, 2, 5, 999, 1_000_001] {
            assert!(r.worth(r.price(p).unwrap()) >= p, "{p}");
        }
    }

    /// A trace names the voucher ibc-go would mint for it (the hash of `transfer/channel-0/uatom`
    /// is the one every chain with Cosmos Hub's first channel knows).
    #[test]
    fn traces_name_their_vouchers() {
        assert_eq!(
            bank_denom_of("transfer/channel-0/uatom"),
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
        assert_eq!(bank_denom_of("ibc/abc"), "ibc/ABC");
        assert_eq!(bank_denom_of("uglia"), "uglia");
    }
}
