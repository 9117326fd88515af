//! Vote extensions in blocks. FinalizeBlock never sees the last commit's extensions, so the
//! proposer's PrepareProposal puts them (with their signatures) in the block as its first tx,
//! and every validator's ProcessProposal checks each signature against the validator set
//! and that they carry more than 2/3 of the voting power. Inference results and the
//! assignment beacon come from there.

use glia_modules::error::{AppError, AppResult};
use glia_modules::staking;
use glia_modules::staking::ConsensusAddress;
use glia_modules::Kv;
use glia_proto::abci::v1::{ExtendedVote, InjectedVotes};
use prost::Message;
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;
use tendermint_proto::v0_38::types::{BlockIdFlag, CanonicalVoteExtension};

/// Leads the injected tx. A `TxRaw` can never start with a 0 byte (field number 0 does not
/// exist), so no user tx is mistaken for it.
pub const PREFIX: &[u8] = b"\0glia/votes/v1\0";

pub fn is_injected(tx: &[u8]) -> bool {
    tx.starts_with(PREFIX)
}

/// The injected tx for the block after `commit`'s height: every vote that committed, with
/// its extension and signature.
pub fn build(commit: &ExtendedCommitInfo, height: i64) -> Vec<u8> {
    let votes = commit
        .votes
        .iter()
        .filter(|v| v.block_id_flag == BlockIdFlag::Commit as i32)
        .filter_map(|v| {
            let val = v.validator.as_ref()?;
            Some(ExtendedVote {
                validator_address: val.address.to_vec(),
                power: val.power,
                vote_extension: v.vote_extension.to_vec(),
                extension_signature: v.extension_signature.to_vec(),
            })
        })
        .collect();
    let injected = InjectedVotes {
        height: height.saturating_sub(1),
        round: commit.round,
        votes,
    };
    [PREFIX, &injected.encode_to_vec()].concat()
}

pub fn decode(tx: &[u8]) -> Option<InjectedVotes> {
    InjectedVotes::decode(tx.strip_prefix(PREFIX)?).ok()
}

/// The bytes a validator signs for its extension (CometBFT's `VoteExtensionSignBytes`).
pub fn sign_bytes(chain_id: &str, height: i64, round: i32, extension: &[u8]) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height,
        round: round.into(),
        chain_id: chain_id.into(),
    }
    .encode_length_delimited_to_vec()
}

/// Checks an injected tx for the block at `height`: right height, known validators, no
/// duplicates, valid signatures, more than 2/3 of the power.
pub fn verify(
    kv: &mut impl Kv,
    tx: &[u8],
    chain_id: &str,
    height: i64,
) -> AppResult<InjectedVotes> {
    let bad = |m: String| AppError::invalid_request(format!("injected votes: {m}"));
    let inj = decode(tx).ok_or_else(|| bad("do not decode".into()))?;
    let last = height
        .checked_sub(1)
        .ok_or_else(|| bad(format!("cannot be carried by block {height}")))?;
    if inj.height != last {
        return Err(bad(format!(
            "are for height {}, expected {last}",
            inj.height
        )));
    }
    let validators = staking::validators(kv)?;
    let total: i128 = validators.iter().map(|v| i128::from(v.power)).sum();
    let mut seen = std::collections::BTreeSet::new();
    let mut power: i128 = 0;
    for v in &inj.votes {
        let addr: [u8; 20] = v
            .validator_address
            .as_slice()
            .try_into()
            .map_err(|_| bad("a validator address is not 20 bytes".into()))?;
        let hex_addr = hex::encode_upper(addr);
        if !seen.insert(addr) {
            return Err(bad(format!("validator {hex_addr} appears twice")));
        }
        let val = validators
            .iter()
            .find(|x| x.address() == addr)
            .ok_or_else(|| bad(format!("{hex_addr} is not a validator")))?;
        let key = ed25519_consensus::VerificationKey::try_from(val.pubkey.as_slice())
            .map_err(|e| bad(format!("{hex_addr} key: {e}")))?;
        let sig: [u8; 64] = v
            .extension_signature
            .as_slice()
            .try_into()
            .map_err(|_| bad(format!("{hex_addr}'s signature is not 64 bytes")))?;
        key.verify(
            &ed25519_consensus::Signature::from(sig),
            &sign_bytes(chain_id, inj.height, inj.round, &v.vote_extension),
        )
        .map_err(|_| bad(format!("{hex_addr}'s extension signature does not verify")))?;
        power = power.saturating_add(i128::from(val.power));
    }
    // Sums of i64 voting powers: far from i128's bounds.
    if power.saturating_mul(3) <= total.saturating_mul(2) {
        return Err(bad(format!(
            "carry power {power} of {total}, not more than 2/3"
        )));
    }
    Ok(inj)
}
