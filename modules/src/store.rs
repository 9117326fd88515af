//! Layered key-value views used while executing: a tx overlay over the block overlay over
//! committed state. Changes sit in ordered maps, so merging and flushing them is deterministic,
//! and a failed tx is undone by dropping its overlay.

use std::collections::BTreeMap;

/// Read access to a key-value state with string keys (cnidarium's key form).
pub trait KvRead: Send + Sync {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Every pair whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>>;
    /// Every key that starts with `prefix`, in key order, without reading values: listings
    /// then load only the records of the page they return.
    fn scan_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        Ok(self.scan(prefix)?.into_iter().map(|(k, _)| k).collect())
    }
    /// At most `limit` keys under `prefix` from `start` (inclusive) on, in key order: a page's
    /// worth, so a paginated query stops reading once its page is full. Stores that iterate
    /// lazily stop early; this default filters a full listing.
    fn scan_keys_from(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        Ok(self
            .scan_keys(prefix)?
            .into_iter()
            .filter(|k| k.as_str() >= start)
            .take(limit)
            .collect())
    }
}

/// Keys under this prefix are per-block scratch data: written and read while a block
/// executes, dropped before the block's changes are hashed and committed, so they are never
/// part of the Merkle tree (as cnidarium's object store keeps such data beside it).
pub const SCRATCH_PREFIX: &str = "scratch/";

/// Drops the scratch data from a block's changes (see [`SCRATCH_PREFIX`]).
pub fn without_scratch(mut changes: Changes) -> Changes {
    changes.retain(|k, _| !k.starts_with(SCRATCH_PREFIX));
    changes
}

/// Pending changes: `None` deletes the key.
pub type Changes = BTreeMap<String, Option<Vec<u8>>>;

/// Writes buffered over a read-only base.
pub struct Overlay<'a> {
    base: &'a dyn KvRead,
    changes: Changes,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn KvRead) -> Self {
        Overlay {
            base,
            changes: Changes::new(),
        }
    }

    pub fn put(&mut self, key: String, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: String) {
        self.changes.insert(key, None);
    }

    /// Applies changes made in a child overlay on top of this one.
    pub fn absorb(&mut self, changes: Changes) {
        self.changes.extend(changes);
    }

    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    pub fn into_changes(self) -> Changes {
        self.changes
    }
}

impl KvRead for Overlay<'_> {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Layered {
            base: self.base,
            changes: &self.changes,
        }
        .get(key)
    }

    fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        Layered {
            base: self.base,
            changes: &self.changes,
        }
        .scan(prefix)
    }
}

/// Pending changes over a base, borrowed (the mempool's check state, kept between txs).
pub struct Layered<'a> {
    pub base: &'a dyn KvRead,
    pub changes: &'a Changes,
}

impl KvRead for Layered<'_> {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }

    fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let mut merged: BTreeMap<String, Vec<u8>> = self.base.scan(prefix)?.into_iter().collect();
        for (k, v) in self.changes.range(prefix.to_string()..) {
            if !k.starts_with(prefix) {
                break;
            }
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }
}

/// An in-memory state, for genesis building and tests.
#[derive(Default, Clone, Debug)]
pub struct MemStore(pub BTreeMap<String, Vec<u8>>);

impl MemStore {
    pub fn apply(&mut self, changes: Changes) {
        for (k, v) in changes {
            match v {
                Some(v) => self.0.insert(k, v),
                None => self.0.remove(&k),
            };
        }
    }
}

impl KvRead for MemStore {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }

    fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        Ok(self
            .0
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_through_and_scans_merged() {
        let mut base = MemStore::default();
        base.0.insert("a/1".into(), b"x".to_vec());
        base.0.insert("a/2".into(), b"y".to_vec());
        base.0.insert("b/1".into(), b"z".to_vec());
        let mut o = Overlay::new(&base);
        o.delete("a/1".into());
        o.put("a/3".into(), b"w".to_vec());
        assert_eq!(o.get("a/1").unwrap(), None);
        assert_eq!(o.get("b/1").unwrap(), Some(b"z".to_vec()));
        let keys: Vec<_> = o.scan("a/").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec!["a/2", "a/3"]);
        let mut child = Overlay::new(&o);
        child.put("a/2".into(), b"q".to_vec());
        let ch = child.into_changes();
        o.absorb(ch);
        assert_eq!(o.get("a/2").unwrap(), Some(b"q".to_vec()));
    }
}
