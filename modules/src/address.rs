//! Bech32 account addresses (`glia1…`), derived as the Cosmos SDK derives them.

use bech32::{Bech32, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

/// The chain's bech32 prefix for accounts.
pub const PREFIX: &str = "glia";
/// The prefix of validator operator addresses (`gliavaloper1…`): the operator account's bytes.
pub const VALOPER_PREFIX: &str = "gliavaloper";

/// An account address: the raw bytes (20 for keys and module accounts, 32 for derived ones)
/// and their canonical `glia1…` text, encoded once: state keys and event attributes use the
/// text on every access, and bech32 encoding is not free.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    bytes: Vec<u8>,
    text: String,
}

impl Address {
    /// Parses a `glia1…` string; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty address string is not allowed".into());
        }
        let (hrp, data) = bech32::decode(s).map_err(|e| format!("decoding bech32 failed: {e}"))?;
        if hrp.as_str() != PREFIX {
            return Err(format!(
                "invalid Bech32 prefix; expected {PREFIX}, got {}",
                hrp.as_str()
            ));
        }
        if data.is_empty() || data.len() > 255 {
            return Err(format!(
                "address length {} must be between 1 and 255 bytes",
                data.len()
            ));
        }
        if s.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("address must be lowercase".into());
        }
        // bech32::decode also accepts a bech32m checksum: that would be a second spelling of the
        // same bytes, a different state key, and coins sent to it would be lost to the key's
        // owner. Only the bech32 spelling is an address.
        let canonical = bech32::encode::<Bech32>(hrp, &data)
            .map_err(|e| format!("encoding bech32 failed: {e}"))?;
        if canonical != s {
            return Err(format!(
                "{s} is not a bech32 address (a bech32m checksum?): the bech32 spelling of its bytes is {canonical}"
            ));
        }
        Ok(Address {
            bytes: data,
            text: s.to_string(),
        })
    }

    /// The address of a secp256k1 key: ripemd160(sha256(compressed key)).
    pub fn from_secp256k1(compressed: &[u8]) -> Self {
        Self::from_bytes(Ripemd160::digest(Sha256::digest(compressed)).to_vec())
    }

    /// A module account's address: the first 20 bytes of sha256(name), as the SDK does.
    pub fn module(name: &str) -> Self {
        Self::from_bytes(Sha256::digest(name.as_bytes())[..20].to_vec())
    }

    /// An address of raw bytes (1 to 255 of them).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let hrp = Hrp::parse(PREFIX).expect("static prefix is valid");
        let text = bech32::encode::<Bech32>(hrp, &bytes).expect("address length is bounded");
        Address { bytes, text }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn to_bech32(&self) -> String {
        self.text.clone()
    }

    /// The operator address of a validator run by this account (`gliavaloper1…`).
    pub fn to_valoper(&self) -> String {
        let hrp = Hrp::parse(VALOPER_PREFIX).expect("static prefix is valid");
        bech32::encode::<Bech32>(hrp, &self.bytes).expect("address length is bounded")
    }

    /// The account behind a `gliavaloper1…` operator address; the error says what is wrong.
    pub fn parse_valoper(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty validator address".into());
        }
        let (hrp, data) = bech32::decode(s).map_err(|e| format!("decoding bech32 failed: {e}"))?;
        if hrp.as_str() != VALOPER_PREFIX {
            return Err(format!(
                "invalid Bech32 prefix; expected {VALOPER_PREFIX}, got {}",
                hrp.as_str()
            ));
        }
        if data.is_empty() || data.len() > 255 {
            return Err(format!(
                "address length {} must be between 1 and 255 bytes",
                data.len()
            ));
        }
        let a = Address::from_bytes(data);
        if a.to_valoper() != s {
            return Err(format!(
                "{s} is not in canonical form (lower case, bech32): {}",
                a.to_valoper()
            ));
        }
        Ok(a)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_errors() {
        let a = Address::module("fee_collector");
        let s = a.to_bech32();
        assert!(s.starts_with("glia1"));
        assert_eq!(Address::parse(&s).unwrap(), a);
        assert!(Address::parse("glia1xyz").unwrap_err().contains("bech32"));
        let cosmos = bech32::encode::<Bech32>(Hrp::parse("cosmos").unwrap(), a.as_bytes()).unwrap();
        assert!(Address::parse(&cosmos)
            .unwrap_err()
            .contains("expected glia"));
        assert!(Address::parse(&s.to_uppercase()).is_err());
    }

    /// The same bytes with a bech32m checksum are a second spelling: refused, naming the
    /// address (before, they parsed, and coins sent there sat under a key nobody controls).
    #[test]
    fn attack_a_bech32m_spelling_is_not_an_address() {
        let a = Address::module("bech32m victim");
        let m =
            bech32::encode::<bech32::Bech32m>(Hrp::parse(PREFIX).unwrap(), a.as_bytes()).unwrap();
        assert_ne!(m, a.to_bech32());
        assert!(
            bech32::decode(&m).is_ok(),
            "the library decodes either variant"
        );
        let e = Address::parse(&m).unwrap_err();
        assert!(e.contains("bech32m") && e.contains(&a.to_bech32()), "{e}");
    }
}
