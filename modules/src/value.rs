//! One encoding for every value in state: protobuf. Modules keep their records as their own
//! messages; the plain values (counters, amounts, texts) go through these helpers, so no
//! decimal strings, big-endian integers or JSON remain in state.

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use glia_proto::store::v1::{Amount, Counter, Text};
use prost::Message;

/// Decodes a stored message; a value that does not decode is corrupt state (`what` names it).
pub fn decode<T: Message + Default>(what: &str, bytes: &[u8]) -> AppResult<T> {
    T::decode(bytes).map_err(|e| AppError::internal(format!("stored {what} is corrupt: {e}")))
}

/// Reads a stored message, if any.
pub fn get<T: Message + Default>(kv: &mut impl Kv, key: &str, what: &str) -> AppResult<Option<T>> {
    kv.kv_get(key)?.map(|b| decode(what, &b)).transpose()
}

/// Takes the next value of the counter at `key` (`first` when it has none yet) and moves it on.
pub fn next_id(ctx: &mut Ctx<'_>, key: &str, first: u64, what: &str) -> AppResult<u64> {
    let id = get::<Counter>(ctx, key, what)?.map_or(first, |c| c.next);
    let next = id.checked_add(1).ok_or_else(|| AppError::overflow(what))?;
    ctx.put(key.into(), Counter { next }.encode_to_vec())?;
    Ok(id)
}

/// A stored amount (absent is zero).
pub fn amount(kv: &mut impl Kv, key: &str) -> AppResult<u128> {
    match get::<Amount>(kv, key, "amount")? {
        None => Ok(0),
        Some(a) => amount_of(&a.value),
    }
}

/// The number an [`Amount`] holds.
pub fn amount_of(value: &str) -> AppResult<u128> {
    value
        .parse()
        .map_err(|_| AppError::internal(format!("stored amount {value:?} is corrupt")))
}

/// An amount, encoded.
pub fn encode_amount(value: u128) -> Vec<u8> {
    Amount {
        value: value.to_string(),
    }
    .encode_to_vec()
}

/// A stored text.
pub fn text(kv: &mut impl Kv, key: &str, what: &str) -> AppResult<Option<String>> {
    Ok(get::<Text>(kv, key, what)?.map(|t| t.value))
}

/// A text, encoded.
pub fn encode_text(value: &str) -> Vec<u8> {
    Text {
        value: value.to_string(),
    }
    .encode_to_vec()
}
