//! Keys: BIP-39 mnemonics and the Cosmos HD path m/44'/118'/0'/0/0.

use anyhow::{Context, Result};
use bip32::XPrv;
use bip39::{Language, Mnemonic};
use glia_modules::address::Address;
use k256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

pub const HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A secp256k1 key and its account address.
#[derive(Clone)]
pub struct Key {
    pub signing: SigningKey,
    pub pubkey: Vec<u8>,
    pub address: Address,
}

impl Key {
    pub fn from_signing(signing: SigningKey) -> Self {
        let pubkey = signing
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let address = Address::from_secp256k1(&pubkey);
        Key {
            signing,
            pubkey,
            address,
        }
    }

    pub fn from_mnemonic(phrase: &str) -> Result<Self> {
        // 12, 15, 18, 21 or 24 words, as cosmjs and Keplr accept.
        let m = Mnemonic::parse_in_normalized(Language::English, phrase.trim())
            .map_err(|e| anyhow::anyhow!("invalid mnemonic: {e}"))?;
        let seed = m.to_seed("");
        let xprv = XPrv::derive_from_path(seed, &HD_PATH.parse().context("hd path")?)
            .context("deriving key")?;
        Ok(Self::from_signing(xprv.private_key().clone()))
    }

    /// A throwaway key from 32 seed bytes (load generation, tests).
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut h: [u8; 32] = Sha256::digest(seed).into();
        loop {
            if let Ok(k) = SigningKey::from_slice(&h) {
                return Self::from_signing(k);
            }
            h = Sha256::digest(h).into();
        }
    }
}

/// The development mnemonics of the localnet: fixed, public, never for real funds.
pub fn dev_mnemonic(i: usize) -> String {
    mnemonic_from_entropy(&Sha256::digest(format!("glia development account {i}")).into())
}

/// The 24 BIP-39 words of 32 bytes of entropy.
pub fn mnemonic_from_entropy(entropy: &[u8; 32]) -> String {
    Mnemonic::from_entropy_in(Language::English, entropy)
        .expect("32 bytes of entropy")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses computed by cosmjs 0.39 (`DirectSecp256k1HdWallet.fromMnemonic`, prefix glia)
    /// for a 12- and an 18-word phrase: our derivation must match the wallets users have.
    #[test]
    fn matches_cosmjs_derivation() {
        let cases = [
            ("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
             "glia19rl4cm2hmr8afy4kldpxz3fka4jguq0axzrk3f"),
            ("surround miss nominee dream gap cross assault thank captain prosper drop duty group candy wealth weather scale put",
             "glia1lsagfzrm4gz28he4wunt63sts5xzmczwarcjcd"),
        ];
        for (m, addr) in cases {
            assert_eq!(Key::from_mnemonic(m).unwrap().address.to_bech32(), addr);
        }
        assert!(Key::from_mnemonic("abandon abandon abandon").is_err());
        assert_ne!(dev_mnemonic(0), dev_mnemonic(1));
        assert_eq!(dev_mnemonic(3).split(' ').count(), 24);
    }
}
