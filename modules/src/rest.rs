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
