//! Building and signing txs exactly as cosmjs does (SIGN_MODE_DIRECT), for the CLI, the load
//! generator, the services, the benchmarks and the end-to-end tests.

use crate::keys::Key;
use glia_modules::coins::Coin;
use glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend;
use glia_proto::cosmos::cosmos::crypto::secp256k1::PubKey;
use glia_proto::cosmos::cosmos::tx::signing::v1beta1::SignMode;
use glia_proto::cosmos::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use glia_proto::cosmos::Any;
use k256::ecdsa::{signature::Signer, Signature};
use prost::{Message, Name};

/// Everything that goes into one signed tx besides its messages.
#[derive(Clone, Debug)]
pub struct TxParams {
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub memo: String,
}

pub fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

pub fn msg_send(from: &Key, to: &str, coins: &[Coin]) -> Any {
    any(&MsgSend {
        from_address: from.address.to_bech32(),
        to_address: to.to_string(),
        amount: coins.iter().map(Coin::to_proto).collect(),
    })
}

/// The unsigned parts: body bytes and auth-info bytes.
pub fn unsigned(key: &Key, msgs: Vec<Any>, p: &TxParams) -> (Vec<u8>, Vec<u8>) {
    let body = TxBody {
        messages: msgs,
        memo: p.memo.clone(),
        ..Default::default()
    };
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey {
                    key: key.pubkey.clone(),
                }
                .encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: p.sequence,
        }],
        fee: Some(Fee {
            amount: p.fee.iter().map(Coin::to_proto).collect(),
            gas_limit: p.gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        ..Default::default()
    };
    (body.encode_to_vec(), auth.encode_to_vec())
}

/// Signs sign-doc bytes: 64-byte r||s with low S, as cosmjs produces.
pub fn sign_raw(key: &Key, sign_doc: &[u8]) -> Vec<u8> {
    let sig: Signature = key.signing.sign(sign_doc);
    sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
}

/// A complete signed `TxRaw`.
pub fn sign_tx(key: &Key, msgs: Vec<Any>, p: &TxParams) -> Vec<u8> {
    let (body_bytes, auth_info_bytes) = unsigned(key, msgs, p);
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: p.chain_id.clone(),
        account_number: p.account_number,
    };
    let sig = sign_raw(key, &doc.encode_to_vec());
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![sig],
    }
    .encode_to_vec()
}
