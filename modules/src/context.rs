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
    /// The rest of the header FinalizeBlock tells (CometBFT 0.38 sends no header): the time's
    /// nanoseconds, the next validators' hash, and the previous block's app hash (empty for
    /// the first block). Staking's historical info and IBC's consensus states are built from
    /// them.
    pub time_nanos: i32,
    pub next_validators_hash: Vec<u8>,
    pub last_app_hash: Vec<u8>,
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

    /// At most `limit` keys under `prefix` from `start` on, in key order (see
    /// [`KvRead::scan_keys_from`]), charging per key returned: a page costs its own keys,
    /// however many the prefix holds.
    pub fn scan_keys_from(
        &mut self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> AppResult<Vec<String>> {
        let keys = self
            .store
            .scan_keys_from(prefix, start, limit)
            .map_err(AppError::from)?;
        for k in &keys {
            self.gas.consume(SCHEDULE.iter_next_flat, "IterNextFlat")?;
            self.gas.consume(
                SCHEDULE.read_per_byte.saturating_mul(k.len() as u64),
                "KeyPerByte",
            )?;
        }
        Ok(keys)
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
    fn kv_scan_keys_from(
        &mut self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> AppResult<Vec<String>> {
        self.scan_keys_from(prefix, start, limit)
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

    /// A Ctx's range scan (its own writes and deletes, and a child's inside `atomic`, over a
    /// base) and a ReadOnly's agree with the full scan on random data, and charge per key
    /// returned rather than per key under the prefix.
    #[test]
    fn range_scans_agree_with_full_scans_and_charge_per_key() {
        let mut seed = 11u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let block = BlockInfo::default();
        for _ in 0..50 {
            let mut base = MemStore::default();
            for _ in 0..next(300) {
                base.0.insert(format!("p/{:03}", next(500)), vec![0; 8]);
            }
            base.0.insert("q/1".into(), vec![]);
            let mut ctx = Ctx::new(&base, GasMeter::new(u64::MAX), &block);
            for _ in 0..next(60) {
                let k = format!("p/{:03}", next(500));
                match next(2) {
                    0 => ctx.put(k, vec![1]).unwrap(),
                    _ => ctx.delete(k).unwrap(),
                }
            }
            let deletes: Vec<String> = (0..next(30))
                .map(|_| format!("p/{:03}", next(500)))
                .collect();
            for _ in 0..10 {
                let start = format!("p/{:03}", next(520));
                let limit = next(40) as usize;
                let full: Vec<String> = ctx
                    .scan("p/")
                    .unwrap()
                    .into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| *k >= start)
                    .take(limit)
                    .collect();
                let before = ctx.gas.used();
                let keys = ctx.kv_scan_keys_from("p/", &start, limit).unwrap();
                assert_eq!(keys, full);
                let per_key = SCHEDULE.iter_next_flat + SCHEDULE.read_per_byte * 5;
                assert_eq!(ctx.gas.used() - before, per_key * keys.len() as u64);
                let (base_view, child_keys) = {
                    let d = deletes.clone();
                    let s = start.clone();
                    let mut out = (Vec::new(), Vec::new());
                    ctx.atomic(|c| {
                        for k in d {
                            c.delete(k)?;
                        }
                        out.0 = c.scan("p/")?.into_iter().map(|(k, _)| k).collect();
                        out.1 = c.kv_scan_keys_from("p/", &s, limit)?;
                        Err::<(), _>(AppError::invalid_request("roll back"))
                    })
                    .unwrap_err();
                    out
                };
                let want: Vec<String> = base_view
                    .into_iter()
                    .filter(|k| *k >= start)
                    .take(limit)
                    .collect();
                assert_eq!(child_keys, want);
            }
            let mut ro = ReadOnly(&base);
            let want: Vec<String> = base
                .0
                .keys()
                .filter(|k| k.starts_with("p/"))
                .cloned()
                .collect();
            assert_eq!(ro.kv_scan_keys_from("p/", "", usize::MAX).unwrap(), want);
        }
    }
}
