//! What the components' REST routes share: grpc-gateway's JSON shapes (64-bit numbers as
//! strings, bytes as base64, `@type` on `Any`) and its query parameters for pages.

use crate::error::{AppError, AppResult};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A path or query parameter that must be there.
pub fn param<'a>(m: &'a BTreeMap<String, String>, name: &str) -> AppResult<&'a str> {
    m.get(name)
        .map(String::as_str)
        .ok_or_else(|| AppError::invalid_request(format!("{name} is required")))
}

fn number(m: &BTreeMap<String, String>, name: &str) -> AppResult<u64> {
    m.get(name).map_or(Ok(0), |v| {
        v.parse()
            .map_err(|_| AppError::invalid_request(format!("{name} {v:?} is not a number")))
    })
}

/// `pagination.key` (base64), `pagination.offset`, `pagination.limit`,
/// `pagination.count_total` and `pagination.reverse`, as grpc-gateway reads them.
pub fn page_request(m: &BTreeMap<String, String>) -> AppResult<Option<PageRequest>> {
    if !m.keys().any(|k| k.starts_with("pagination.")) {
        return Ok(None);
    }
    let key = match m.get("pagination.key") {
        Some(k) => B64
            .decode(k)
            .map_err(|e| AppError::invalid_request(format!("pagination.key: {e}")))?,
        None => Vec::new(),
    };
    let flag = |name: &str| m.get(name).is_some_and(|v| v == "true");
    Ok(Some(PageRequest {
        key,
        offset: number(m, "pagination.offset")?,
        limit: number(m, "pagination.limit")?,
        count_total: flag("pagination.count_total"),
        reverse: flag("pagination.reverse"),
    }))
}

pub fn page_json(p: &Option<PageResponse>) -> Value {
    let p = p.clone().unwrap_or_default();
    let next_key = if p.next_key.is_empty() {
        Value::Null
    } else {
        Value::String(B64.encode(&p.next_key))
    };
    json!({"next_key": next_key, "total": p.total.to_string()})
}

pub fn coin_json(c: &Coin) -> Value {
    json!({"denom": c.denom, "amount": c.amount})
}

pub fn coins_json(cs: &[Coin]) -> Value {
    Value::Array(cs.iter().map(coin_json).collect())
}

/// Decodes a response for its JSON rendering.
pub fn decode<T: prost::Message + Default>(bytes: &[u8]) -> AppResult<T> {
    T::decode(bytes).map_err(|e| AppError::internal(format!("rendering a response: {e}")))
}

/// Glia's own messages by reflection over their compiled descriptors: a request built from
/// path and query parameters, a response written as the SDK's gateway writes JSON (proto field
/// names, 64-bit integers as strings, bytes as base64, enums by name, defaults included).
pub mod reflect {
    use crate::error::{AppError, AppResult};
    use prost_reflect::{
        DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage,
        SerializeOptions, Value as PValue,
    };
    use serde_json::Value;
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    fn pool() -> &'static DescriptorPool {
        static POOL: OnceLock<DescriptorPool> = OnceLock::new();
        POOL.get_or_init(|| {
            DescriptorPool::decode(glia_proto::FILE_DESCRIPTOR_SET)
                .expect("the compiled-in descriptors decode")
        })
    }

    fn descriptor<M: prost::Name>() -> AppResult<MessageDescriptor> {
        pool()
            .get_message_by_name(&M::full_name())
            .ok_or_else(|| AppError::internal(format!("no descriptor for {}", M::full_name())))
    }

    /// `bytes` (an encoded `M`) as the legacy amino JSON a wallet signs: `{"type": name,
    /// "value": {…}}`, by the rules of the Cosmos SDK's aminojson encoder for a message with no
    /// amino options: proto field names; a field holding its default (empty string, 0, false,
    /// empty list or bytes, unset message) left out; 64-bit integers as decimal strings,
    /// 32-bit ones as numbers, enums as numbers, bytes as base64. Consensus code (the amino
    /// sign doc): no floats and no maps occur in the messages it renders, and either is an
    /// error.
    pub fn amino<M: prost::Name>(name: &str, bytes: &[u8]) -> AppResult<Value> {
        let msg = DynamicMessage::decode(descriptor::<M>()?, bytes)
            .map_err(|e| AppError::tx_decode(format!("decoding {}: {e}", M::full_name())))?;
        Ok(serde_json::json!({"type": name, "value": amino_message(&msg)?}))
    }

    fn amino_message(msg: &DynamicMessage) -> AppResult<Value> {
        let mut out = serde_json::Map::new();
        for field in msg.descriptor().fields() {
            if !msg.has_field(&field) {
                continue;
            }
            let v = msg.get_field(&field);
            let j = match v.as_ref() {
                PValue::List(items) if items.is_empty() => continue,
                PValue::List(items) => Value::Array(
                    items
                        .iter()
                        .map(amino_scalar)
                        .collect::<AppResult<Vec<_>>>()?,
                ),
                other => {
                    if !matches!(other, PValue::Message(_)) && other.is_default(&field.kind()) {
                        continue;
                    }
                    amino_scalar(other)?
                }
            };
            out.insert(field.name().to_string(), j);
        }
        Ok(Value::Object(out))
    }

    fn amino_scalar(v: &PValue) -> AppResult<Value> {
        use base64::Engine;
        Ok(match v {
            PValue::Bool(b) => Value::Bool(*b),
            PValue::I32(n) => Value::from(*n),
            PValue::U32(n) => Value::from(*n),
            PValue::EnumNumber(n) => Value::from(*n),
            PValue::I64(n) => Value::String(n.to_string()),
            PValue::U64(n) => Value::String(n.to_string()),
            PValue::String(s) => Value::String(s.clone()),
            PValue::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            PValue::Message(m) => amino_message(m)?,
            other => {
                return Err(AppError::internal(format!(
                    "no amino JSON for the value {other:?}"
                )))
            }
        })
    }

    /// `bytes` (an encoded `M`) as gateway JSON.
    pub fn json<M: prost::Name>(bytes: &[u8]) -> AppResult<Value> {
        let msg = DynamicMessage::decode(descriptor::<M>()?, bytes)
            .map_err(|e| AppError::internal(format!("decoding {}: {e}", M::full_name())))?;
        let opts = SerializeOptions::new()
            .use_proto_field_name(true)
            .skip_default_fields(false);
        msg.serialize_with_options(serde_json::value::Serializer, &opts)
            .map_err(|e| AppError::internal(format!("rendering {}: {e}", M::full_name())))
    }

    fn scalar(field: &FieldDescriptor, text: &str) -> AppResult<PValue> {
        let bad = |e: String| AppError::invalid_request(format!("parameter {}: {e}", field.name()));
        Ok(match field.kind() {
            Kind::String => PValue::String(text.into()),
            Kind::Bool => PValue::Bool(
                text.parse()
                    .map_err(|_| bad(format!("{text:?} is not true or false")))?,
            ),
            Kind::Uint64 | Kind::Fixed64 => {
                PValue::U64(text.parse().map_err(|e| bad(format!("{text:?}: {e}")))?)
            }
            Kind::Uint32 | Kind::Fixed32 => {
                PValue::U32(text.parse().map_err(|e| bad(format!("{text:?}: {e}")))?)
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                PValue::I64(text.parse().map_err(|e| bad(format!("{text:?}: {e}")))?)
            }
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                PValue::I32(text.parse().map_err(|e| bad(format!("{text:?}: {e}")))?)
            }
            Kind::Bytes => {
                use base64::Engine;
                PValue::Bytes(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|e| bad(format!("not base64: {e}")))?
                        .into(),
                )
            }
            Kind::Enum(e) => match e.get_value_by_name(text) {
                Some(v) => PValue::EnumNumber(v.number()),
                None => PValue::EnumNumber(text.parse().map_err(|_| {
                    let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                    bad(format!("{text:?} is none of {}", names.join(", ")))
                })?),
            },
            other => return Err(bad(format!("cannot be given as text ({other:?})"))),
        })
    }

    fn set(msg: &mut DynamicMessage, path: &str, text: &str) -> AppResult<()> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let field = msg.descriptor().get_field_by_name(head).ok_or_else(|| {
            let names: Vec<String> = msg
                .descriptor()
                .fields()
                .map(|f| f.name().to_string())
                .collect();
            AppError::invalid_request(format!(
                "unknown parameter {path:?}; {} takes: {}",
                msg.descriptor().name(),
                names.join(", ")
            ))
        })?;
        match (rest, field.kind()) {
            (Some(rest), Kind::Message(_)) => {
                let inner = msg.get_field_mut(&field);
                match inner {
                    PValue::Message(m) => set(m, rest, text),
                    _ => Err(AppError::internal(format!("field {head} is not a message"))),
                }
            }
            (None, _) if field.is_list() => {
                let v = scalar(&field, text)?;
                if let PValue::List(l) = msg.get_field_mut(&field) {
                    l.push(v);
                }
                Ok(())
            }
            (None, _) => {
                let v = scalar(&field, text)?;
                msg.set_field(&field, v);
                Ok(())
            }
            (Some(_), _) => Err(AppError::invalid_request(format!(
                "parameter {path:?}: {head} has no fields"
            ))),
        }
    }

    /// An `M` from path and query parameters by field name (`pagination.limit` reaches into
    /// a nested message; a repeated field takes comma-separated values), encoded.
    pub fn request<M: prost::Name>(m: &BTreeMap<String, String>) -> AppResult<Vec<u8>> {
        let mut msg = DynamicMessage::new(descriptor::<M>()?);
        for (k, v) in m {
            let field = msg
                .descriptor()
                .get_field_by_name(k.split('.').next().unwrap_or(k));
            if field.as_ref().is_some_and(|f| f.is_list()) {
                for part in v.split(',').filter(|p| !p.is_empty()) {
                    set(&mut msg, k, part)?;
                }
            } else {
                set(&mut msg, k, v)?;
            }
        }
        Ok(prost::Message::encode_to_vec(&msg))
    }
}

#[cfg(test)]
mod tests {
    use super::reflect;
    use glia_proto::cosmos::cosmos::base::v1beta1::Coin;
    use glia_proto::inference::v1::{QueryTaskResponse, QueryTasksRequest, Task, TaskStatus};
    use prost::Message;
    use std::collections::BTreeMap;

    #[test]
    fn reflection_writes_and_reads_the_gateway_shapes() {
        let resp = QueryTaskResponse {
            task: Some(Task {
                id: 7,
                creator: "glia1x".into(),
                seeds: vec![1, 2],
                escrow: Some(Coin {
                    denom: "uglia".into(),
                    amount: "90".into(),
                }),
                status: TaskStatus::Completed as i32,
                ..Default::default()
            }),
        };
        let j = reflect::json::<QueryTaskResponse>(&resp.encode_to_vec()).unwrap();
        let t = &j["task"];
        assert_eq!(t["id"], "7", "64-bit integers are strings: {j}");
        assert_eq!(t["seeds"], serde_json::json!(["1", "2"]));
        assert_eq!(t["status"], "TASK_STATUS_COMPLETED");
        assert_eq!(t["escrow"]["amount"], "90");
        assert_eq!(
            t["model_id"], "",
            "proto field names, defaults included: {j}"
        );

        let m: BTreeMap<String, String> = [
            ("creator", "glia1y"),
            ("status", "TASK_STATUS_PENDING"),
            ("pagination.limit", "3"),
            ("pagination.reverse", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let r = QueryTasksRequest::decode(
            reflect::request::<QueryTasksRequest>(&m)
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        assert_eq!(
            (r.creator.as_str(), r.status),
            ("glia1y", TaskStatus::Pending as i32)
        );
        let p = r.pagination.unwrap();
        assert_eq!((p.limit, p.reverse), (3, true));
        for (k, v, want) in [
            ("nope", "1", "unknown parameter"),
            ("status", "DONE", "TASK_STATUS_PENDING"),
            ("pagination.limit", "-1", "parameter limit"),
            ("creator.x", "1", "has no fields"),
        ] {
            let m = BTreeMap::from([(k.to_string(), v.to_string())]);
            let e = reflect::request::<QueryTasksRequest>(&m).unwrap_err().log;
            assert!(e.contains(want), "{k}={v}: {e}");
        }
    }
}
