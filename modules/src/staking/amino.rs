//! Staking messages as legacy amino JSON, for txs signed with SIGN_MODE_LEGACY_AMINO_JSON:
//! field for field what cosmjs's `createStakingAminoConverters` (@cosmjs/stargate,
//! `modules/staking/aminomessages.ts`) writes, because that is what Keplr and cosmjs sign.
//! Decimals are in point form with 18 places (`"0.100000000000000000"`), the consensus key is
//! `{"type": "tendermint/PubKeyEd25519", "value": <base64>}`, heights are strings, and
//! MsgEditValidator leaves out a commission rate or minimum self delegation it does not
//! change. Where the SDK's own encoder leaves out empty fields that cosmjs writes (a
//! description's empty parts, MsgCreateValidator's deprecated empty `delegator_address`),
//! cosmjs's form is kept: it is the one wallets sign.

use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::rest;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin;
use glia_proto::cosmos::cosmos::crypto::{ed25519, secp256k1};
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    Description, MsgBeginRedelegate, MsgCancelUnbondingDelegation, MsgCreateValidator, MsgDelegate,
    MsgEditValidator, MsgUndelegate,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};
use serde_json::{json, Value};

/// A staking message's amino JSON; `None` for a type that is not staking's.
pub fn amino_json(any: &Any) -> Option<AppResult<Value>> {
    let t = any.type_url.as_str();
    Some(if t == MsgDelegate::type_url() {
        decode::<MsgDelegate>(any).and_then(|m| {
            Ok(msg(
                "cosmos-sdk/MsgDelegate",
                json!({
                    "delegator_address": m.delegator_address,
                    "validator_address": m.validator_address,
                    "amount": coin(&m.amount, "MsgDelegate")?,
                }),
            ))
        })
    } else if t == MsgUndelegate::type_url() {
        decode::<MsgUndelegate>(any).and_then(|m| {
            Ok(msg(
                "cosmos-sdk/MsgUndelegate",
                json!({
                    "delegator_address": m.delegator_address,
                    "validator_address": m.validator_address,
                    "amount": coin(&m.amount, "MsgUndelegate")?,
                }),
            ))
        })
    } else if t == MsgBeginRedelegate::type_url() {
        decode::<MsgBeginRedelegate>(any).and_then(|m| {
            Ok(msg(
                "cosmos-sdk/MsgBeginRedelegate",
                json!({
                    "delegator_address": m.delegator_address,
                    "validator_src_address": m.validator_src_address,
                    "validator_dst_address": m.validator_dst_address,
                    "amount": coin(&m.amount, "MsgBeginRedelegate")?,
                }),
            ))
        })
    } else if t == MsgCancelUnbondingDelegation::type_url() {
        decode::<MsgCancelUnbondingDelegation>(any).and_then(|m| {
            Ok(msg(
                "cosmos-sdk/MsgCancelUnbondingDelegation",
                json!({
                    "delegator_address": m.delegator_address,
                    "validator_address": m.validator_address,
                    "amount": coin(&m.amount, "MsgCancelUnbondingDelegation")?,
                    "creation_height": m.creation_height.to_string(),
                }),
            ))
        })
    } else if t == MsgCreateValidator::type_url() {
        decode::<MsgCreateValidator>(any).and_then(create_validator)
    } else if t == MsgEditValidator::type_url() {
        decode::<MsgEditValidator>(any).and_then(edit_validator)
    } else {
        return None;
    })
}

fn msg(kind: &str, value: Value) -> Value {
    json!({"type": kind, "value": value})
}

fn decode<M: Message + Default + Name>(any: &Any) -> AppResult<M> {
    M::decode(any.value.as_slice()).map_err(|e| AppError::tx_decode(format!("{}: {e}", M::NAME)))
}

/// What cosmjs refuses to convert (its `assertDefinedAndNotNull`) has no amino form.
fn missing(what: &str, field: &str) -> AppError {
    AppError::invalid_request(format!(
        "{what} without {field} has no amino JSON form; sign it with SIGN_MODE_DIRECT"
    ))
}

fn coin(c: &Option<Coin>, what: &str) -> AppResult<Value> {
    c.as_ref()
        .map(rest::coin_json)
        .ok_or_else(|| missing(what, "an amount"))
}

/// cosmjs's `protoDecimalToJson`: the 18-place integer of the protobuf field in point form
/// (as grpc-gateway writes the SDK's decimals too).
pub fn dec(s: &str) -> AppResult<String> {
    Ok(Dec::from_proto(s)?.to_string())
}

/// A validator description, every field written (empty ones too).
pub fn description(d: Option<Description>) -> Value {
    let d = d.unwrap_or_default();
    json!({
        "moniker": d.moniker,
        "identity": d.identity,
        "website": d.website,
        "security_contact": d.security_contact,
        "details": d.details,
    })
}

/// cosmjs's `decodePubkey`: amino's name of the key type and the key's bytes in base64.
fn pubkey(any: &Option<Any>) -> AppResult<Value> {
    let any = any
        .as_ref()
        .ok_or_else(|| missing("MsgCreateValidator", "a pubkey"))?;
    let (kind, key) = if any.type_url == ed25519::PubKey::type_url() {
        let k = ed25519::PubKey::decode(any.value.as_slice()).map(|k| k.key);
        ("tendermint/PubKeyEd25519", k)
    } else if any.type_url == secp256k1::PubKey::type_url() {
        let k = secp256k1::PubKey::decode(any.value.as_slice()).map(|k| k.key);
        ("tendermint/PubKeySecp256k1", k)
    } else {
        return Err(AppError::invalid_pubkey(format!(
            "consensus key type {:?} has no amino JSON form",
            any.type_url
        )));
    };
    let key = key.map_err(|e| AppError::invalid_pubkey(format!("{}: {e}", any.type_url)))?;
    Ok(json!({"type": kind, "value": B64.encode(key)}))
}

// The deprecated `delegator_address` is part of the form cosmjs signs.
#[allow(deprecated)]
fn create_validator(m: MsgCreateValidator) -> AppResult<Value> {
    let c = m
        .commission
        .ok_or_else(|| missing("MsgCreateValidator", "a commission"))?;
    Ok(msg(
        "cosmos-sdk/MsgCreateValidator",
        json!({
            "description": description(m.description),
            "commission": {
                "rate": dec(&c.rate)?,
                "max_rate": dec(&c.max_rate)?,
                "max_change_rate": dec(&c.max_change_rate)?,
            },
            "min_self_delegation": m.min_self_delegation,
            "delegator_address": m.delegator_address,
            "validator_address": m.validator_address,
            "pubkey": pubkey(&m.pubkey)?,
            "value": coin(&m.value, "MsgCreateValidator")?,
        }),
    ))
}

/// An empty commission rate or minimum self delegation means "unchanged": cosmjs leaves the
/// field out (the SDK's `omitempty`).
fn edit_validator(m: MsgEditValidator) -> AppResult<Value> {
    let mut value = json!({
        "description": description(m.description),
        "validator_address": m.validator_address,
    });
    if !m.commission_rate.is_empty() {
        value["commission_rate"] = json!(dec(&m.commission_rate)?);
    }
    if !m.min_self_delegation.is_empty() {
        value["min_self_delegation"] = json!(m.min_self_delegation);
    }
    Ok(msg("cosmos-sdk/MsgEditValidator", value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use glia_proto::cosmos::cosmos::staking::v1beta1::CommissionRates;

    // The addresses below, spelled out as the expected JSON holds them.
    const DEL: &str = "glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93";
    const VAL: &str = "gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp";
    const DST: &str = "gliavaloper1f4c93l6wcmya9xq9x6t3f0du5e59uskc7j8q2f";

    fn any<M: Message + Name>(m: &M) -> Any {
        Any {
            type_url: M::type_url(),
            value: m.encode_to_vec(),
        }
    }

    fn uglia(amount: u128) -> Option<Coin> {
        Some(Coin {
            denom: "uglia".into(),
            amount: amount.to_string(),
        })
    }

    /// The amino JSON of `m` is `cosmjs`: what `sortedJsonStringify(new AminoTypes(
    /// createStakingAminoConverters()).toAmino(m))` printed for the same message
    /// (@cosmjs/stargate 0.39.0, in tests/cosmjs).
    fn assert_cosmjs<M: Message + Name>(m: &M, cosmjs: &str) {
        let ours = amino_json(&any(m)).unwrap().unwrap();
        assert_eq!(ours, serde_json::from_str::<Value>(cosmjs).unwrap());
    }

    fn description(moniker: &str) -> Option<Description> {
        Some(Description {
            moniker: moniker.into(),
            ..Default::default()
        })
    }

    #[test]
    fn addresses_are_those_of_the_expected_json() {
        assert_eq!(Address::module("amino delegator").to_bech32(), DEL);
        assert_eq!(Address::module("amino validator").to_valoper(), VAL);
        assert_eq!(Address::module("amino destination").to_valoper(), DST);
    }

    #[test]
    fn msg_delegate_is_cosmjs_form() {
        let m = MsgDelegate {
            delegator_address: DEL.into(),
            validator_address: VAL.into(),
            amount: uglia(1234),
        };
        assert_cosmjs(
            &m,
            r#"{"type":"cosmos-sdk/MsgDelegate","value":{"amount":{"amount":"1234","denom":"uglia"},"delegator_address":"glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93","validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
    }

    /// cosmjs's own MsgCreateValidator test message with an ed25519 key and Glia's addresses:
    /// rates from 18-place integers to point form, the key as amino names it.
    #[test]
    #[allow(deprecated)]
    fn msg_create_validator_is_cosmjs_form() {
        let m = MsgCreateValidator {
            description: Some(Description {
                moniker: "validator".into(),
                identity: "me".into(),
                website: "valid.com".into(),
                security_contact: "Hamburglar".into(),
                details: "...".into(),
            }),
            commission: Some(CommissionRates {
                rate: "200000000000000000".into(),
                max_rate: "300000000000000000".into(),
                max_change_rate: "100000000000000000".into(),
            }),
            min_self_delegation: "123".into(),
            delegator_address: DEL.into(),
            validator_address: VAL.into(),
            pubkey: Some(super::super::validators::pack_pubkey(&[7u8; 32])),
            value: uglia(1234),
        };
        assert_cosmjs(
            &m,
            r#"{"type":"cosmos-sdk/MsgCreateValidator","value":{"commission":{"max_change_rate":"0.100000000000000000","max_rate":"0.300000000000000000","rate":"0.200000000000000000"},"delegator_address":"glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93","description":{"details":"...","identity":"me","moniker":"validator","security_contact":"Hamburglar","website":"valid.com"},"min_self_delegation":"123","pubkey":{"type":"tendermint/PubKeyEd25519","value":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="},"validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp","value":{"amount":"1234","denom":"uglia"}}}"#,
        );
    }

    /// MsgEditValidator leaves out what it does not change; a cancel's height is a string.
    #[test]
    fn other_staking_messages_are_cosmjs_form() {
        let edit = |rate: &str, min: &str| MsgEditValidator {
            description: description("[do-not-modify]"),
            validator_address: VAL.into(),
            commission_rate: rate.into(),
            min_self_delegation: min.into(),
        };
        assert_cosmjs(
            &edit("", ""),
            r#"{"type":"cosmos-sdk/MsgEditValidator","value":{"description":{"details":"","identity":"","moniker":"[do-not-modify]","security_contact":"","website":""},"validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
        assert_cosmjs(
            &edit("21000000000000000", "123"),
            r#"{"type":"cosmos-sdk/MsgEditValidator","value":{"commission_rate":"0.021000000000000000","description":{"details":"","identity":"","moniker":"[do-not-modify]","security_contact":"","website":""},"min_self_delegation":"123","validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
        let cancel = MsgCancelUnbondingDelegation {
            delegator_address: DEL.into(),
            validator_address: VAL.into(),
            amount: uglia(5),
            creation_height: 42,
        };
        assert_cosmjs(
            &cancel,
            r#"{"type":"cosmos-sdk/MsgCancelUnbondingDelegation","value":{"amount":{"amount":"5","denom":"uglia"},"creation_height":"42","delegator_address":"glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93","validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
        let red = MsgBeginRedelegate {
            delegator_address: DEL.into(),
            validator_src_address: VAL.into(),
            validator_dst_address: DST.into(),
            amount: uglia(9),
        };
        assert_cosmjs(
            &red,
            r#"{"type":"cosmos-sdk/MsgBeginRedelegate","value":{"amount":{"amount":"9","denom":"uglia"},"delegator_address":"glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93","validator_dst_address":"gliavaloper1f4c93l6wcmya9xq9x6t3f0du5e59uskc7j8q2f","validator_src_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
        let undelegate = MsgUndelegate {
            delegator_address: DEL.into(),
            validator_address: VAL.into(),
            amount: uglia(3),
        };
        assert_cosmjs(
            &undelegate,
            r#"{"type":"cosmos-sdk/MsgUndelegate","value":{"amount":{"amount":"3","denom":"uglia"},"delegator_address":"glia1x027fmx4ggkyypq59em296f4sjsp23s0wn9f93","validator_address":"gliavaloper1458628fzcjxultrgxmej4dvepvr0ydds9q26gp"}}"#,
        );
        // cosmjs refuses a message without its amount; another module's message is not ours.
        let no_amount = MsgUndelegate {
            amount: None,
            ..undelegate
        };
        assert!(amino_json(&any(&no_amount)).unwrap().is_err());
        let other = Any {
            type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
            value: vec![],
        };
        assert!(amino_json(&other).is_none());
    }
}
