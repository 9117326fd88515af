//! SIGN_MODE_LEGACY_AMINO_JSON: the sign doc Keplr's built-in screens (send, delegate, claim)
//! and cosmjs's amino signers sign, rebuilt from the tx. It is the SDK's `StdSignDoc`
//! (`account_number`, `chain_id`, `fee` {`amount`, `gas`}, `memo`, `msgs` as amino JSON,
//! `sequence`, and `timeout_height` when set), every number a string, written with its keys
//! sorted at every level, no spaces, and `&`, `<`, `>` escaped as `\u0026`, `\u003c`, `\u003e`
//! (cosmjs `serializeSignDoc`, the SDK's `MustSortJSON`). The signature is over its sha256,
//! like a direct sign doc's.

use super::decode::DecodedTx;
use glia_modules::component::Components;
use glia_modules::error::AppResult;
use serde_json::{json, Value};

/// The bytes a signer in amino JSON mode signs.
pub fn sign_bytes(
    components: &Components,
    tx: &DecodedTx,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> AppResult<Vec<u8>> {
    let msgs = tx
        .body
        .messages
        .iter()
        .map(|m| components.amino_json(m))
        .collect::<AppResult<Vec<_>>>()?;
    let fee = tx.auth_info.fee.clone().unwrap_or_default();
    let mut doc = json!({
        "account_number": account_number.to_string(),
        "chain_id": chain_id,
        "fee": {
            "amount": glia_modules::rest::coins_json(&fee.amount),
            "gas": fee.gas_limit.to_string(),
        },
        "memo": tx.body.memo,
        "msgs": msgs,
        "sequence": sequence.to_string(),
    });
    if tx.body.timeout_height > 0 {
        doc["timeout_height"] = json!(tx.body.timeout_height.to_string());
    }
    let mut out = String::new();
    canonical(&doc, &mut out);
    Ok(out.into_bytes())
}

/// JSON with object keys sorted at every level and no whitespace (whatever order the map
/// keeps), strings escaped as Go's encoding/json escapes them.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Value::String(s) => string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string with `&`, `<` and `>` escaped as well (both cosmjs and the SDK do).
fn string(s: &str, out: &mut String) {
    let quoted = Value::String(s.to_string()).to_string();
    for c in quoted.chars() {
        match c {
            '&' => out.push_str("\\u0026"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::decode_tx;
    use glia_client::keys::Key;
    use glia_client::tx::{msg_send, sign_tx, TxParams};
    use glia_modules::coins::Coin;

    /// The sign doc of a send, byte for byte as cosmjs's `serializeSignDoc(makeSignDoc(...))`
    /// writes it for the same send (keys sorted, numbers as strings, `<` escaped in the memo).
    #[test]
    fn a_send_signs_the_same_bytes_as_cosmjs() {
        let components =
            crate::components::glia(std::sync::Arc::new(glia_modules::component::NoNode));
        let key = Key::from_seed(b"amino sender");
        let to = Key::from_seed(b"amino receiver").address.to_bech32();
        let p = TxParams {
            chain_id: "glia-local-1".into(),
            account_number: 7,
            sequence: 3,
            fee: vec![Coin::new("uglia", 5000)],
            gas_limit: 200_000,
            memo: "a <b> & c".into(),
        };
        let raw = sign_tx(
            &key,
            vec![msg_send(&key, &to, &[Coin::new("uglia", 12)])],
            &p,
        );
        let tx = decode_tx(&components, &raw, 1 << 20).unwrap();
        let doc = sign_bytes(&components, &tx, "glia-local-1", 7, 3).unwrap();
        let want = format!(
            concat!(
                r#"{{"account_number":"7","chain_id":"glia-local-1","#,
                r#""fee":{{"amount":[{{"amount":"5000","denom":"uglia"}}],"gas":"200000"}},"#,
                r#""memo":"a \u003cb\u003e \u0026 c","#,
                r#""msgs":[{{"type":"cosmos-sdk/MsgSend","value":{{"amount":[{{"amount":"12","denom":"uglia"}}],"#,
                r#""from_address":"{}","to_address":"{}"}}}}],"sequence":"3"}}"#
            ),
            key.address.to_bech32(),
            to
        );
        assert_eq!(String::from_utf8(doc).unwrap(), want);
    }

    /// Glia's own messages in amino JSON, by the SDK aminojson encoder's rules (proto field
    /// names, defaults left out, 64-bit numbers as strings, enums as numbers, bytes as base64):
    /// the exact JSON proto/ts's converters write, for a request and a solution.
    #[test]
    fn glia_messages_sign_as_amino_json() {
        use glia_proto::inference::v1::{MsgGenerateImage, Scheduler};
        use glia_proto::neuro::v1::MsgSubmitSolution;
        use prost::{Message, Name};
        let components =
            crate::components::glia(std::sync::Arc::new(glia_modules::component::NoNode));
        let any = |type_url: String, value: Vec<u8>| glia_proto::cosmos::Any { type_url, value };
        let gen = MsgGenerateImage {
            creator: "glia1creator".into(),
            model_id: "tiny".into(),
            prompt: "a red <circle>".into(),
            width: 64,
            height: 64,
            steps: 4,
            guidance_scale: "7.5".into(),
            scheduler: Scheduler::Ddim as i32,
            seeds: vec![0, 21],
            replicas: 3,
            max_fee: Some(Coin::new("uglia", 90_000).to_proto()),
            ..Default::default()
        };
        let j = components
            .amino_json(&any(MsgGenerateImage::type_url(), gen.encode_to_vec()))
            .unwrap();
        assert_eq!(
            j,
            json!({"type": "glia/MsgGenerateImage", "value": {
                "creator": "glia1creator", "model_id": "tiny", "prompt": "a red <circle>",
                "width": 64, "height": 64, "steps": 4, "guidance_scale": "7.5", "scheduler": 1,
                "seeds": ["0", "21"], "replicas": 3,
                "max_fee": {"amount": "90000", "denom": "uglia"},
            }})
        );
        let sol = MsgSubmitSolution {
            solver: "glia1solver".into(),
            job_id: 7,
            assignment: vec![0b101],
            claimed_energy: -3,
            salt: vec![],
        };
        let j = components
            .amino_json(&any(MsgSubmitSolution::type_url(), sol.encode_to_vec()))
            .unwrap();
        assert_eq!(
            j,
            json!({"type": "glia/MsgSubmitSolution", "value": {
                "solver": "glia1solver", "job_id": "7", "assignment": "BQ==",
                "claimed_energy": "-3",
            }})
        );
    }
}
