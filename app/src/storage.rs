//! Committed state: cnidarium (a Jellyfish Merkle tree on RocksDB) plus a read cache of the
//! latest version. Block h is stored as version h-1; the genesis state is committed with block 1.

use anyhow::{Context, Result};
use cnidarium::{Snapshot, StagedWriteBatch, StateDelta, StateRead, StateWrite, Storage};
use futures::StreamExt;
use glia_modules::store::{Changes, KvRead};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use tokio::runtime::Handle;

mod range;

/// Substores of the multistore; each has its own root, provable under the app hash.
pub const SUBSTORES: &[&str] = &["ibc"];

/// Entries kept in the latest-version cache before it is dropped and refilled.
const CACHE_LIMIT: usize = 1 << 20;

/// The cache mirrors the latest committed version exactly: `version` guards against filling it
/// from an older snapshot while a commit moves on.
struct Cache {
    version: u64,
    entries: HashMap<String, Option<Vec<u8>>>,
}

pub struct Store {
    storage: Storage,
    rt: Handle,
    cache: Mutex<Cache>,
}

impl Store {
    pub fn open(path: &Path, rt: Handle) -> Result<Self> {
        let prefixes = SUBSTORES.iter().map(|s| s.to_string()).collect();
        let storage = rt
            .block_on(Storage::load(path.to_path_buf(), prefixes))
            .with_context(|| format!("opening state at {}", path.display()))?;
        let version = storage.latest_version();
        Ok(Store {
            storage,
            rt,
            cache: Mutex::new(Cache {
                version,
                entries: HashMap::new(),
            }),
        })
    }

    /// Height of the last committed block (0 before any).
    pub fn last_height(&self) -> u64 {
        match self.storage.latest_version() {
            u64::MAX => 0,
            v => v.saturating_add(1),
        }
    }

    /// Root hash of the last committed block's state (empty before any).
    pub fn last_app_hash(&self) -> Result<Vec<u8>> {
        if self.last_height() == 0 {
            return Ok(Vec::new());
        }
        Ok(self
            .rt
            .block_on(self.storage.latest_snapshot().root_hash())?
            .0
            .to_vec())
    }

    /// A view of the latest committed state that reads through the cache.
    pub fn latest(&self) -> LatestView<'_> {
        LatestView {
            snap: SnapView::new(self.storage.latest_snapshot(), self.rt.clone()),
            store: self,
        }
    }

    /// A read-only view of the state after block `height` (0 = latest), if still available.
    pub fn at_height(&self, height: u64) -> Option<SnapView> {
        let snap = if height == 0 {
            self.storage.latest_snapshot()
        } else {
            self.storage.snapshot(height.checked_sub(1)?)?
        };
        Some(SnapView::new(snap, self.rt.clone()))
    }

    /// Hashes `changes` on top of the latest state; the batch is written by [`Store::commit`].
    pub fn prepare(&self, changes: &Changes) -> Result<(StagedWriteBatch, Vec<u8>)> {
        let mut delta = StateDelta::new(self.storage.latest_snapshot());
        for (k, v) in changes {
            match v {
                Some(v) => delta.put_raw(k.clone(), v.clone()),
                None => delta.delete(k.clone()),
            }
        }
        let batch = self.rt.block_on(self.storage.prepare_commit(delta))?;
        let hash = batch.root_hash().0.to_vec();
        Ok((batch, hash))
    }

    /// Writes a prepared batch (one atomic RocksDB write) and moves the cache to it.
    pub fn commit(&self, batch: StagedWriteBatch, changes: Changes) -> Result<()> {
        let mut cache = self.cache.lock().expect("cache lock");
        self.storage.commit_batch(batch)?;
        if cache.entries.len().saturating_add(changes.len()) > CACHE_LIMIT {
            cache.entries.clear();
        }
        cache.entries.extend(changes);
        cache.version = self.storage.latest_version();
        Ok(())
    }

    /// ICS-23 proof of a key: `[proof in its substore, proof of the substore root]`.
    pub fn get_with_proof(
        &self,
        height: u64,
        key: Vec<u8>,
    ) -> Result<(Option<Vec<u8>>, ibc_types::core::commitment::MerkleProof)> {
        let view = self.at_height(height).context("height is not available")?;
        self.rt.block_on(view.snap.get_with_proof(key))
    }
}

/// A read-only view of one committed version.
pub struct SnapView {
    pub snap: Snapshot,
    rt: Handle,
}

impl SnapView {
    fn new(snap: Snapshot, rt: Handle) -> Self {
        SnapView { snap, rt }
    }

    /// Block height this version belongs to.
    pub fn height(&self) -> u64 {
        self.snap.version().wrapping_add(1)
    }
}

impl KvRead for SnapView {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        // get_raw spawns its blocking read when called, so call it inside the runtime.
        self.rt.block_on(async { self.snap.get_raw(key).await })
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut stream = self.snap.prefix_raw(prefix);
            while let Some(kv) = stream.next().await {
                out.push(kv?);
            }
            Ok(out)
        })
    }

    fn scan_keys(&self, prefix: &str) -> Result<Vec<String>> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut stream = self.snap.prefix_keys(prefix);
            while let Some(k) = stream.next().await {
                out.push(k?);
            }
            Ok(out)
        })
    }
    /// Lists the keys of a few subtrees of `start`'s prefixes (see [`range`]): a page costs
    /// about its own keys, not every key before it.
    fn scan_keys_from(&self, prefix: &str, start: &str, limit: usize) -> Result<Vec<String>> {
        let home = substore_of(prefix);
        let usable = |p: &str| substore_of(p) == home;
        range::keys_from(prefix, start, limit, usable, |p, c| {
            self.rt.block_on(async {
                let mut stream = self.snap.prefix_keys(p);
                while let Some(k) = stream.next().await {
                    if let Some(r) = c.offer(k?) {
                        return Ok(r);
                    }
                }
                Ok(range::Read::Exhausted)
            })
        })
    }
}

/// The substore cnidarium lists a prefix from (as its `find_substore` routes it): a listing
/// of a prefix of a key lists part of the key's prefix's listing only from the same one.
fn substore_of(prefix: &str) -> Option<&'static str> {
    SUBSTORES.iter().copied().find(|s| prefix.starts_with(s))
}

/// The latest version, read through the cache.
pub struct LatestView<'a> {
    snap: SnapView,
    store: &'a Store,
}

impl LatestView<'_> {
    pub fn height(&self) -> u64 {
        self.snap.height()
    }
}

impl KvRead for LatestView<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        {
            let cache = self.store.cache.lock().expect("cache lock");
            if cache.version == self.snap.snap.version() {
                if let Some(v) = cache.entries.get(key) {
                    return Ok(v.clone());
                }
            }
        }
        let v = self.snap.get(key)?;
        let mut cache = self.store.cache.lock().expect("cache lock");
        if cache.version == self.snap.snap.version() && cache.entries.len() < CACHE_LIMIT {
            cache.entries.insert(key.to_string(), v.clone());
        }
        Ok(v)
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.snap.scan(prefix)
    }

    fn scan_keys(&self, prefix: &str) -> Result<Vec<String>> {
        self.snap.scan_keys(prefix)
    }

    fn scan_keys_from(&self, prefix: &str, start: &str, limit: usize) -> Result<Vec<String>> {
        self.snap.scan_keys_from(prefix, start, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty directory for a store and a runtime to drive it.
    fn fresh(name: &str) -> (std::path::PathBuf, tokio::runtime::Runtime) {
        let dir = std::env::temp_dir().join(format!("glia-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        (dir, rt)
    }

    /// Reopening after blocks with and without changes finds the last committed height and
    /// the same root: what a restart after SIGKILL relies on.
    #[test]
    fn reopen_finds_last_version_after_every_kind_of_block() {
        let (dir, rt) = fresh("store");
        let mut hash = Vec::new();
        for (i, changes) in [
            vec![("a/1", "x")],
            vec![("app/last_block", "2")],
            vec![("b/2", "y"), ("a/1", "z")],
        ]
        .into_iter()
        .enumerate()
        {
            let store = Store::open(&dir, rt.handle().clone()).unwrap();
            assert_eq!(store.last_height(), i as u64);
            assert_eq!(store.last_app_hash().unwrap(), hash);
            let ch: Changes = changes
                .into_iter()
                .map(|(k, v)| (k.to_string(), Some(v.as_bytes().to_vec())))
                .collect();
            let (batch, h) = store.prepare(&ch).unwrap();
            store.commit(batch, ch).unwrap();
            hash = h;
            assert!(store.latest().get("a/1").unwrap().is_some());
            rt.block_on(async move { store.storage.release().await });
        }
        let store = Store::open(&dir, rt.handle().clone()).unwrap();
        assert_eq!(store.last_height(), 3);
        assert_eq!(store.latest().get("a/1").unwrap(), Some(b"z".to_vec()));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A key in the `ibc` substore is proven against the app hash in two ICS-23 steps, as
    /// Hermes checks it: the key in the substore, then the substore's root in the main tree.
    /// An absent key gets a verifiable non-existence proof.
    #[test]
    fn ibc_substore_proofs_verify_against_the_app_hash() {
        use ics23::commitment_proof::Proof;
        use ics23::HostFunctionsManager as H;
        let (dir, rt) = fresh("proof");
        let store = Store::open(&dir, rt.handle().clone()).unwrap();
        let ch: Changes = [
            ("ibc/clients/07-tendermint-0", "client state"),
            ("ibc/zzz", "z"),
            ("bank/x", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Some(v.as_bytes().to_vec())))
        .collect();
        let (batch, app_hash) = store.prepare(&ch).unwrap();
        store.commit(batch, ch).unwrap();
        let spec = cnidarium::ics23_spec();

        let (value, proof) = store
            .get_with_proof(1, b"ibc/clients/07-tendermint-0".to_vec())
            .unwrap();
        assert_eq!(value.as_deref(), Some(&b"client state"[..]));
        assert_eq!(proof.proofs.len(), 2);
        let Some(Proof::Exist(ex)) = &proof.proofs[0].proof else {
            panic!("existence proof expected")
        };
        let sub_root = ics23::calculate_existence_root::<H>(ex).unwrap();
        assert!(ics23::verify_membership::<H>(
            &proof.proofs[0],
            &spec,
            &sub_root,
            b"clients/07-tendermint-0",
            b"client state"
        ));
        assert!(ics23::verify_membership::<H>(
            &proof.proofs[1],
            &spec,
            &app_hash,
            b"ibc",
            &sub_root
        ));
        // A wrong value does not verify.
        assert!(!ics23::verify_membership::<H>(
            &proof.proofs[0],
            &spec,
            &sub_root,
            b"clients/07-tendermint-0",
            b"forged"
        ));

        let (value, proof) = store
            .get_with_proof(1, b"ibc/clients/absent".to_vec())
            .unwrap();
        assert!(value.is_none());
        assert!(ics23::verify_non_membership::<H>(
            &proof.proofs[0],
            &spec,
            &sub_root,
            b"clients/absent"
        ));
        assert!(ics23::verify_membership::<H>(
            &proof.proofs[1],
            &spec,
            &app_hash,
            b"ibc",
            &sub_root
        ));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The proof spec IBC hands counterparties (and relayers' configs) is the store's own.
    #[test]
    fn ibc_proof_spec_is_the_stores() {
        use prost::Message;
        assert_eq!(
            glia_modules::ibc::jmt_spec().encode_to_vec(),
            cnidarium::ics23_spec().encode_to_vec()
        );
    }

    /// Range scans of committed state (main store and the `ibc` substore, after deletes in a
    /// later version) agree with the filtered full listing, at the latest and an older version.
    #[test]
    fn range_scans_agree_with_full_listings() {
        let (dir, rt) = fresh("range");
        let store = Store::open(&dir, rt.handle().clone()).unwrap();
        let mut seed = 5u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for version in 0..3 {
            let mut ch = Changes::new();
            for _ in 0..600 {
                let root = ["a/", "ab/", "ibc/c/", "b/"][next(4) as usize];
                let key = format!("{root}{:x}", next(4096));
                ch.insert(key, (version == 0 || next(3) > 0).then(|| b"v".to_vec()));
            }
            let (batch, _) = store.prepare(&ch).unwrap();
            store.commit(batch, ch).unwrap();
        }
        let (latest, older) = (store.latest(), store.at_height(2).unwrap());
        for view in [&latest as &dyn KvRead, &older] {
            for prefix in ["", "a", "a/", "ab/", "ibc", "ibc/", "ibc/c/", "b/1", "c/"] {
                let all = view.scan_keys(prefix).unwrap();
                for _ in 0..40 {
                    let start = match next(3) {
                        0 => all.get(next(all.len() as u64 + 1) as usize).cloned(),
                        _ => None,
                    }
                    .unwrap_or_else(|| format!("{prefix}{:x}", next(8192)));
                    let limit = next(300) as usize;
                    let want: Vec<String> = all
                        .iter()
                        .filter(|k| **k >= start)
                        .take(limit)
                        .cloned()
                        .collect();
                    let got = view.scan_keys_from(prefix, &start, limit).unwrap();
                    assert_eq!(got, want, "prefix {prefix:?} start {start:?} limit {limit}");
                }
            }
        }
        drop((latest, older));
        rt.block_on(async move { store.storage.release().await });
        std::fs::remove_dir_all(&dir).ok();
    }
}
