//! The execution context a handler sees: a gas-metered view of state, the events it emits, and
//! facts about the block (never the wall clock).

use crate::error::{AppError, AppResult};
use crate::gas::{GasMeter, SCHEDULE};
use crate::store::{Changes, KvRead, Overlay};
use tendermint_proto::v0_38::abci::{Event, EventAttribute};

/// Facts about the block being executed that handlers may depend on.
#[derive(Clone, Debug, Default)]
pub struct BlockInfo {
    pub chain_id: String,
    pub height: u64,
    /// Block time from the header, in seconds since the Unix epoch.
    pub time_unix: i64,
    /// The proposer's consensus address (hex, upper case); empty where there is none.
    pub proposer: String,
}

/// A gas-metered view of state with an event log.
pub struct Ctx<'a> {
    store: Overlay<'a>,
    pub gas: GasMeter,
    pub events: Vec<Event>,
    pub block: &'a BlockInfo,
}

impl<'a> Ctx<'a> {
    pub fn new(base: &'a dyn KvRead, gas: GasMeter, block: &'a BlockInfo) -> Self {
        Ctx {
            store: Overlay::new(base),
            gas,
            events: Vec::new(),
            block,
        }
    }

    /// Reads a key, charging read gas for key and value bytes.
    pub fn get(&mut self, key: &str) -> AppResult<Option<Vec<u8>>> {
        self.gas.consume(SCHEDULE.read_flat, "ReadFlat")?;
        let v = self.store.get(key).map_err(AppError::from)?;
        // Saturating: more gas than a u64 holds is simply out of gas.
        let len = key.len().saturating_add(v.as_ref().map_or(0, |v| v.len()));
        self.gas.consume(
            SCHEDULE.read_per_byte.saturating_mul(len as u64),
            "ReadPerByte",
        )?;
        Ok(v)
    }

    /// Writes a key, charging write gas for key and value bytes.
    pub fn put(&mut self, key: String, value: Vec<u8>) -> AppResult<()> {
        self.gas.consume(SCHEDULE.write_flat, "WriteFlat")?;
        let len = key.len().saturating_add(value.len()) as u64;
        self.gas
            .consume(SCHEDULE.write_per_byte.saturating_mul(len), "WritePerByte")?;
        self.store.put(key, value);
        Ok(())
    }

    pub fn delete(&mut self, key: String) -> AppResult<()> {
        self.gas.consume(SCHEDULE.delete_flat, "Delete")?;
        self.store.delete(key);
        Ok(())
    }

    /// Every pair under `prefix`, charging per pair returned.
    pub fn scan(&mut self, prefix: &str) -> AppResult<Vec<(String, Vec<u8>)>> {
        let pairs = self.store.scan(prefix).map_err(AppError::from)?;
        for (k, v) in &pairs {
            self.gas.consume(SCHEDULE.iter_next_flat, "IterNextFlat")?;
            self.gas.consume(
                SCHEDULE
                    .read_per_byte
                    .saturating_mul(k.len().saturating_add(v.len()) as u64),
                "ValuePerByte",
            )?;
        }
        Ok(pairs)
    }

    /// Appends an event whose attributes are all indexed (so `tx_search` finds them).
    pub fn emit(&mut self, kind: &str, attrs: &[(&str, String)]) {
        self.events.push(event(kind, attrs));
    }

    /// Runs `f` in a child context whose writes and events apply only if it succeeds. Gas used
    /// by the child counts either way.
    pub fn atomic<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> AppResult<T>) -> AppResult<T> {
        let (result, changes, gas, events) = {
            let mut child = Ctx::new(&self.store, self.gas.clone(), self.block);
            let r = f(&mut child);
            (r, child.store.into_changes(), child.gas, child.events)
        };
        self.gas = gas;
        if result.is_ok() {
            self.store.absorb(changes);
            self.events.extend(events);
        }
        result
    }

    /// The changes made so far, to apply to the layer beneath.
    pub fn into_parts(self) -> (Changes, GasMeter, Vec<Event>) {
        (self.store.into_changes(), self.gas, self.events)
    }
}

/// Builds an event with indexed attributes.
pub fn event(kind: &str, attrs: &[(&str, String)]) -> Event {
    Event {
        r#type: kind.to_string(),
        attributes: attrs
            .iter()
            .map(|(k, v)| EventAttribute {
                key: k.to_string(),
                value: v.clone(),
                index: true,
            })
            .collect(),
    }
}

/// Reads that state helpers need, served either metered (a [`Ctx`]) or free (a [`ReadOnly`]
/// view for queries), so each module writes its getters once.
pub trait Kv {
    fn kv_get(&mut self, key: &str) -> AppResult<Option<Vec<u8>>>;
    fn kv_scan(&mut self, prefix: &str) -> AppResult<Vec<(String, Vec<u8>)>>;
    /// Keys under `prefix` in order, without their values.
    fn kv_scan_keys(&mut self, prefix: &str) -> AppResult<Vec<String>> {
        Ok(self.kv_scan(prefix)?.into_iter().map(|(k, _)| k).collect())
    }
    /// At most `limit` keys under `prefix` from `start` (inclusive) on (see
    /// [`KvRead::scan_keys_from`]).
    fn kv_scan_keys_from(
        &mut self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> AppResult<Vec<String>> {
        Ok(self
            .kv_scan_keys(prefix)?
            .into_iter()
            .filter(|k| k.as_str() >= start)
            .take(limit)
            .collect())
    }
}

impl Kv for Ctx<'_> {
    fn kv_get(&mut self, key: &str) -> AppResult<Option<Vec<u8>>> {
        self.get(key)
    }
    fn kv_scan(&mut self, prefix: &str) -> AppResult<Vec<(String, Vec<u8>)>> {
        self.scan(prefix)
    }
}

/// An unmetered read-only view, for queries.
pub struct ReadOnly<'a>(pub &'a dyn KvRead);

impl Kv for ReadOnly<'_> {
    fn kv_get(&mut self, key: &str) -> AppResult<Option<Vec<u8>>> {
        self.0.get(key).map_err(AppError::from)
    }
    fn kv_scan(&mut self, prefix: &str) -> AppResult<Vec<(String, Vec<u8>)>> {
        self.0.scan(prefix).map_err(AppError::from)
    }
    fn kv_scan_keys(&mut self, prefix: &str) -> AppResult<Vec<String>> {
        self.0.scan_keys(prefix).map_err(AppError::from)
    }
    fn kv_scan_keys_from(
        &mut self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> AppResult<Vec<String>> {
        self.0
            .scan_keys_from(prefix, start, limit)
            .map_err(AppError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemStore;

    #[test]
    fn atomic_rolls_back_writes_and_events_but_keeps_gas() {
        let base = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&base, GasMeter::new(1_000_000), &block);
        let r: AppResult<()> = ctx.atomic(|c| {
            c.put("k".into(), b"v".to_vec())?;
            c.emit("x", &[]);
            Err(AppError::invalid_request("boom"))
        });
        assert!(r.is_err());
        assert!(ctx.gas.used() > 0);
        assert_eq!(ctx.get("k").unwrap(), None);
        assert!(ctx.events.is_empty());
        ctx.atomic(|c| c.put("k".into(), b"v".to_vec())).unwrap();
        assert_eq!(ctx.get("k").unwrap(), Some(b"v".to_vec()));
    }
}
