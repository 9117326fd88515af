//! A keyring of named keys on disk, as the Cosmos SDK's CLI keeps one: one file per key in a
//! directory per backend. Each record keeps the key's name, address and public key in clear
//! (so `keys list` and `keys show` need no passphrase) and its BIP-39 mnemonic:
//! - backend `file`: encrypted with XChaCha20-Poly1305 under a key derived from the passphrase
//!   by scrypt (N = 2^15, r = 8, p = 1; a fresh 16-byte salt and 24-byte nonce per record; the
//!   name and address are the authenticated data, so a record cannot be renamed or pointed at
//!   another key without the passphrase noticing);
//! - backend `test`: in clear, for development networks only (the localnet's accounts).
//!
//! Files are written 0600 in a 0700 directory, atomically (a temporary file renamed).

use crate::keys::Key;
use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a keyring keeps its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Mnemonics encrypted with a passphrase.
    File,
    /// Mnemonics in clear (development only).
    Test,
}

impl Backend {
    pub fn parse(s: &str) -> Result<Backend> {
        match s {
            "file" => Ok(Backend::File),
            "test" => Ok(Backend::Test),
            other => bail!(
                "unknown keyring backend {other:?}: use file (encrypted with a passphrase) or \
                 test (in clear, for development networks)"
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Test => "test",
        }
    }
}

/// scrypt's cost: log2(N) = 15 (32 MiB, ~0.1 s), r = 8, p = 1.
const SCRYPT_LOG_N: u8 = 15;

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Record {
    name: String,
    address: String,
    /// Compressed secp256k1 public key, base64.
    pubkey: String,
    /// Backend `test`: the mnemonic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mnemonic: Option<String>,
    /// Backend `file`: the sealed mnemonic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<Sealed>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Sealed {
    kdf: String,
    log_n: u8,
    r: u32,
    p: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// What `keys list`/`show` print: no secret.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
    pub pubkey: String,
}

/// A keyring directory of one backend.
pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

fn valid_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        || name.starts_with('.')
    {
        bail!(
            "invalid key name {name:?}: 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
        );
    }
    Ok(())
}

fn cipher(passphrase: &str, salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<XChaCha20Poly1305> {
    let params = scrypt::Params::new(log_n, r, p, 32).context("scrypt parameters")?;
    let mut key = [0u8; 32];
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut key).context("scrypt")?;
    Ok(XChaCha20Poly1305::new(&key.into()))
}

fn aad(name: &str, address: &str) -> Vec<u8> {
    format!("glia keyring v1\n{name}\n{address}").into_bytes()
}

impl Keyring {
    /// The keyring of `backend` under `home` (`<home>/keyring-<backend>`).
    pub fn open(home: &Path, backend: Backend) -> Keyring {
        Keyring {
            dir: home.join(format!("keyring-{}", backend.name())),
            backend,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    fn read(&self, name: &str) -> Result<Option<Record>> {
        valid_name(name)?;
        let path = self.path(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let r: Record = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a keyring record", path.display()))?;
        if r.name != name {
            bail!("{} holds key {:?}, not {name:?}", path.display(), r.name);
        }
        Ok(Some(r))
    }

    /// Adds `name` for `mnemonic` (sealed with `passphrase` for the file backend). Refuses a
    /// name in use unless `overwrite`, and an address already held under another name.
    pub fn add(
        &self,
        name: &str,
        mnemonic: &str,
        passphrase: Option<&str>,
        overwrite: bool,
    ) -> Result<KeyInfo> {
        valid_name(name)?;
        let key = Key::from_mnemonic(mnemonic)?;
        let address = key.address.to_bech32();
        if !overwrite && self.read(name)?.is_some() {
            bail!(
                "a key named {name:?} is already in {} (delete it first, or pass --overwrite)",
                self.dir.display()
            );
        }
        if let Some(other) = self
            .list()?
            .into_iter()
            .find(|k| k.address == address && k.name != name)
        {
            bail!(
                "this key is already in the keyring as {:?} ({address})",
                other.name
            );
        }
        let mnemonic = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut record = Record {
            name: name.into(),
            address: address.clone(),
            pubkey: B64.encode(&key.pubkey),
            mnemonic: None,
            sealed: None,
        };
        match self.backend {
            Backend::Test => record.mnemonic = Some(mnemonic),
            Backend::File => {
                let pass = passphrase.context("the file keyring needs a passphrase")?;
                if pass.len() < 8 {
                    bail!("the passphrase must have at least 8 characters");
                }
                let mut salt = [0u8; 16];
                let mut nonce = [0u8; 24];
                OsRng.fill_bytes(&mut salt);
                OsRng.fill_bytes(&mut nonce);
                let c = cipher(pass, &salt, SCRYPT_LOG_N, 8, 1)?;
                let ct = c
                    .encrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: mnemonic.as_bytes(),
                            aad: &aad(name, &address),
                        },
                    )
                    .map_err(|_| anyhow::anyhow!("sealing the mnemonic failed"))?;
                record.sealed = Some(Sealed {
                    kdf: "scrypt".into(),
                    log_n: SCRYPT_LOG_N,
                    r: 8,
                    p: 1,
                    salt: B64.encode(salt),
                    nonce: B64.encode(nonce),
                    ciphertext: B64.encode(ct),
                });
            }
        }
        self.write(&record)?;
        Ok(self.info(&record))
    }

    fn write(&self, record: &Record) -> Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let path = self.path(&record.name);
        let tmp = self.dir.join(format!(".{}.tmp", record.name));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        std::io::Write::write_all(&mut f, serde_json::to_string_pretty(record)?.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    fn info(&self, r: &Record) -> KeyInfo {
        KeyInfo {
            name: r.name.clone(),
            kind: "local".into(),
            address: r.address.clone(),
            pubkey: r.pubkey.clone(),
        }
    }

    /// Every key, by name.
    pub fn list(&self) -> Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir.display())),
        };
        for e in entries {
            let name = e?.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".json").filter(|s| !s.starts_with('.')) {
                if let Some(r) = self.read(stem)? {
                    out.push(self.info(&r));
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The key named `name`, or the one whose address is `name`.
    pub fn show(&self, name: &str) -> Result<KeyInfo> {
        self.find(name).map(|r| self.info(&r))
    }

    fn find(&self, name_or_address: &str) -> Result<Record> {
        if valid_name(name_or_address).is_ok() {
            if let Some(r) = self.read(name_or_address)? {
                return Ok(r);
            }
        }
        for k in self.list()? {
            if k.address == name_or_address {
                if let Some(r) = self.read(&k.name)? {
                    return Ok(r);
                }
            }
        }
        bail!(
            "no key {name_or_address:?} in the {} keyring ({}); `gliad keys list` shows what it holds",
            self.backend.name(),
            self.dir.display()
        )
    }

    /// Whether a key `name` (or with that address) is held.
    pub fn has(&self, name_or_address: &str) -> bool {
        self.find(name_or_address).is_ok()
    }

    /// The key itself: for the file backend, `passphrase` unseals it (a wrong one, or a
    /// record changed on disk, is refused).
    pub fn key(&self, name_or_address: &str, passphrase: Option<&str>) -> Result<Key> {
        let r = self.find(name_or_address)?;
        let mnemonic = match (&r.mnemonic, &r.sealed) {
            (Some(m), _) => m.clone(),
            (None, Some(s)) => {
                let pass = passphrase.context("this key is encrypted: a passphrase is needed")?;
                if s.kdf != "scrypt" {
                    bail!("key {:?} uses an unknown kdf {:?}", r.name, s.kdf);
                }
                let salt = B64.decode(&s.salt).context("salt")?;
                let nonce = B64.decode(&s.nonce).context("nonce")?;
                let ct = B64.decode(&s.ciphertext).context("ciphertext")?;
                let nonce: [u8; 24] = match nonce.try_into() {
                    Ok(n) if s.log_n <= 20 => n,
                    _ => bail!("key {:?}: malformed record", r.name),
                };
                let plain = cipher(pass, &salt, s.log_n, s.r, s.p)?
                    .decrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: &ct,
                            aad: &aad(&r.name, &r.address),
                        },
                    )
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "wrong passphrase for key {:?} (or its record was changed)",
                            r.name
                        )
                    })?;
                String::from_utf8(plain).context("sealed mnemonic")?
            }
            (None, None) => bail!("key {:?} has no secret in its record", r.name),
        };
        let key = Key::from_mnemonic(&mnemonic)?;
        if key.address.to_bech32() != r.address {
            bail!(
                "key {:?}: its mnemonic derives another address than recorded",
                r.name
            );
        }
        Ok(key)
    }

    /// Deletes `name`.
    pub fn delete(&self, name: &str) -> Result<KeyInfo> {
        let r = self.find(name)?;
        std::fs::remove_file(self.path(&r.name))
            .with_context(|| format!("deleting {}", self.path(&r.name).display()))?;
        Ok(self.info(&r))
    }
}

/// A new 24-word mnemonic from the operating system's randomness.
pub fn new_mnemonic() -> String {
    let mut entropy = [0u8; 32];
    OsRng.fill_bytes(&mut entropy);
    bip39::Mnemonic::from_entropy_in(bip39::Language::English, &entropy)
        .expect("32 bytes of entropy make a 24-word mnemonic")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::dev_mnemonic;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("glia-keyring-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn file_backend_seals_and_unseals_with_the_passphrase_only() {
        use std::os::unix::fs::PermissionsExt;
        let home = scratch("file");
        let k = Keyring::open(&home, Backend::File);
        let m = dev_mnemonic(3);
        let info = k.add("alice", &m, Some("correct horse"), false).unwrap();
        assert_eq!(
            info.address,
            Key::from_mnemonic(&m).unwrap().address.to_bech32()
        );
        let text = std::fs::read_to_string(k.dir().join("alice.json")).unwrap();
        assert!(!text.contains(&m), "the mnemonic is in clear: {text}");
        let mode = std::fs::metadata(k.dir().join("alice.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // List and show need no passphrase; the key does.
        assert_eq!(k.list().unwrap(), vec![info.clone()]);
        assert_eq!(k.show(&info.address).unwrap(), info);
        let key = k.key("alice", Some("correct horse")).unwrap();
        assert_eq!(key.address.to_bech32(), info.address);
        let e = k
            .key("alice", Some("wrong horse!"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("wrong passphrase"), "{e}");
        assert!(k.key("alice", None).is_err());
        // A record renamed on disk (to be picked by another --from) does not unseal.
        let mut r: serde_json::Value = serde_json::from_str(&text).unwrap();
        r["name"] = "bob".into();
        std::fs::write(k.dir().join("bob.json"), r.to_string()).unwrap();
        let e = k
            .key("bob", Some("correct horse"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("wrong passphrase"), "{e}");
        // Short passphrases, duplicate names and duplicate keys are refused.
        assert!(k
            .add("carol", &dev_mnemonic(4), Some("short"), false)
            .is_err());
        assert!(k
            .add("alice", &dev_mnemonic(4), Some("correct horse"), false)
            .is_err());
        assert!(k.add("alice2", &m, Some("correct horse"), false).is_err());
        k.delete("alice").unwrap();
        assert!(k.key("alice", Some("correct horse")).is_err());
        std::fs::remove_dir_all(&home).ok();
    }

    #[test]
    fn test_backend_keeps_mnemonics_in_clear_and_checks_names() {
        let home = scratch("test");
        let k = Keyring::open(&home, Backend::Test);
        let m = dev_mnemonic(0);
        k.add("dev0", &m, None, false).unwrap();
        assert_eq!(
            k.key("dev0", None).unwrap().address,
            Key::from_mnemonic(&m).unwrap().address
        );
        for bad in ["", "../x", ".hidden", "a b", &"n".repeat(65)] {
            assert!(k.add(bad, &m, None, true).is_err(), "{bad:?}");
        }
        assert!(k.add("x", "not a mnemonic", None, false).is_err());
        let fresh = new_mnemonic();
        assert_eq!(fresh.split(' ').count(), 24);
        assert_ne!(fresh, new_mnemonic());
        std::fs::remove_dir_all(&home).ok();
    }
}
