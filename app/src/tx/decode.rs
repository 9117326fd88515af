//! Stateless decoding and checks of `cosmos.tx.v1beta1.TxRaw`.

use glia_modules::address::Address;
use glia_modules::component::{Components, RoutedMsg};
use glia_modules::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::crypto::secp256k1::PubKey;
use glia_proto::cosmos::cosmos::tx::signing::v1beta1::SignMode;
use glia_proto::cosmos::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use prost::Message;
use sha2::{Digest, Sha256};

/// Type URL of the only key type accounts use.
pub const SECP256K1_PUBKEY: &str = "/cosmos.crypto.secp256k1.PubKey";

/// One signer of a tx, as its `SignerInfo` declares it.
#[derive(Clone, Debug)]
pub struct Signer {
    pub address: Address,
    /// The 33-byte compressed key, if the tx carries it.
    pub pubkey: Option<Vec<u8>>,
    pub sequence: u64,
    pub signature: Vec<u8>,
    pub direct: bool,
    /// Signed in SIGN_MODE_LEGACY_AMINO_JSON (Keplr's built-in screens, cosmjs amino signers).
    pub amino: bool,
}

/// A tx that passed every check needing no state.
#[derive(Clone, Debug)]
pub struct DecodedTx {
    pub len: usize,
    pub hash: [u8; 32],
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub msgs: Vec<RoutedMsg>,
    pub signers: Vec<Signer>,
}

impl DecodedTx {
    pub fn gas_limit(&self) -> u64 {
        self.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit)
    }

    /// Who pays the fee: the fee's `payer` if set and a signer, else the first signer.
    pub fn fee_payer(&self) -> &Address {
        &self.signers[0].address
    }
}

/// Decodes a tx and checks what needs no state, its messages routed to their components.
/// `max_bytes` bounds the raw size.
pub fn decode_tx(components: &Components, bytes: &[u8], max_bytes: usize) -> AppResult<DecodedTx> {
    if bytes.len() > max_bytes {
        return Err(AppError::tx_too_large(format!(
            "tx is {} bytes, the maximum is {max_bytes}",
            bytes.len()
        )));
    }
    let raw = TxRaw::decode(bytes).map_err(|e| AppError::tx_decode(format!("TxRaw: {e}")))?;
    // Reject a tx whose bytes are not exactly its TxRaw (trailing garbage, duplicate fields):
    // one tx must have one hash.
    if raw.encode_to_vec() != bytes {
        return Err(AppError::tx_decode("TxRaw is not in canonical encoding"));
    }
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| AppError::tx_decode(format!("TxBody: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| AppError::tx_decode(format!("AuthInfo: {e}")))?;
    if body.messages.is_empty() {
        return Err(AppError::invalid_request("tx has no messages"));
    }
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(AppError::unknown_extension_options(
            "extension options are not supported",
        ));
    }
    let fee = auth_info
        .fee
        .as_ref()
        .ok_or_else(|| AppError::tx_decode("tx has no fee"))?;
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(AppError::invalid_request(
            "fee payer and granter are not supported",
        ));
    }
    let msgs = body
        .messages
        .iter()
        .map(|m| components.decode(m))
        .collect::<AppResult<Vec<_>>>()?;

    // Signers in order of first appearance, as the SDK orders them.
    let mut addrs: Vec<Address> = Vec::new();
    for m in &msgs {
        for s in m.signers() {
            if !addrs.contains(s) {
                addrs.push(s.clone());
            }
        }
    }
    if raw.signatures.is_empty() {
        return Err(AppError::no_signatures("tx has no signatures"));
    }
    if raw.signatures.len() != addrs.len() || auth_info.signer_infos.len() != addrs.len() {
        return Err(AppError::unauthorized(format!(
            "wrong number of signers; expected {}, got {} signatures and {} signer infos",
            addrs.len(),
            raw.signatures.len(),
            auth_info.signer_infos.len()
        )));
    }
    let mut signers = Vec::with_capacity(addrs.len());
    for (i, (address, info)) in addrs.into_iter().zip(&auth_info.signer_infos).enumerate() {
        let pubkey = match &info.public_key {
            None => None,
            Some(any) if any.type_url == SECP256K1_PUBKEY => {
                let pk = PubKey::decode(any.value.as_slice())
                    .map_err(|e| AppError::invalid_pubkey(format!("signer {i}: {e}")))?;
                if pk.key.len() != 33 {
                    return Err(AppError::invalid_pubkey(format!(
                        "signer {i}: secp256k1 key must be 33 bytes (compressed), got {}",
                        pk.key.len()
                    )));
                }
                Some(pk.key)
            }
            Some(any) => {
                return Err(AppError::invalid_pubkey(format!(
                    "signer {i}: unsupported key type {:?}",
                    any.type_url
                )))
            }
        };
        let mode = match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
            Some(mode_info::Sum::Single(s)) => Some(s.mode),
            _ => None,
        };
        let direct = mode == Some(SignMode::Direct as i32);
        let amino = mode == Some(SignMode::LegacyAminoJson as i32);
        signers.push(Signer {
            address,
            pubkey,
            sequence: info.sequence,
            signature: raw.signatures[i].clone(),
            direct,
            amino,
        });
    }
    Ok(DecodedTx {
        len: bytes.len(),
        hash: Sha256::digest(bytes).into(),
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        body,
        auth_info,
        msgs,
        signers,
    })
}
