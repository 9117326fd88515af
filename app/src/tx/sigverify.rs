//! secp256k1 signature checks, with a cache of verified (sign bytes, key, signature) triples so
//! a tx checked in CheckTx is not verified again when its bytes come back in a block, and a
//! block's signatures can be verified on every core before its txs run in order.

use super::keytable::{self, KeyTables};
use glia_modules::error::{AppError, AppResult};
use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Mutex;

/// Entries kept before the cache is cleared; correctness never depends on a hit.
const LIMIT: usize = 500_000;

#[derive(Default)]
pub struct SigCache {
    ok: Mutex<HashSet<[u8; 32]>>,
    tables: KeyTables,
}

fn cache_key(sign_bytes: &[u8], pubkey: &[u8], sig: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((sign_bytes.len() as u64).to_be_bytes());
    h.update(sign_bytes);
    h.update(pubkey);
    h.update(sig);
    h.finalize().into()
}

/// Verifies without the cache. High-S signatures are refused, as the SDK refuses them.
pub fn verify(sign_bytes: &[u8], pubkey: &[u8], sig: &[u8], hint: &str) -> AppResult<()> {
    verify_with(None, sign_bytes, pubkey, sig, hint)
}

/// As [`verify`]; with `tables`, a key seen before is checked through its fixed-base table
/// (same verdict, about twice as fast).
fn verify_with(
    tables: Option<&KeyTables>,
    sign_bytes: &[u8],
    pubkey: &[u8],
    sig: &[u8],
    hint: &str,
) -> AppResult<()> {
    let fail = || AppError::unauthorized(format!("signature verification failed; {hint}"));
    let sig = Signature::from_slice(sig).map_err(|_| {
        AppError::unauthorized(format!(
            "signature must be 64 bytes r||s, got {} bytes",
            sig.len()
        ))
    })?;
    if sig.normalize_s().is_some() {
        return Err(AppError::unauthorized(
            "signature is not in lower-S form (high S values are malleable and refused)",
        ));
    }
    // A stored table was built from these bytes, so a hit needs no key decoding.
    let table = match tables.and_then(|t| t.lookup(pubkey)) {
        Some(t) => t,
        None => {
            let key = VerifyingKey::from_sec1_bytes(pubkey).map_err(|_| {
                AppError::invalid_pubkey("public key is not a valid secp256k1 point")
            })?;
            match tables.and_then(|t| t.admit(pubkey, &key)) {
                Some(t) => t,
                None => return key.verify(sign_bytes, &sig).map_err(|_| fail()),
            }
        }
    };
    keytable::verify(&table, sign_bytes, &sig)
        .then_some(())
        .ok_or_else(fail)
}

impl SigCache {
    /// Verifies, answering from the cache when these exact bytes were verified before.
    pub fn verify(
        &self,
        sign_bytes: &[u8],
        pubkey: &[u8],
        sig: &[u8],
        hint: &str,
    ) -> AppResult<()> {
        let k = cache_key(sign_bytes, pubkey, sig);
        if self.ok.lock().expect("sig cache").contains(&k) {
            return Ok(());
        }
        verify_with(Some(&self.tables), sign_bytes, pubkey, sig, hint)?;
        self.remember(k);
        Ok(())
    }

    /// Records a successful verification done elsewhere (e.g. on a worker thread).
    pub fn warm(&self, sign_bytes: &[u8], pubkey: &[u8], sig: &[u8]) {
        let k = cache_key(sign_bytes, pubkey, sig);
        if self.ok.lock().expect("sig cache").contains(&k) {
            return;
        }
        if verify_with(Some(&self.tables), sign_bytes, pubkey, sig, "").is_ok() {
            self.remember(k);
        }
    }

    fn remember(&self, k: [u8; 32]) {
        let mut ok = self.ok.lock().expect("sig cache");
        if ok.len() >= LIMIT {
            ok.clear();
        }
        ok.insert(k);
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.ok.lock().expect("sig cache").len()
    }

    pub fn clear(&self) {
        self.ok.lock().expect("sig cache").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{signature::Signer, SigningKey};

    #[test]
    fn high_s_is_refused_and_low_s_accepted() {
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pk = sk.verifying_key().to_sec1_bytes();
        let msg = b"sign doc";
        let sig: Signature = sk.sign(msg);
        let sig = sig.normalize_s().unwrap_or(sig);
        verify(msg, &pk, &sig.to_bytes(), "x").unwrap();
        // s' = n - s is the malleated twin of the same signature.
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        let e = verify(msg, &pk, &high.to_bytes(), "x").unwrap_err();
        assert!(e.log.contains("lower-S"), "{}", e.log);
        let e = verify(b"other", &pk, &sig.to_bytes(), "check chain-id").unwrap_err();
        assert_eq!(e.code, 4);
        assert!(e.log.contains("check chain-id"));
        let cache = SigCache::default();
        cache.verify(msg, &pk, &sig.to_bytes(), "x").unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_table_path_gives_the_same_answers_and_errors() {
        let sk = SigningKey::from_slice(&[8u8; 32]).unwrap();
        let pk = sk.verifying_key().to_sec1_bytes();
        let cache = SigCache::default();
        let sign = |m: &[u8]| {
            let s: Signature = sk.sign(m);
            s.normalize_s().unwrap_or(s).to_bytes()
        };
        // First sighting: k256; second on: the key's table.
        for i in 0..4u8 {
            let msg = [b'd', i];
            cache.verify(&msg, &pk, &sign(&msg), "x").unwrap();
            let e = cache
                .verify(b"forged", &pk, &sign(&msg), "check chain-id")
                .unwrap_err();
            assert_eq!((e.code, e.codespace), (4, "sdk"), "{}", e.log);
            assert!(e
                .log
                .contains("signature verification failed; check chain-id"));
        }
        assert_eq!(cache.tables.len(), 1);
        // High S and bad keys are refused before any table is consulted.
        let (r, s) = Signature::from_slice(&sign(b"d")).unwrap().split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap().to_bytes();
        let e = cache.verify(b"d", &pk, &high, "x").unwrap_err();
        assert!(e.log.contains("lower-S"), "{}", e.log);
        let mut bad_key = pk.to_vec();
        bad_key[0] = 9;
        assert_eq!(
            cache
                .verify(b"d", &bad_key, &sign(b"d"), "x")
                .unwrap_err()
                .code,
            8
        );
    }
}
