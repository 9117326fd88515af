//! Reward amounts with 18 fractional digits per denom (the SDK's `DecCoins`): rewards are
//! shared out in fractions and paid in whole units, the fractions kept until they add up.

use crate::coins::Coin;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::v1beta1::DecCoin;
use std::collections::BTreeMap;

/// Amounts by denom, in denom order, zero amounts left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecCoins(BTreeMap<String, Dec>);

impl DecCoins {
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn amount_of(&self, denom: &str) -> Dec {
        self.0.get(denom).copied().unwrap_or(Dec::ZERO)
    }

    fn set(&mut self, denom: &str, amount: Dec) {
        if amount == Dec::ZERO {
            self.0.remove(denom);
        } else {
            self.0.insert(denom.to_string(), amount);
        }
    }

    pub fn from_coins(coins: &[Coin]) -> AppResult<DecCoins> {
        let mut out = DecCoins::default();
        for c in coins {
            out = out.add(&DecCoins::one(&c.denom, Dec::from_int(c.amount)?))?;
        }
        Ok(out)
    }

    pub fn one(denom: &str, amount: Dec) -> DecCoins {
        let mut out = DecCoins::default();
        out.set(denom, amount);
        out
    }

    /// From the protobuf list (amounts in the integer form of 10^-18).
    pub fn from_proto(list: &[DecCoin]) -> AppResult<DecCoins> {
        let mut out = DecCoins::default();
        for c in list {
            let add = DecCoins::one(&c.denom, Dec::from_proto(&c.amount)?);
            out = out.add(&add)?;
        }
        Ok(out)
    }

    pub fn to_proto(&self) -> Vec<DecCoin> {
        self.0
            .iter()
            .map(|(denom, amount)| DecCoin {
                denom: denom.clone(),
                amount: amount.to_proto(),
            })
            .collect()
    }

    /// `[{denom, amount: "1.500000000000000000"}]`, as REST writes DecCoins.
    pub fn to_json(&self) -> serde_json::Value {
        self.0
            .iter()
            .map(|(d, a)| serde_json::json!({"denom": d, "amount": a.to_string()}))
            .collect()
    }

    pub fn add(&self, o: &DecCoins) -> AppResult<DecCoins> {
        let mut out = self.clone();
        for (d, a) in &o.0 {
            let sum = out.amount_of(d).checked_add(*a)?;
            out.set(d, sum);
        }
        Ok(out)
    }

    /// `self − o`; an error if any denom would go below zero.
    pub fn sub(&self, o: &DecCoins) -> AppResult<DecCoins> {
        let mut out = self.clone();
        for (d, a) in &o.0 {
            let left = out.amount_of(d).checked_sub(*a).map_err(|_| {
                AppError::internal(format!(
                    "reward accounting: {a}{d} taken from {}{d}",
                    self.amount_of(d)
                ))
            })?;
            out.set(d, left);
        }
        Ok(out)
    }

    /// Each amount × `f`, rounded down.
    pub fn mul_dec(&self, f: Dec) -> AppResult<DecCoins> {
        let mut out = DecCoins::default();
        for (d, a) in &self.0 {
            out.set(d, a.checked_mul(f)?);
        }
        Ok(out)
    }

    /// Each amount ÷ `f`, rounded down (`f` > 0).
    pub fn quo_dec(&self, f: Dec) -> AppResult<DecCoins> {
        let mut out = DecCoins::default();
        for (d, a) in &self.0 {
            out.set(d, a.checked_quo(f)?);
        }
        Ok(out)
    }

    /// Per denom the smaller of the two (what can really be paid of `self` from `o`).
    pub fn min(&self, o: &DecCoins) -> DecCoins {
        let mut out = DecCoins::default();
        for (d, a) in &self.0 {
            out.set(d, (*a).min(o.amount_of(d)));
        }
        out
    }

    /// The whole units, and the fractions left over.
    pub fn truncate(&self) -> AppResult<(Vec<Coin>, DecCoins)> {
        let mut whole = Vec::new();
        let mut change = DecCoins::default();
        for (d, a) in &self.0 {
            let units = a.floor();
            if units > 0 {
                whole.push(Coin::new(d, units));
            }
            change.set(d, a.checked_sub(Dec::from_int(units)?)?);
        }
        Ok((whole, change))
    }

    /// Whether every amount here is at most `o`'s.
    pub fn le(&self, o: &DecCoins) -> bool {
        self.0.iter().all(|(d, a)| *a <= o.amount_of(d))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Dec)> {
        self.0.iter()
    }
}

impl std::fmt::Display for DecCoins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(d, a)| format!("{a}{d}")).collect();
        write!(f, "{}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_the_fractions_and_sub_refuses_to_go_negative() {
        let a = DecCoins::one("uglia", Dec::parse("10.75").unwrap())
            .add(&DecCoins::one("uatom", Dec::parse("0.5").unwrap()))
            .unwrap();
        let (whole, change) = a.truncate().unwrap();
        assert_eq!(whole, vec![Coin::new("uglia", 10)]);
        assert_eq!(change.amount_of("uglia"), Dec::parse("0.75").unwrap());
        assert_eq!(change.amount_of("uatom"), Dec::parse("0.5").unwrap());
        assert!(change.sub(&a).is_err());
        assert_eq!(a.sub(&a).unwrap(), DecCoins::default());
        let back = DecCoins::from_proto(&a.to_proto()).unwrap();
        assert_eq!(back, a);
        assert_eq!(
            a.mul_dec(Dec::parse("0.5").unwrap())
                .unwrap()
                .amount_of("uglia"),
            Dec::parse("5.375").unwrap()
        );
    }
}
