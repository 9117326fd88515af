//! A content-addressed blob store: each output is a file named by its sha256, written
//! atomically (temp file, then rename), so a reader never sees a partial blob and the chain's
//! hash of an output is also its address.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub struct BlobStore {
    root: PathBuf,
}

/// Lower-case hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn valid_hash(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        Ok(BlobStore { root })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2]).join(hash)
    }

    /// Stores `data`, returning its sha256 (hex). Storing the same bytes twice is a no-op.
    pub fn put(&self, data: &[u8]) -> Result<String> {
        let hash = sha256_hex(data);
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let dir = path.parent().expect("blob path has a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{hash}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, &path)?;
        Ok(hash)
    }

    /// The blob with this hash, if stored. A malformed hash is an error, never a path.
    pub fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        if !valid_hash(hash) {
            bail!("not a sha256 hex digest: {hash:?}");
        }
        match std::fs::read(self.path(hash)) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes blobs last written more than `retention` before `now`; returns how many.
    pub fn prune(&self, retention: Duration, now: SystemTime) -> Result<usize> {
        let mut removed = 0;
        for shard in std::fs::read_dir(&self.root)? {
            let shard = shard?.path();
            if !shard.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&shard)? {
                let f = f?;
                let modified = f.metadata()?.modified()?;
                if now.duration_since(modified).unwrap_or_default() > retention {
                    std::fs::remove_file(f.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_prune() {
        let dir = std::env::temp_dir().join(format!("glia-blobs-{}", std::process::id()));
        let s = BlobStore::open(&dir).unwrap();
        let h = s.put(b"png bytes").unwrap();
        assert_eq!(h, sha256_hex(b"png bytes"));
        assert_eq!(s.put(b"png bytes").unwrap(), h);
        assert_eq!(s.get(&h).unwrap().unwrap(), b"png bytes");
        assert!(s.get(&"0".repeat(64)).unwrap().is_none());
        assert!(s.get("../../etc/passwd").is_err());
        assert_eq!(
            s.prune(Duration::from_secs(3600), SystemTime::now())
                .unwrap(),
            0
        );
        let later = SystemTime::now() + Duration::from_secs(7200);
        assert_eq!(s.prune(Duration::from_secs(3600), later).unwrap(), 1);
        assert!(s.get(&h).unwrap().is_none());
        std::fs::remove_dir_all(dir).ok();
    }
}
