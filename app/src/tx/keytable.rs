//! Faster secp256k1 verification for keys seen more than once.
//!
//! ECDSA verification computes `R = u1·G + u2·Q` and accepts when `R.x mod n == r`. k256 does
//! this with a constant-time double-and-add over both points (~130 doublings, ~160 additions
//! and ~130 constant-time table scans per signature, rebuilding Q's small tables each time).
//! Verification handles only public data, so it may run in variable time: with a table of
//! `j·16^i·P` (i < 65, 1 ≤ j ≤ 8) for both G and Q, `k·P` is one mixed addition per non-zero
//! signed radix-16 digit of `k` and no doublings at all (Hankerson, Menezes, Vanstone, *Guide
//! to Elliptic Curve Cryptography*, §3.3, fixed-base windowing). A table costs about as much
//! as two verifications to build and 45 KiB to keep, so [`KeyTables`] builds one on a key's
//! second signature and keeps a bounded number of them.
//!
//! The accept/reject decision is exactly k256's: same scalars, same group law (k256's own
//! complete addition formulas), same final comparison. Tests compare the two on valid and
//! invalid signatures.

// Reviewed exception to the crate's arithmetic lint: the operators here are the curve's group
// law and scalar field (they cannot overflow), and nibble/bit positions of a 32-byte scalar.
#![allow(clippy::arithmetic_side_effects)]

use k256::ecdsa::{Signature, VerifyingKey};
use k256::elliptic_curve::ops::{Invert, Reduce};
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::BatchNormalize;
use k256::{AffinePoint, ProjectivePoint, Scalar, U256};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Signed radix-16 digits of a 256-bit scalar: 64 nibbles plus a final carry.
const WINDOWS: usize = 65;

/// `table[i][j] = (j + 1)·16^i·P`, affine so additions into the accumulator are mixed.
pub struct Table(Box<[[AffinePoint; 8]]>);

impl Table {
    pub fn new(p: &ProjectivePoint) -> Self {
        let mut proj = Vec::with_capacity(WINDOWS * 8);
        let mut base = *p;
        for _ in 0..WINDOWS {
            let mut acc = base;
            proj.push(acc);
            for _ in 1..8 {
                acc += &base;
                proj.push(acc);
            }
            for _ in 0..4 {
                base = base.double();
            }
        }
        // One field inversion for all 520 points (Montgomery's trick, in k256).
        let affine = <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(
            proj.as_slice(),
        );
        Table(
            affine
                .chunks_exact(8)
                .map(|c| <[AffinePoint; 8]>::try_from(c).expect("chunks of 8"))
                .collect(),
        )
    }

    /// `acc += k·P`, in time that depends on `k` (public in verification).
    fn mul_add(&self, k: &Scalar, acc: &mut ProjectivePoint) {
        for (row, d) in self.0.iter().zip(digits(k)) {
            match d {
                0 => {}
                d if d > 0 => *acc += &row[d as usize - 1],
                d => *acc += &-row[(-d) as usize - 1],
            }
        }
    }
}

/// `k = Σ d_i·16^i` with every `d_i` in `[-8, 8)` (the last one 0 or 1).
fn digits(k: &Scalar) -> [i8; WINDOWS] {
    let bytes = k.to_bytes(); // big-endian
    let mut out = [0i8; WINDOWS];
    let mut carry = 0i8;
    for (i, d) in out.iter_mut().take(64).enumerate() {
        let b = bytes[31 - i / 2];
        let nibble = if i % 2 == 0 { b & 15 } else { b >> 4 } as i8 + carry;
        carry = (nibble >= 8) as i8;
        *d = nibble - 16 * carry;
    }
    out[64] = carry;
    out
}

fn generator() -> &'static Table {
    static G: OnceLock<Table> = OnceLock::new();
    G.get_or_init(|| Table::new(&ProjectivePoint::GENERATOR))
}

/// Verifies a signature over `SHA-256(msg)` by the key whose table is `q`. The caller has
/// already refused high-S signatures, as the ante handler does before any verification.
pub fn verify(q: &Table, msg: &[u8], sig: &Signature) -> bool {
    let z = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(msg));
    let (r, s) = sig.split_scalars();
    let s_inv = *s.invert_vartime(); // s is non-zero, so it has an inverse
    let (u1, u2) = (z * s_inv, *r * s_inv);
    let mut acc = ProjectivePoint::IDENTITY;
    generator().mul_add(&u1, &mut acc);
    q.mul_add(&u2, &mut acc);
    // The identity's affine x is 0, which never equals a (non-zero) r.
    <Scalar as Reduce<U256>>::reduce_bytes(&acc.to_affine().x()) == *r
}

/// Tables kept at most; 45 KiB each.
const MAX_TABLES: usize = 512;
/// Keys remembered as seen once before their table is built.
const MAX_SEEN: usize = 65_536;
/// A table not used for this many lookups may give its place to another key's. Until then
/// a full cache admits nothing, so many keys cycling through it cannot make it thrash
/// (rebuilding tables costs more than the verifications they save).
const STALE_AFTER: u64 = 16 * MAX_TABLES as u64;

/// Tables for recently active keys, keyed by their SEC1 bytes.
#[derive(Default)]
pub struct KeyTables(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    /// Each table with the lookup count at its last use.
    tables: HashMap<Vec<u8>, (Arc<Table>, u64)>,
    seen_once: HashSet<Vec<u8>>,
    lookups: u64,
}

impl Inner {
    fn hit(&mut self, sec1: &[u8]) -> Option<Arc<Table>> {
        self.lookups = self.lookups.wrapping_add(1);
        let now = self.lookups;
        self.tables.get_mut(sec1).map(|(t, used)| {
            *used = now;
            t.clone()
        })
    }
}

impl KeyTables {
    /// The stored table for these SEC1 bytes, if any (the bytes were checked when it was
    /// built, so a hit skips decoding the key).
    pub fn lookup(&self, sec1: &[u8]) -> Option<Arc<Table>> {
        self.0.lock().expect("key tables").hit(sec1)
    }

    /// After a [`lookup`](Self::lookup) miss: a new table for `key` on its second sighting,
    /// if there is room. `None` means "verify the ordinary way".
    pub fn admit(&self, sec1: &[u8], key: &VerifyingKey) -> Option<Arc<Table>> {
        {
            let mut inner = self.0.lock().expect("key tables");
            if !inner.seen_once.contains(sec1) {
                if inner.seen_once.len() >= MAX_SEEN {
                    inner.seen_once.clear();
                }
                inner.seen_once.insert(sec1.to_vec());
                return None;
            }
            if inner.tables.len() >= MAX_TABLES {
                let now = inner.lookups;
                let (oldest, used) = inner
                    .tables
                    .iter()
                    .map(|(k, (_, used))| (k, *used))
                    .min_by_key(|(_, used)| *used)
                    .map(|(k, used)| (k.clone(), used))
                    .expect("a full cache has entries");
                if now.wrapping_sub(used) < STALE_AFTER {
                    return None;
                }
                inner.tables.remove(&oldest);
            }
            inner.seen_once.remove(sec1);
        }
        // Built outside the lock; two threads racing on one key build it twice, harmlessly.
        let table = Arc::new(Table::new(&ProjectivePoint::from(*key.as_affine())));
        let mut inner = self.0.lock().expect("key tables");
        let now = inner.lookups;
        inner
            .tables
            .entry(sec1.to_vec())
            .or_insert((table.clone(), now));
        Some(table)
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("key tables").tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::{Signer, Verifier};
    use k256::ecdsa::SigningKey;

    /// Deterministic test scalars and bytes.
    fn h(tag: &str, i: usize) -> [u8; 32] {
        Sha256::digest(format!("{tag}/{i}")).into()
    }
    fn scalar(tag: &str, i: usize) -> Scalar {
        <Scalar as Reduce<U256>>::reduce_bytes(&h(tag, i).into())
    }
    fn signing_key(i: usize) -> SigningKey {
        SigningKey::from_slice(&h("key", i)).unwrap()
    }
    fn low_s(sig: Signature) -> Signature {
        sig.normalize_s().unwrap_or(sig)
    }

    #[test]
    fn table_multiplication_matches_k256() {
        let p = ProjectivePoint::GENERATOR * scalar("point", 0);
        let t = Table::new(&p);
        let mut ks = vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(8u64)];
        ks.push(Scalar::from(0x8888_8888_8888_8888u64));
        ks.push(<Scalar as Reduce<U256>>::reduce_bytes(&[0xff; 32].into()));
        ks.push(<Scalar as Reduce<U256>>::reduce_bytes(&[0x88; 32].into()));
        ks.push(<Scalar as Reduce<U256>>::reduce_bytes(&[0x77; 32].into()));
        ks.extend((0..200).map(|i| scalar("k", i)));
        for k in ks {
            let mut acc = ProjectivePoint::IDENTITY;
            t.mul_add(&k, &mut acc);
            assert_eq!(acc.to_affine(), (p * k).to_affine(), "k = {k:?}");
        }
    }

    #[test]
    fn digits_recompose() {
        for i in 0..200 {
            let k = scalar("digits", i);
            let d = digits(&k);
            assert!(d[..64].iter().all(|d| (-8..8).contains(d)) && (0..=1).contains(&d[64]));
            let mut sum = Scalar::ZERO;
            for d in d.iter().rev() {
                sum *= Scalar::from(16u64);
                let m = Scalar::from(d.unsigned_abs() as u64);
                sum += if *d < 0 { -m } else { m };
            }
            assert_eq!(sum, k);
        }
    }

    #[test]
    fn same_verdicts_as_k256_on_valid_and_invalid_signatures() {
        for i in 0..64 {
            let sk = signing_key(i);
            let vk = *sk.verifying_key();
            let t = Table::new(&ProjectivePoint::from(*vk.as_affine()));
            let msg: Vec<u8> = (0..=i).flat_map(|j| h("msg", i * 100 + j)).collect();
            let sig = low_s(sk.sign(&msg));
            assert!(vk.verify(&msg, &sig).is_ok());
            assert!(verify(&t, &msg, &sig), "valid signature refused");
            let mut other = msg.clone();
            other[i % msg.len()] ^= 1;
            let (r, s) = sig.split_scalars();
            let cases = [
                (other, sig),
                (
                    msg.clone(),
                    Signature::from_scalars(*r + Scalar::ONE, *s).unwrap(),
                ),
                (
                    msg.clone(),
                    low_s(Signature::from_scalars(*r, *s + Scalar::ONE).unwrap()),
                ),
                (
                    msg.clone(),
                    low_s(Signature::from_scalars(scalar("r", i), scalar("s", i)).unwrap()),
                ),
            ];
            for (m, sg) in &cases {
                assert!(!verify(&t, m, sg), "case {i}: invalid signature accepted");
                assert!(vk.verify(m, sg).is_err());
            }
            let wrong = *signing_key(1000 + i).verifying_key();
            let wt = Table::new(&ProjectivePoint::from(*wrong.as_affine()));
            assert!(!verify(&wt, &msg, &sig));
            assert!(wrong.verify(&msg, &sig).is_err());
        }
    }

    /// What a verification does: the stored table, else maybe a new one.
    fn get(tables: &KeyTables, sec1: &[u8], key: &VerifyingKey) -> Option<Arc<Table>> {
        tables.lookup(sec1).or_else(|| tables.admit(sec1, key))
    }

    #[test]
    fn tables_are_built_on_the_second_sighting() {
        let tables = KeyTables::default();
        let vk = *signing_key(7).verifying_key();
        let sec1 = vk.to_sec1_bytes();
        assert!(get(&tables, &sec1, &vk).is_none());
        assert!(get(&tables, &sec1, &vk).is_some());
        assert!(get(&tables, &sec1, &vk).is_some());
        assert_eq!(tables.len(), 1);
        assert!(tables.lookup(&sec1).is_some());
    }

    #[test]
    fn a_full_cache_keeps_its_active_keys_and_replaces_stale_ones() {
        let tables = KeyTables::default();
        let keys: Vec<_> = (0..MAX_TABLES + 1)
            .map(|i| *signing_key(i).verifying_key())
            .collect();
        let sec1: Vec<_> = keys.iter().map(|k| k.to_sec1_bytes()).collect();
        for _ in 0..2 {
            for (k, b) in keys[..MAX_TABLES].iter().zip(&sec1) {
                get(&tables, b, k);
            }
        }
        assert_eq!(tables.len(), MAX_TABLES);
        // A newcomer seen twice while every table is in use: no room, no rebuild.
        let (k, b) = (&keys[MAX_TABLES], &sec1[MAX_TABLES]);
        assert!(get(&tables, b, k).is_none() && get(&tables, b, k).is_none());
        // Once the others go quiet (lookups of the first key only), the newcomer gets one.
        for _ in 0..STALE_AFTER {
            tables.lookup(&sec1[0]);
        }
        assert!(get(&tables, b, k).is_some());
        assert_eq!(tables.len(), MAX_TABLES);
        assert!(
            tables.lookup(&sec1[0]).is_some(),
            "the active key kept its table"
        );
    }
}
