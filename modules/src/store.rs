//! Layered key-value views used while executing: a tx overlay over the block overlay over
//! committed state. Changes sit in ordered maps, so merging and flushing them is deterministic,
//! and a failed tx is undone by dropping its overlay.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

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

impl Overlay<'_> {
    fn layered(&self) -> Layered<'_> {
        Layered {
            base: self.base,
            changes: &self.changes,
        }
    }
}

impl KvRead for Overlay<'_> {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.layered().get(key)
    }

    fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        self.layered().scan(prefix)
    }

    fn scan_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        self.layered().scan_keys(prefix)
    }

    fn scan_keys_from(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        self.layered().scan_keys_from(prefix, start, limit)
    }
}

/// The first key a range scan under `prefix` from `start` may return: `start`, or `prefix`
/// where `start` sorts before it.
pub fn range_start<'s>(prefix: &'s str, start: &'s str) -> &'s str {
    start.max(prefix)
}

/// The smallest key after `key` in key order.
pub fn successor(key: &str) -> String {
    format!("{key}\0")
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

    fn scan_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        self.scan_keys_from(prefix, prefix, usize::MAX)
    }

    /// Merges the base's keys from `start` with the pending changes from `start`, both in
    /// order. The base is read a limit at a time: a pending delete hides a base key, so the
    /// base may have to be read again after its first batch (each time twice as much).
    fn scan_keys_from(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        let from = range_start(prefix, start);
        let mut out = Vec::new();
        if limit == 0 || !from.starts_with(prefix) {
            return Ok(out);
        }
        let mut changes = self
            .changes
            .range::<str, _>((Bound::Included(from), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .peekable();
        let mut batch = limit;
        let mut base: VecDeque<String> = self.base.scan_keys_from(prefix, from, batch)?.into();
        // The last key of the base's batch, while the base may hold more after it.
        let mut more_after = base.back().filter(|_| base.len() == batch).cloned();
        while out.len() < limit {
            if base.is_empty() {
                if let Some(last) = more_after.take() {
                    batch = batch.saturating_mul(2);
                    base = self
                        .base
                        .scan_keys_from(prefix, &successor(&last), batch)?
                        .into();
                    more_after = base.back().filter(|_| base.len() == batch).cloned();
                }
            }
            let next_change = changes.peek().map(|(c, v)| (c.as_str(), v.is_some()));
            match (base.front(), next_change) {
                (None, None) => break,
                (Some(b), Some((c, _))) if b.as_str() < c => out.extend(base.pop_front()),
                (Some(_), None) => out.extend(base.pop_front()),
                (b, Some((c, live))) => {
                    if b.is_some_and(|b| b == c) {
                        base.pop_front();
                    }
                    if live {
                        out.push(c.to_string());
                    }
                    changes.next();
                }
            }
        }
        Ok(out)
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

    fn scan_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        self.scan_keys_from(prefix, prefix, usize::MAX)
    }

    fn scan_keys_from(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        Ok(self
            .0
            .range::<str, _>((
                Bound::Included(range_start(prefix, start)),
                Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
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

    /// A deterministic generator for the random cases (splitmix64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        /// A short key over a small alphabet, so keys share prefixes and prefixes of keys
        /// are keys too.
        fn key(&mut self) -> String {
            let len = 1 + self.below(5);
            (0..len)
                .map(|_| ['a', 'b', 'c', '/'][self.below(4)])
                .collect()
        }
    }

    /// What a range scan must return: the full scan's keys from `start` on, `limit` of them.
    fn expected(kv: &dyn KvRead, prefix: &str, start: &str, limit: usize) -> Vec<String> {
        kv.scan(prefix)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.as_str() >= start)
            .take(limit)
            .collect()
    }

    /// Range scans through two overlays with puts and deletes (of present and absent keys)
    /// over random base data agree with the full scan, for random prefixes, starts and limits.
    #[test]
    fn range_scans_agree_with_full_scans_through_overlays() {
        let mut rng = Rng(7);
        for _ in 0..200 {
            let mut base = MemStore::default();
            for _ in 0..rng.below(40) {
                base.0.insert(rng.key(), vec![1]);
            }
            let mut o = Overlay::new(&base);
            for _ in 0..rng.below(20) {
                match rng.below(3) {
                    0 => o.put(rng.key(), vec![2]),
                    _ => o.delete(rng.key()),
                }
            }
            let mut child = Overlay::new(&o);
            for _ in 0..rng.below(10) {
                match rng.below(2) {
                    0 => child.put(rng.key(), vec![3]),
                    _ => child.delete(rng.key()),
                }
            }
            let layers: [&dyn KvRead; 3] = [&base, &o, &child];
            for _ in 0..20 {
                let prefix = if rng.below(4) == 0 {
                    String::new()
                } else {
                    rng.key()[..1].to_string()
                };
                let start = match rng.below(3) {
                    0 => prefix.clone(),
                    1 => format!("{prefix}{}", rng.key()),
                    _ => rng.key(),
                };
                let limit = rng.below(8);
                for kv in layers {
                    assert_eq!(
                        kv.scan_keys_from(&prefix, &start, limit).unwrap(),
                        expected(kv, &prefix, &start, limit),
                        "prefix {prefix:?} start {start:?} limit {limit}"
                    );
                    assert_eq!(
                        kv.scan_keys(&prefix).unwrap(),
                        expected(kv, &prefix, "", usize::MAX)
                    );
                }
            }
        }
    }

    /// A store that counts the keys its range scans hand out and refuses full scans.
    struct Counting(MemStore, std::sync::atomic::AtomicUsize);
    impl KvRead for Counting {
        fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
            self.0.get(key)
        }
        fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
            anyhow::bail!("full scan of {prefix}")
        }
        fn scan_keys_from(
            &self,
            prefix: &str,
            start: &str,
            limit: usize,
        ) -> anyhow::Result<Vec<String>> {
            let keys = self.0.scan_keys_from(prefix, start, limit)?;
            self.1
                .fetch_add(keys.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(keys)
        }
    }

    /// A page through the overlays reads about a page of the base, not the whole prefix,
    /// even where the overlay deletes the base keys at the page's start.
    #[test]
    fn range_scans_read_about_a_page_of_the_base() {
        let mut base = Counting(MemStore::default(), Default::default());
        for i in 0..10_000 {
            base.0 .0.insert(format!("p/{i:05}"), vec![]);
        }
        let mut o = Overlay::new(&base);
        for i in 5_000..5_010 {
            o.delete(format!("p/{i:05}"));
        }
        o.put("p/05000x".into(), vec![]);
        let child = Overlay::new(&o);
        let keys = child.scan_keys_from("p/", "p/05000", 5).unwrap();
        assert_eq!(
            keys,
            ["p/05000x", "p/05010", "p/05011", "p/05012", "p/05013"]
        );
        let read = base.1.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read <= 40, "read {read} base keys for a page of 5");
    }
}
