//! ICS-27 interchain accounts, host side (port `icahost`), wire-compatible with ibc-go's
//! controller: the channel version is ibc-go's metadata JSON, the account address is derived
//! as ibc-go derives it, packets are `InterchainAccountPacketData` JSON carrying a proto3
//! `CosmosTx`, and acknowledgements are `{"result": base64(TxMsgData)}` or
//! `{"error": "..."}`. The messages a packet carries run through the app's message router
//! with the interchain account as their only signer, all or nothing, each type checked
//! against the allow list in params.

use super::host::Shared;
use super::state::path;
use crate::address::Address;
use crate::component::{BuildInfo, MsgRouter};
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::cosmos::base::abci::v1beta1::TxMsgData;
use glia_proto::cosmos::Any;
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::Version;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc::core::router::module::Module;
use ibc::core::router::types::module::ModuleExtras;
use ibc::primitives::Signer;
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const HOST_PORT: &str = "icahost";
pub const CONTROLLER_PORT_PREFIX: &str = "icacontroller-";
pub const VERSION: &str = "ics27-1";
pub const ENCODING_PROTO3: &str = "proto3";
pub const TX_TYPE: &str = "sdk_multi_msg";

/// The host's params, as ibc-go's `icahost.v1.Params`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HostParams {
    pub host_enabled: bool,
    /// Message type URLs an interchain account may run (`*`: any).
    pub allow_messages: Vec<String>,
}

impl Default for HostParams {
    fn default() -> Self {
        HostParams {
            host_enabled: true,
            allow_messages: [
                "/glia.inference.v1.MsgGenerateImage",
                "/glia.neuro.v1.MsgSubmitJob",
                "/glia.neuro.v1.MsgCommitSolution",
                "/glia.neuro.v1.MsgSubmitSolution",
                "/glia.neuro.v1.MsgCancelJob",
                "/cosmos.bank.v1beta1.MsgSend",
                "/cosmos.staking.v1beta1.MsgDelegate",
                "/cosmos.staking.v1beta1.MsgUndelegate",
                "/cosmos.staking.v1beta1.MsgBeginRedelegate",
                "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward",
                "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress",
                "/ibc.applications.transfer.v1.MsgTransfer",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// ibc-go's channel version of an interchain-account channel.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Metadata {
    pub version: String,
    pub controller_connection_id: String,
    pub host_connection_id: String,
    #[serde(default)]
    pub address: String,
    pub encoding: String,
    pub tx_type: String,
}

/// ibc-go's packet data (`InterchainAccountPacketData`, proto3 JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PacketData {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub memo: String,
}

/// `CosmosTx`: the messages of one packet.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CosmosTx {
    #[prost(message, repeated, tag = "1")]
    pub messages: Vec<Any>,
}

/// The interchain account of a controller port on a connection, as ibc-go derives it: the
/// SDK's module address of `interchainaccounts` with the key `connection ‖ port`.
pub fn account_address(connection: &str, port: &str) -> Address {
    let mut key = b"interchainaccounts".to_vec();
    key.push(0);
    key.extend_from_slice(connection.as_bytes());
    key.extend_from_slice(port.as_bytes());
    let mut h = Sha256::new();
    h.update(Sha256::digest(b"module"));
    h.update(&key);
    Address::from_bytes(h.finalize().to_vec())
}

pub mod ica_keys {
    pub fn account(connection: &str, port: &str) -> String {
        format!("ibc/glia/ica/account/{connection}/{port}")
    }
    pub fn active(connection: &str, port: &str) -> String {
        format!("ibc/glia/ica/active/{connection}/{port}")
    }
    pub const ACCOUNTS: &str = "ibc/glia/ica/account/";
    /// A packet whose acknowledgement waits for the requests it made to settle.
    pub fn pending(port: &str, channel: &str, sequence: u64) -> String {
        format!("ibc/glia/ica/pending/{port}/{channel}/{sequence:020}")
    }
    /// A task or job an interchain account requested, naming its pending packet.
    pub fn request(kind: &str, id: u64) -> String {
        format!("ibc/glia/ica/request/{kind}/{id:020}")
    }
    pub const PENDING: &str = "ibc/glia/ica/pending/";
}

/// What a task's or job's request through an interchain account is called in state.
pub const TASK: &str = "task";
pub const JOB: &str = "job";

/// The acknowledgement of a packet that made requests still running on Glia: written when the
/// last of them settles (an asynchronous acknowledgement).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PendingAck {
    /// The packet as received (`ibc.core.channel.v1.Packet`).
    #[prost(bytes = "vec", tag = "1")]
    pub packet: Vec<u8>,
    /// The messages' responses, then each settled request's results.
    #[prost(message, repeated, tag = "2")]
    pub responses: Vec<Any>,
    /// Requests not yet settled.
    #[prost(uint32, tag = "3")]
    pub waiting: u32,
    /// Why the first failed request failed (the acknowledgement is then an error).
    #[prost(string, tag = "4")]
    pub error: String,
}

/// The tasks and jobs a packet's responses say were created: what its acknowledgement waits for.
fn requests_of(responses: &[Any]) -> Vec<(&'static str, u64)> {
    use glia_proto::inference::v1::MsgGenerateImageResponse;
    use glia_proto::neuro::v1::MsgSubmitJobResponse;
    responses
        .iter()
        .filter_map(|r| match r.type_url.as_str() {
            "/glia.inference.v1.MsgGenerateImageResponse" => {
                MsgGenerateImageResponse::decode(r.value.as_slice())
                    .ok()
                    .map(|m| (TASK, m.task_id))
            }
            "/glia.neuro.v1.MsgSubmitJobResponse" => {
                MsgSubmitJobResponse::decode(r.value.as_slice())
                    .ok()
                    .map(|m| (JOB, m.job_id))
            }
            _ => None,
        })
        .collect()
}

/// Called where a task or job settles (`kind` is [`TASK`] or [`JOB`]): when an interchain
/// account requested it, its result (`Ok`: the settled record's `Any`s) or why it failed
/// joins its packet's pending acknowledgement, which is written once nothing else is pending.
/// One read when nobody requested it over IBC (`outcome` is then not called).
pub fn request_settled(
    ctx: &mut crate::context::Ctx<'_>,
    kind: &str,
    id: u64,
    outcome: impl FnOnce(&mut crate::context::Ctx<'_>) -> AppResult<Result<Vec<Any>, String>>,
) -> AppResult<()> {
    let rkey = ica_keys::request(kind, id);
    let Some(pkey) = ctx.get(&rkey)? else {
        return Ok(());
    };
    let outcome = outcome(ctx)?;
    ctx.delete(rkey)?;
    let pkey = String::from_utf8(pkey).map_err(AppError::internal)?;
    let bytes = ctx
        .get(&pkey)?
        .ok_or_else(|| AppError::internal(format!("{kind} {id} names {pkey}, which is gone")))?;
    let mut p = PendingAck::decode(bytes.as_slice()).map_err(AppError::internal)?;
    match outcome {
        Ok(results) => p.responses.extend(results),
        Err(reason) if p.error.is_empty() => p.error = format!("{kind} {id}: {reason}"),
        Err(_) => {}
    }
    p.waiting = p.waiting.saturating_sub(1);
    if p.waiting > 0 {
        return ctx.put(pkey, p.encode_to_vec());
    }
    ctx.delete(pkey)?;
    let ack = if p.error.is_empty() {
        result_ack(p.responses)
    } else {
        error_ack(&p.error)
    };
    write_ack(ctx, &p.packet, ack)
}

/// Writes a received packet's acknowledgement now: its commitment and the
/// `write_acknowledgement` event relayers pick up.
fn write_ack(ctx: &mut crate::context::Ctx<'_>, raw: &[u8], ack: Vec<u8>) -> AppResult<()> {
    use ibc::core::channel::handler::{
        commit_packet_acknowledgment, emit_packet_acknowledgement_event,
    };
    let raw = ibc_proto::ibc::core::channel::v1::Packet::decode(raw).map_err(AppError::internal)?;
    let packet = Packet::try_from(raw).map_err(AppError::internal)?;
    let ack = Acknowledgement::try_from(ack).map_err(AppError::internal)?;
    super::component::with_host(ctx, &BuildInfo::default(), |host, _| {
        commit_packet_acknowledgment(host, &packet, &ack)
            .and_then(|()| emit_packet_acknowledgement_event(host, packet, ack))
            .map_err(|e| AppError::internal(format!("writing an acknowledgement: {e}")))
    })
}

/// The interchain account registered for a controller port on a connection, if any.
pub fn registered(kv: &mut impl Kv, connection: &str, port: &str) -> AppResult<Option<Address>> {
    match kv.kv_get(&ica_keys::account(connection, port))? {
        None => Ok(None),
        Some(b) => Address::parse(&String::from_utf8_lossy(&b))
            .map(Some)
            .map_err(AppError::internal),
    }
}

/// A success acknowledgement carrying the messages' responses.
pub fn result_ack(responses: Vec<Any>) -> Vec<u8> {
    let data = TxMsgData {
        msg_responses: responses,
        ..Default::default()
    };
    serde_json::json!({"result": B64.encode(data.encode_to_vec())})
        .to_string()
        .into_bytes()
}

/// An error acknowledgement that says why.
pub fn error_ack(reason: &str) -> Vec<u8> {
    serde_json::json!({ "error": reason })
        .to_string()
        .into_bytes()
}

fn chan_err(msg: impl std::fmt::Display) -> ChannelError {
    ChannelError::AppSpecific {
        description: msg.to_string(),
    }
}

/// The host over the shared context.
pub struct IcaHost<'s, 'c, 'a> {
    pub shared: &'s Shared<'c, 'a>,
    pub params: HostParams,
    pub router: MsgRouter,
}

impl std::fmt::Debug for IcaHost<'_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ICS-27 host")
    }
}

impl IcaHost<'_, '_, '_> {
    /// Checks an OpenTry's metadata against the channel's connection; the metadata to answer
    /// with, the account's address filled in.
    fn try_metadata(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(Metadata, Address), ChannelError> {
        if !self.params.host_enabled {
            return Err(chan_err("interchain accounts are disabled on this host"));
        }
        if port.as_str() != HOST_PORT {
            return Err(chan_err(format!(
                "the host's port is {HOST_PORT}, not {port}"
            )));
        }
        if !matches!(order, Order::Ordered | Order::Unordered) {
            return Err(chan_err(
                "an interchain-account channel is ordered or unordered",
            ));
        }
        let cport = cp.port_id.as_str();
        if !cport.starts_with(CONTROLLER_PORT_PREFIX) || cport.len() == CONTROLLER_PORT_PREFIX.len()
        {
            return Err(chan_err(format!(
                "the controller's port must be {CONTROLLER_PORT_PREFIX}<owner>, not {cport}"
            )));
        }
        let md: Metadata = serde_json::from_str(version.as_str())
            .map_err(|e| chan_err(format!("the channel version is not ICS-27 metadata: {e}")))?;
        if md.version != VERSION {
            return Err(chan_err(format!(
                "ICS-27 version {:?} is not {VERSION}",
                md.version
            )));
        }
        if md.encoding != ENCODING_PROTO3 {
            return Err(chan_err(format!(
                "encoding {:?} is not supported (only {ENCODING_PROTO3})",
                md.encoding
            )));
        }
        if md.tx_type != TX_TYPE {
            return Err(chan_err(format!(
                "tx type {:?} is not {TX_TYPE}",
                md.tx_type
            )));
        }
        let conn = hops
            .first()
            .ok_or_else(|| chan_err("a channel with no connection"))?;
        if md.host_connection_id != conn.as_str() {
            return Err(chan_err(format!(
                "the metadata names host connection {:?}, but the channel is on {conn}",
                md.host_connection_id
            )));
        }
        let end: ibc_proto::ibc::core::connection::v1::ConnectionEnd = {
            let b = self
                .shared
                .with(|ctx| ctx.get(&path(format!("connections/{conn}"))))
                .map_err(|e| chan_err(e.to_string()))?
                .ok_or_else(|| chan_err(format!("connection {conn} does not exist")))?;
            Message::decode(b.as_slice()).map_err(|e| chan_err(e.to_string()))?
        };
        let counterparty_conn = end
            .counterparty
            .map(|c| c.connection_id)
            .unwrap_or_default();
        if md.controller_connection_id != counterparty_conn {
            return Err(chan_err(format!(
                "the metadata names controller connection {:?}, but {conn}'s counterparty is {counterparty_conn:?}",
                md.controller_connection_id
            )));
        }
        let address = account_address(conn.as_str(), cport);
        if !md.address.is_empty() && md.address != address.to_bech32() {
            return Err(chan_err(format!(
                "the metadata names account {}, but this channel's account is {address}",
                md.address
            )));
        }
        // One open channel per account: a second would let packets run out of order.
        let active = self
            .shared
            .with(|ctx| ctx.get(&ica_keys::active(conn.as_str(), cport)))
            .map_err(|e| chan_err(e.to_string()))?;
        if let Some(ch) = active {
            let ch = String::from_utf8_lossy(&ch).into_owned();
            let open = self
                .shared
                .with(|ctx| {
                    ctx.get(&path(format!(
                        "channelEnds/ports/{HOST_PORT}/channels/{ch}"
                    )))
                })
                .map_err(|e| chan_err(e.to_string()))?
                .and_then(|b| ibc_proto::ibc::core::channel::v1::Channel::decode(b.as_slice()).ok())
                .is_some_and(|c| c.state == ibc_proto::ibc::core::channel::v1::State::Open as i32);
            if open {
                return Err(chan_err(format!(
                    "{cport} on {conn} already has an open channel ({ch})"
                )));
            }
        }
        Ok((
            Metadata {
                address: address.to_bech32(),
                ..md
            },
            address,
        ))
    }

    /// Runs a packet's messages as the account; the responses and whether the channel is
    /// unordered, or why it failed.
    fn execute(&mut self, packet: &Packet) -> Result<(Vec<Any>, bool), String> {
        let port = packet.port_id_on_a.as_str().to_string();
        let channel = packet.chan_id_on_b.as_str().to_string();
        let (conn, unordered) = self
            .shared
            .with(|ctx| {
                let b = ctx.get(&path(format!(
                    "channelEnds/ports/{HOST_PORT}/channels/{channel}"
                )))?;
                let ch = b
                    .and_then(|b| {
                        ibc_proto::ibc::core::channel::v1::Channel::decode(b.as_slice()).ok()
                    })
                    .ok_or_else(|| AppError::internal("the packet's channel is gone"))?;
                let unordered =
                    ch.ordering == ibc_proto::ibc::core::channel::v1::Order::Unordered as i32;
                Ok((
                    ch.connection_hops.first().cloned().unwrap_or_default(),
                    unordered,
                ))
            })
            .map_err(|e| e.to_string())?;
        let account = self
            .shared
            .with(|ctx| registered(ctx, &conn, &port))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no interchain account for {port} on {conn}"))?;
        let data: PacketData = serde_json::from_slice(packet.data.as_slice())
            .map_err(|e| format!("the packet data is not ICS-27 packet data: {e}"))?;
        if data.kind != "TYPE_EXECUTE_TX" {
            return Err(format!(
                "packet type {:?} is not TYPE_EXECUTE_TX",
                data.kind
            ));
        }
        let bytes = B64
            .decode(&data.data)
            .map_err(|e| format!("the packet's data is not base64: {e}"))?;
        let tx = CosmosTx::decode(bytes.as_slice())
            .map_err(|e| format!("the packet's data is not a proto3 CosmosTx: {e}"))?;
        if tx.messages.is_empty() {
            return Err("the packet carries no message".into());
        }
        for m in &tx.messages {
            let allowed = self
                .params
                .allow_messages
                .iter()
                .any(|a| a == "*" || a == &m.type_url);
            if !allowed {
                return Err(format!(
                    "message type {} is not allowed on this host",
                    m.type_url
                ));
            }
        }
        let router = self.router.clone();
        self.shared
            .with(|ctx| {
                ctx.atomic(|ctx| {
                    let mut out = Vec::with_capacity(tx.messages.len());
                    for (i, m) in tx.messages.iter().enumerate() {
                        ctx.emit(
                            "message",
                            &[
                                ("action", m.type_url.clone()),
                                ("sender", account.to_bech32()),
                                ("module", "interchainaccounts".to_string()),
                                ("msg_index", i.to_string()),
                            ],
                        );
                        out.push(router.dispatch(ctx, m, &account).map_err(|e| AppError {
                            log: format!("message {i} ({}): {}", m.type_url, e.log),
                            ..e
                        })?);
                    }
                    Ok((out, unordered))
                })
            })
            .map_err(|e| {
                // A store error (out of gas) is kept by `shared` and fails the whole tx;
                // a message's own error is this packet's answer.
                let taken = self.shared.take_error();
                match taken {
                    Some(err) => {
                        format!("codespace {} code {}: {}", err.codespace, err.code, err.log)
                    }
                    None => e.to_string(),
                }
            })
    }
}

impl IcaHost<'_, '_, '_> {
    /// Keeps the packet's acknowledgement until the tasks and jobs it requested settle.
    fn defer(&self, packet: &Packet, responses: Vec<Any>) -> Result<(), String> {
        let requests = requests_of(&responses);
        let pkey = ica_keys::pending(
            packet.port_id_on_b.as_str(),
            packet.chan_id_on_b.as_str(),
            packet.seq_on_a.value(),
        );
        let pending = PendingAck {
            packet: ibc_proto::ibc::core::channel::v1::Packet::from(packet.clone()).encode_to_vec(),
            responses,
            waiting: u32::try_from(requests.len()).unwrap_or(u32::MAX),
            error: String::new(),
        };
        self.shared
            .with(|ctx| {
                for (kind, id) in &requests {
                    ctx.put(ica_keys::request(kind, *id), pkey.clone().into_bytes())?;
                }
                ctx.emit(
                    "interchain_account_request",
                    &[
                        ("packet_sequence", packet.seq_on_a.value().to_string()),
                        ("packet_dst_channel", packet.chan_id_on_b.to_string()),
                        (
                            "requests",
                            requests
                                .iter()
                                .map(|(k, id)| format!("{k}/{id}"))
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    ],
                );
                ctx.put(pkey.clone(), pending.encode_to_vec())
            })
            .map_err(|e| e.to_string())
    }
}

impl Module for IcaHost<'_, '_, '_> {
    fn on_chan_open_init_validate(
        &self,
        _: Order,
        _: &[ConnectionId],
        _: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        _: &Version,
    ) -> Result<Version, ChannelError> {
        Err(chan_err(
            "the interchain-account host does not open channels; its controller does",
        ))
    }

    fn on_chan_open_init_execute(
        &mut self,
        _: Order,
        _: &[ConnectionId],
        _: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        _: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        Err(chan_err(
            "the interchain-account host does not open channels; its controller does",
        ))
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        _channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        let (md, _) = self.try_metadata(order, hops, port, cp, version)?;
        Ok(Version::new(serde_json::to_string(&md).map_err(chan_err)?))
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        let (md, address) = self.try_metadata(order, hops, port, cp, version)?;
        let conn = md.host_connection_id.clone();
        let cport = cp.port_id.to_string();
        self.shared
            .with(|ctx| {
                crate::auth::ensure_account(ctx, &address)?;
                ctx.put(
                    ica_keys::account(&conn, &cport),
                    address.to_bech32().into_bytes(),
                )?;
                ctx.put(
                    ica_keys::active(&conn, &cport),
                    channel.to_string().into_bytes(),
                )?;
                ctx.emit(
                    "interchain_account_registered",
                    &[
                        ("address", address.to_bech32()),
                        ("controller_port", cport.clone()),
                        ("connection", conn.clone()),
                        ("channel", channel.to_string()),
                    ],
                );
                Ok(())
            })
            .map_err(|e| chan_err(e.to_string()))?;
        Ok((
            ModuleExtras::empty(),
            Version::new(serde_json::to_string(&md).map_err(chan_err)?),
        ))
    }

    fn on_chan_open_ack_validate(
        &self,
        _: &PortId,
        _: &ChannelId,
        _: &Version,
    ) -> Result<(), ChannelError> {
        Err(chan_err(
            "the interchain-account host never sends ChanOpenAck",
        ))
    }

    fn on_chan_open_ack_execute(
        &mut self,
        _: &PortId,
        _: &ChannelId,
        _: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        Err(chan_err(
            "the interchain-account host never sends ChanOpenAck",
        ))
    }

    fn on_chan_close_init_validate(&self, _: &PortId, _: &ChannelId) -> Result<(), ChannelError> {
        Err(chan_err(
            "an interchain-account channel cannot be closed by its host",
        ))
    }

    fn on_chan_close_init_execute(
        &mut self,
        _: &PortId,
        _: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        Err(chan_err(
            "an interchain-account channel cannot be closed by its host",
        ))
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let ack = match self.execute(packet) {
            // Requests that settle later answer later, on an unordered channel (an ordered
            // one would hold every later acknowledgement behind this one).
            Ok((responses, true)) if !requests_of(&responses).is_empty() => {
                match self.defer(packet, responses) {
                    Ok(()) => return (ModuleExtras::empty(), None),
                    Err(e) => error_ack(&e),
                }
            }
            Ok((responses, _)) => result_ack(responses),
            Err(reason) => error_ack(&reason),
        };
        let ack = Acknowledgement::try_from(ack).expect("a JSON acknowledgement is never empty");
        (ModuleExtras::empty(), Some(ack))
    }

    fn on_acknowledgement_packet_validate(
        &self,
        _: &Packet,
        _: &Acknowledgement,
        _: &Signer,
    ) -> Result<(), ChannelError> {
        Err(chan_err("the interchain-account host sends no packets"))
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        _: &Packet,
        _: &Acknowledgement,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        (
            ModuleExtras::empty(),
            Err(chan_err("the interchain-account host sends no packets")),
        )
    }

    fn on_timeout_packet_validate(&self, _: &Packet, _: &Signer) -> Result<(), ChannelError> {
        Err(chan_err("the interchain-account host sends no packets"))
    }

    fn on_timeout_packet_execute(
        &mut self,
        _: &Packet,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        (
            ModuleExtras::empty(),
            Err(chan_err("the interchain-account host sends no packets")),
        )
    }
}
