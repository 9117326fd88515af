//! ibc-rs's host contexts over Glia's store: ICS-24 paths read and written through the
//! block's metered [`Ctx`], Glia's own consensus states from the header fields FinalizeBlock
//! gives, and the 07-tendermint light client's extra reads (consensus-state heights in order).
//!
//! ibc-rs reads through `&self` and writes through `&mut self`, and its transfer module needs
//! the same store as the core handlers; both get a [`Shared`] handle (a `RefCell` around the
//! message's context). The first store error (out of gas, above all) is kept so the message
//! fails with it rather than with ibc-rs's wrapping.

use super::state::{self, keys, path};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use ibc::clients::tendermint::client_state::ClientState as TmClientState;
use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::clients::tendermint::types::ConsensusState as TmConsensusStateType;
use ibc::core::channel::types::channel::ChannelEnd;
use ibc::core::channel::types::commitment::{AcknowledgementCommitment, PacketCommitment};
use ibc::core::channel::types::packet::Receipt;
use ibc::core::client::context::{
    ClientExecutionContext, ClientValidationContext, ExtClientValidationContext,
};
use ibc::core::client::types::Height;
use ibc::core::commitment_types::commitment::CommitmentPrefix;
use ibc::core::commitment_types::specs::ProofSpecs;
use ibc::core::connection::types::ConnectionEnd;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChainId, ClientId, ConnectionId, Sequence};
use ibc::core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath, ClientStatePath,
    ClientUpdateHeightPath, ClientUpdateTimePath, CommitmentPath, ConnectionPath, ReceiptPath,
    SeqAckPath, SeqRecvPath, SeqSendPath,
};
use ibc::core::host::{ExecutionContext, ValidationContext};
use ibc::cosmos_host::ValidateSelfClientContext;
use ibc::primitives::proto::{Any, Protobuf};
use ibc::primitives::{Signer, Timestamp};
use ibc_proto::ibc::core::connection::v1::ClientPaths;
use prost::Message;
use std::cell::RefCell;
use std::time::Duration;

/// The message's context, shared by the core handlers and the apps.
pub struct Shared<'c, 'a> {
    ctx: RefCell<&'c mut Ctx<'a>>,
    error: RefCell<Option<AppError>>,
}

impl<'c, 'a> Shared<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>) -> Self {
        Shared {
            ctx: RefCell::new(ctx),
            error: RefCell::new(None),
        }
    }

    /// Runs `f` on the context; a store error is kept and answered as a host error.
    pub fn with<T>(&self, f: impl FnOnce(&mut Ctx<'a>) -> AppResult<T>) -> Result<T, HostError> {
        let mut ctx = self.ctx.borrow_mut();
        f(&mut ctx).map_err(|e| {
            let log = e.log.clone();
            self.error.borrow_mut().get_or_insert(e);
            HostError::failed_to_retrieve(log)
        })
    }

    /// The first store error met, if any (it decides the message's error).
    pub fn take_error(&self) -> Option<AppError> {
        self.error.borrow_mut().take()
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.with(|ctx| ctx.get(key))
    }

    fn put(&self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        self.with(|ctx| ctx.put(key, value))
    }

    fn delete(&self, key: String) -> Result<(), HostError> {
        self.with(|ctx| ctx.delete(key))
    }

    fn must_get(&self, key: &str, what: &str) -> Result<Vec<u8>, HostError> {
        self.get(key)?
            .ok_or_else(|| HostError::missing_state(format!("{what} is not in state")))
    }

    fn get_u64(&self, key: &str) -> Result<Option<u64>, HostError> {
        self.with(|ctx| state::get_u64(ctx, key))
    }

    fn scan_keys(&self, prefix: &str) -> Result<Vec<String>, HostError> {
        self.with(|ctx| Ok(ctx.scan(prefix)?.into_iter().map(|(k, _)| k).collect()))
    }

    pub fn block_height(&self) -> u64 {
        self.ctx.borrow().block.height
    }

    pub fn block_time(&self) -> Result<Timestamp, HostError> {
        let ctx = self.ctx.borrow();
        timestamp(ctx.block.time_unix, ctx.block.time_nanos)
    }

    pub fn emit(&self, event: tendermint_proto::v0_38::abci::Event) {
        self.ctx.borrow_mut().events.push(event);
    }
}

pub fn timestamp(secs: i64, nanos: i32) -> Result<Timestamp, HostError> {
    let secs =
        u64::try_from(secs).map_err(|_| HostError::invalid_state("block time before 1970"))?;
    let nanos = u64::try_from(nanos).map_err(|_| HostError::invalid_state("negative nanos"))?;
    let total = secs
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(nanos))
        .ok_or_else(|| HostError::invalid_state("block time overflows"))?;
    Ok(Timestamp::from_nanoseconds(total))
}

/// ICS-23 specs of Glia's store: the same Jellyfish Merkle tree spec for the `ibc` substore
/// and for the main tree that commits its root (cnidarium's `ics23_spec`, which the app's
/// tests check this against). Relayers' configs carry these (README, `hermes config
/// validate`), and a counterparty's client of Glia must hold them.
pub fn jmt_spec() -> ics23_proto::ProofSpec {
    use ics23_proto::{HashOp, InnerSpec, LeafOp, LengthOp, ProofSpec};
    ProofSpec {
        leaf_spec: Some(LeafOp {
            hash: HashOp::Sha256.into(),
            prehash_key: HashOp::Sha256.into(),
            prehash_value: HashOp::Sha256.into(),
            length: LengthOp::NoPrefix.into(),
            prefix: b"JMT::LeafNode".to_vec(),
        }),
        inner_spec: Some(InnerSpec {
            child_order: vec![0, 1],
            child_size: 32,
            min_prefix_length: 16,
            max_prefix_length: 16,
            empty_child: b"SPARSE_MERKLE_PLACEHOLDER_HASH__".to_vec(),
            hash: HashOp::Sha256.into(),
        }),
        min_depth: 0,
        max_depth: 64,
        prehash_key_before_comparison: true,
    }
}

pub use ibc_proto::ics23 as ics23_proto;

pub fn proof_specs() -> ProofSpecs {
    ProofSpecs::try_from(vec![jmt_spec(), jmt_spec()]).expect("the JMT specs are valid")
}

/// The IBC host: ibc-rs's validation and execution contexts over the shared context.
pub struct Host<'s, 'c, 'a> {
    pub shared: &'s Shared<'c, 'a>,
    pub chain_id: ChainId,
    /// Staking's unbonding time: a counterparty's client of Glia may trust for less.
    pub unbonding: Duration,
    pub max_block_time: Duration,
}

impl<'s, 'c, 'a> Host<'s, 'c, 'a> {
    fn height(&self) -> Result<Height, HostError> {
        Height::new(self.chain_id.revision_number(), self.shared.block_height())
            .map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn decode<T, R>(bytes: &[u8], what: &str) -> Result<T, HostError>
    where
        T: Protobuf<R>,
        R: Message + Default + From<T>,
        <T as TryFrom<R>>::Error: std::fmt::Display,
    {
        <T as Protobuf<R>>::decode_vec(bytes)
            .map_err(|e| HostError::failed_to_retrieve(format!("decoding {what}: {e}")))
    }

    fn counter(&self, key: &str) -> Result<u64, HostError> {
        Ok(self.shared.get_u64(key)?.unwrap_or(0))
    }

    fn bump(&self, key: &str) -> Result<(), HostError> {
        let n = self
            .counter(key)?
            .checked_add(1)
            .ok_or_else(|| HostError::invalid_state("counter overflow"))?;
        self.shared.put(key.to_string(), n.to_be_bytes().to_vec())
    }

    fn seq(&self, key: String, what: &str) -> Result<Sequence, HostError> {
        self.shared
            .get_u64(&key)?
            .map(Sequence::from)
            .ok_or_else(|| HostError::missing_state(format!("{what} is not in state")))
    }

    /// The client's consensus-state heights, in height order.
    fn heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        let prefix = keys::cs_heights(client_id.as_str());
        let mut out = Vec::new();
        for k in self.shared.scan_keys(&prefix)? {
            let rest = &k[prefix.len()..];
            let (r, h) = rest
                .split_once('-')
                .ok_or_else(|| HostError::invalid_state(format!("bad height key {k}")))?;
            let r: u64 = r.parse().map_err(|_| HostError::invalid_state(k.clone()))?;
            let h: u64 = h.parse().map_err(|_| HostError::invalid_state(k.clone()))?;
            out.push(Height::new(r, h).map_err(|e| HostError::invalid_state(e.to_string()))?);
        }
        Ok(out)
    }

    fn cs_at(
        &self,
        client_id: &ClientId,
        h: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let p = ClientConsensusStatePath::new(
            client_id.clone(),
            h.revision_number(),
            h.revision_height(),
        );
        match self.shared.get(&path(&p))? {
            None => Ok(None),
            Some(b) => Ok(Some(Self::decode::<TmConsensusState, Any>(
                &b,
                "consensus state",
            )?)),
        }
    }
}

impl ClientValidationContext for Host<'_, '_, '_> {
    type ClientStateRef = TmClientState;
    type ConsensusStateRef = TmConsensusState;

    fn client_state(&self, client_id: &ClientId) -> Result<TmClientState, HostError> {
        let b = self.shared.must_get(
            &path(ClientStatePath::new(client_id.clone())),
            "client state",
        )?;
        Self::decode::<TmClientState, Any>(&b, "client state")
    }

    fn consensus_state(&self, p: &ClientConsensusStatePath) -> Result<TmConsensusState, HostError> {
        let b = self.shared.must_get(&path(p), "consensus state")?;
        Self::decode::<TmConsensusState, Any>(&b, "consensus state")
    }

    fn client_update_meta(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<(Timestamp, Height), HostError> {
        let tp = ClientUpdateTimePath::new(
            client_id.clone(),
            height.revision_number(),
            height.revision_height(),
        );
        let hp = ClientUpdateHeightPath::new(
            client_id.clone(),
            height.revision_number(),
            height.revision_height(),
        );
        let t = self
            .shared
            .get_u64(&path(tp))?
            .ok_or_else(|| HostError::missing_state("client update time"))?;
        let hb = self.shared.must_get(&path(hp), "client update height")?;
        let h =
            Self::decode::<Height, ibc_proto::ibc::core::client::v1::Height>(&hb, "update height")?;
        Ok((Timestamp::from_nanoseconds(t), h))
    }
}

impl ClientExecutionContext for Host<'_, '_, '_> {
    type ClientStateMut = TmClientState;

    fn store_client_state(
        &mut self,
        p: ClientStatePath,
        client_state: TmClientState,
    ) -> Result<(), HostError> {
        self.shared
            .put(path(p), Protobuf::<Any>::encode_vec(client_state))
    }

    fn store_consensus_state(
        &mut self,
        p: ClientConsensusStatePath,
        consensus_state: TmConsensusState,
    ) -> Result<(), HostError> {
        // Never an empty value in the `ibc` substore: a non-existence proof carries its
        // neighbours' leaves, and ibc-go's ICS-23 refuses a leaf without a value ("leaf op
        // needs value"), so one empty neighbour made receipts' absence unprovable to it.
        self.shared.put(
            keys::cs_height(p.client_id.as_str(), p.revision_number, p.revision_height),
            vec![1],
        )?;
        self.shared
            .put(path(p), Protobuf::<Any>::encode_vec(consensus_state))
    }

    fn delete_consensus_state(&mut self, p: ClientConsensusStatePath) -> Result<(), HostError> {
        self.shared.delete(keys::cs_height(
            p.client_id.as_str(),
            p.revision_number,
            p.revision_height,
        ))?;
        self.shared.delete(path(p))
    }

    fn store_update_meta(
        &mut self,
        client_id: ClientId,
        height: Height,
        host_timestamp: Timestamp,
        host_height: Height,
    ) -> Result<(), HostError> {
        let (r, h) = (height.revision_number(), height.revision_height());
        self.shared.put(
            path(ClientUpdateTimePath::new(client_id.clone(), r, h)),
            host_timestamp.nanoseconds().to_be_bytes().to_vec(),
        )?;
        self.shared.put(
            path(ClientUpdateHeightPath::new(client_id, r, h)),
            Protobuf::<ibc_proto::ibc::core::client::v1::Height>::encode_vec(host_height),
        )
    }

    fn delete_update_meta(&mut self, client_id: ClientId, height: Height) -> Result<(), HostError> {
        let (r, h) = (height.revision_number(), height.revision_height());
        self.shared
            .delete(path(ClientUpdateTimePath::new(client_id.clone(), r, h)))?;
        self.shared
            .delete(path(ClientUpdateHeightPath::new(client_id, r, h)))
    }
}

impl ExtClientValidationContext for Host<'_, '_, '_> {
    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.shared.block_time()
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.height()
    }

    fn consensus_state_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        self.heights(client_id)
    }

    fn next_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        match self.heights(client_id)?.into_iter().find(|h| h > height) {
            Some(h) => self.cs_at(client_id, &h),
            None => Ok(None),
        }
    }

    fn prev_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        match self
            .heights(client_id)?
            .into_iter()
            .rev()
            .find(|h| h < height)
        {
            Some(h) => self.cs_at(client_id, &h),
            None => Ok(None),
        }
    }
}

impl ValidateSelfClientContext for Host<'_, '_, '_> {
    fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    fn host_current_height(&self) -> Height {
        // Only compared against; a height of 0 cannot be built, so the first block stands in.
        self.height()
            .unwrap_or_else(|_| Height::min(self.chain_id.revision_number()))
    }

    fn proof_specs(&self) -> &ProofSpecs {
        // Built once per call site; the specs are a constant.
        static SPECS: std::sync::OnceLock<ProofSpecs> = std::sync::OnceLock::new();
        SPECS.get_or_init(proof_specs)
    }

    fn unbonding_period(&self) -> Duration {
        self.unbonding
    }

    fn upgrade_path(&self) -> &[String] {
        static PATH: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        PATH.get_or_init(|| vec!["upgrade".to_string(), "upgradedIBCState".to_string()])
    }
}

impl ValidationContext for Host<'_, '_, '_> {
    type V = Self;
    type HostClientState = TmClientState;
    type HostConsensusState = TmConsensusState;

    fn get_client_validation_context(&self) -> &Self {
        self
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.height()
    }

    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.shared.block_time()
    }

    fn host_consensus_state(&self, height: &Height) -> Result<TmConsensusState, HostError> {
        if height.revision_number() != self.chain_id.revision_number() {
            return Err(HostError::missing_state(format!(
                "no consensus state of Glia at revision {}",
                height.revision_number()
            )));
        }
        let b = self.shared.must_get(
            &keys::host_consensus(height.revision_height()),
            &format!("Glia's consensus state at height {height} (too old, or not yet)"),
        )?;
        let raw =
            ibc_proto::ibc::lightclients::tendermint::v1::ConsensusState::decode(b.as_slice())
                .map_err(|e| HostError::failed_to_retrieve(e.to_string()))?;
        let cs = TmConsensusStateType::try_from(raw)
            .map_err(|e| HostError::failed_to_retrieve(e.to_string()))?;
        Ok(cs.into())
    }

    fn client_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::CLIENT_COUNTER)
    }

    fn connection_end(&self, conn_id: &ConnectionId) -> Result<ConnectionEnd, HostError> {
        let b = self.shared.must_get(
            &path(ConnectionPath::new(conn_id)),
            &format!("connection {conn_id}"),
        )?;
        Self::decode::<ConnectionEnd, ibc_proto::ibc::core::connection::v1::ConnectionEnd>(
            &b,
            "connection",
        )
    }

    fn validate_self_client(&self, client_state: TmClientState) -> Result<(), HostError> {
        self.validate_self_tendermint_client(client_state.inner().clone())
    }

    fn commitment_prefix(&self) -> CommitmentPrefix {
        CommitmentPrefix::from(state::PREFIX.as_bytes().to_vec())
    }

    fn connection_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::CONNECTION_COUNTER)
    }

    fn channel_end(&self, p: &ChannelEndPath) -> Result<ChannelEnd, HostError> {
        let b = self
            .shared
            .must_get(&path(p), &format!("channel {}/{}", p.0, p.1))?;
        Self::decode::<ChannelEnd, ibc_proto::ibc::core::channel::v1::Channel>(&b, "channel")
    }

    fn get_next_sequence_send(&self, p: &SeqSendPath) -> Result<Sequence, HostError> {
        self.seq(path(p), "nextSequenceSend")
    }

    fn get_next_sequence_recv(&self, p: &SeqRecvPath) -> Result<Sequence, HostError> {
        self.seq(path(p), "nextSequenceRecv")
    }

    fn get_next_sequence_ack(&self, p: &SeqAckPath) -> Result<Sequence, HostError> {
        self.seq(path(p), "nextSequenceAck")
    }

    fn get_packet_commitment(&self, p: &CommitmentPath) -> Result<PacketCommitment, HostError> {
        Ok(self.shared.must_get(&path(p), "packet commitment")?.into())
    }

    fn get_packet_receipt(&self, p: &ReceiptPath) -> Result<Receipt, HostError> {
        Ok(match self.shared.get(&path(p))? {
            Some(_) => Receipt::Ok,
            None => Receipt::None,
        })
    }

    fn get_packet_acknowledgement(
        &self,
        p: &AckPath,
    ) -> Result<AcknowledgementCommitment, HostError> {
        Ok(self
            .shared
            .must_get(&path(p), "packet acknowledgement")?
            .into())
    }

    fn channel_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::CHANNEL_COUNTER)
    }

    fn max_expected_time_per_block(&self) -> Duration {
        self.max_block_time
    }

    fn validate_message_signer(&self, signer: &Signer) -> Result<(), HostError> {
        crate::address::Address::parse(signer.as_ref())
            .map(|_| ())
            .map_err(|e| HostError::invalid_state(format!("signer: {e}")))
    }
}

impl ExecutionContext for Host<'_, '_, '_> {
    type E = Self;

    fn get_client_execution_context(&mut self) -> &mut Self {
        self
    }

    fn increase_client_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::CLIENT_COUNTER)
    }

    fn store_connection(
        &mut self,
        p: &ConnectionPath,
        end: ConnectionEnd,
    ) -> Result<(), HostError> {
        self.shared.put(
            path(p),
            Protobuf::<ibc_proto::ibc::core::connection::v1::ConnectionEnd>::encode_vec(end),
        )
    }

    fn store_connection_to_client(
        &mut self,
        p: &ClientConnectionPath,
        conn_id: ConnectionId,
    ) -> Result<(), HostError> {
        let key = path(p);
        let mut paths = match self.shared.get(&key)? {
            Some(b) => ClientPaths::decode(b.as_slice())
                .map_err(|e| HostError::failed_to_retrieve(e.to_string()))?,
            None => ClientPaths::default(),
        };
        paths.paths.push(conn_id.to_string());
        self.shared.put(key, paths.encode_to_vec())
    }

    fn increase_connection_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::CONNECTION_COUNTER)
    }

    fn store_packet_commitment(
        &mut self,
        p: &CommitmentPath,
        c: PacketCommitment,
    ) -> Result<(), HostError> {
        self.shared.put(path(p), c.into_vec())
    }

    fn delete_packet_commitment(&mut self, p: &CommitmentPath) -> Result<(), HostError> {
        self.shared.delete(path(p))
    }

    fn store_packet_receipt(&mut self, p: &ReceiptPath, _r: Receipt) -> Result<(), HostError> {
        // As ibc-go: one byte, present means received.
        self.shared.put(path(p), vec![1])
    }

    fn store_packet_acknowledgement(
        &mut self,
        p: &AckPath,
        c: AcknowledgementCommitment,
    ) -> Result<(), HostError> {
        self.shared.put(path(p), c.into_vec())
    }

    fn delete_packet_acknowledgement(&mut self, p: &AckPath) -> Result<(), HostError> {
        self.shared.delete(path(p))
    }

    fn store_channel(&mut self, p: &ChannelEndPath, end: ChannelEnd) -> Result<(), HostError> {
        self.shared.put(
            path(p),
            Protobuf::<ibc_proto::ibc::core::channel::v1::Channel>::encode_vec(end),
        )
    }

    fn store_next_sequence_send(&mut self, p: &SeqSendPath, s: Sequence) -> Result<(), HostError> {
        self.shared.put(path(p), s.value().to_be_bytes().to_vec())
    }

    fn store_next_sequence_recv(&mut self, p: &SeqRecvPath, s: Sequence) -> Result<(), HostError> {
        self.shared.put(path(p), s.value().to_be_bytes().to_vec())
    }

    fn store_next_sequence_ack(&mut self, p: &SeqAckPath, s: Sequence) -> Result<(), HostError> {
        self.shared.put(path(p), s.value().to_be_bytes().to_vec())
    }

    fn increase_channel_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::CHANNEL_COUNTER)
    }

    fn emit_ibc_event(&mut self, event: IbcEvent) -> Result<(), HostError> {
        self.shared.emit(super::events::abci(event)?);
        Ok(())
    }

    fn log_message(&mut self, _message: String) -> Result<(), HostError> {
        Ok(())
    }
}

/// Glia's consensus state at this block, as a counterparty's 07-tendermint client stores it
/// for this height's header: its time, the previous block's app hash (the header's app hash)
/// and the next validators' hash.
pub fn record_host_consensus(ctx: &mut Ctx<'_>, keep: u64) -> AppResult<()> {
    let b = ctx.block;
    if b.last_app_hash.is_empty() {
        // The first block: no header of Glia is a counterparty's consensus state yet.
        return Ok(());
    }
    let raw = ibc_proto::ibc::lightclients::tendermint::v1::ConsensusState {
        timestamp: Some(ibc_proto::google::protobuf::Timestamp {
            seconds: b.time_unix,
            nanos: b.time_nanos,
        }),
        root: Some(ibc_proto::ibc::core::commitment::v1::MerkleRoot {
            hash: b.last_app_hash.clone(),
        }),
        next_validators_hash: b.next_validators_hash.clone(),
    };
    let height = b.height;
    let revision = ChainId::new(&b.chain_id)
        .map(|c| c.revision_number())
        .unwrap_or(0);
    ctx.put(
        keys::HEIGHT.to_string(),
        ibc_proto::ibc::core::client::v1::Height {
            revision_number: revision,
            revision_height: height,
        }
        .encode_to_vec(),
    )?;
    ctx.put(keys::host_consensus(height), raw.encode_to_vec())?;
    if let Some(old) = height.checked_sub(keep) {
        ctx.delete(keys::host_consensus(old))?;
    }
    Ok(())
}
