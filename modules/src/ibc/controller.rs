//! ICS-27 interchain accounts, controller side: a Glia account registers an account on another
//! chain (`MsgRegisterInterchainAccount` opens a channel from `icacontroller-<owner>` to the
//! host's `icahost` port, with ibc-go's metadata as its version) and makes it act
//! (`MsgSendTx` sends `InterchainAccountPacketData`). The host's acknowledgement is reported
//! in an `interchain_account_ack` event; a timed-out packet on an ordered channel closes it, as
//! ICS-27 says, and the owner registers again to reopen it.

use super::host::Shared;
use super::ica::{Metadata, CONTROLLER_PORT_PREFIX, ENCODING_PROTO3, HOST_PORT, TX_TYPE, VERSION};
use super::state::path;
use crate::context::Kv;
use crate::error::{AppError, AppResult};
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

pub mod keys {
    /// The channel a controller port uses on a connection.
    pub fn active(connection: &str, port: &str) -> String {
        format!("ibc/glia/icacontroller/active/{connection}/{port}")
    }
    /// The account the host answered with in its OpenTry.
    pub fn account(connection: &str, port: &str) -> String {
        format!("ibc/glia/icacontroller/account/{connection}/{port}")
    }
}

/// The controller port of an owner.
pub fn port_of(owner: &str) -> String {
    format!("{CONTROLLER_PORT_PREFIX}{owner}")
}

/// The interchain account `owner` controls over `connection`, once the handshake is done.
pub fn account(kv: &mut impl Kv, connection: &str, owner: &str) -> AppResult<Option<String>> {
    Ok(kv
        .kv_get(&keys::account(connection, &port_of(owner)))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// The channel `owner`'s controller port uses on `connection`, if one was opened.
pub fn active_channel(
    kv: &mut impl Kv,
    connection: &str,
    owner: &str,
) -> AppResult<Option<String>> {
    Ok(kv
        .kv_get(&keys::active(connection, &port_of(owner)))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// The metadata a registration proposes when its owner gave none: ibc-go's defaults.
pub fn default_metadata(kv: &mut impl Kv, connection: &str) -> AppResult<Metadata> {
    Ok(Metadata {
        version: VERSION.into(),
        controller_connection_id: connection.into(),
        host_connection_id: counterparty_connection(kv, connection)?,
        address: String::new(),
        encoding: ENCODING_PROTO3.into(),
        tx_type: TX_TYPE.into(),
    })
}

fn counterparty_connection(kv: &mut impl Kv, connection: &str) -> AppResult<String> {
    let b = kv
        .kv_get(&path(format!("connections/{connection}")))?
        .ok_or_else(|| AppError {
            codespace: "connection",
            code: 2,
            log: format!("connection {connection} does not exist"),
        })?;
    let end = ibc_proto::ibc::core::connection::v1::ConnectionEnd::decode(b.as_slice())
        .map_err(AppError::internal)?;
    Ok(end
        .counterparty
        .map(|c| c.connection_id)
        .unwrap_or_default())
}

fn chan_err(msg: impl std::fmt::Display) -> ChannelError {
    ChannelError::AppSpecific {
        description: msg.to_string(),
    }
}

/// The controller over the shared context.
pub struct IcaController<'s, 'c, 'a> {
    pub shared: &'s Shared<'c, 'a>,
}

impl std::fmt::Debug for IcaController<'_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ICS-27 controller")
    }
}

impl IcaController<'_, '_, '_> {
    fn check_init(
        &self,
        hops: &[ConnectionId],
        port: &PortId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(), ChannelError> {
        if !port.as_str().starts_with(CONTROLLER_PORT_PREFIX) {
            return Err(chan_err(format!("{port} is not a controller port")));
        }
        if cp.port_id.as_str() != HOST_PORT {
            return Err(chan_err(format!(
                "the counterparty port must be {HOST_PORT}, not {}",
                cp.port_id
            )));
        }
        let conn = hops
            .first()
            .ok_or_else(|| chan_err("a channel with no connection"))?;
        let md: Metadata = serde_json::from_str(version.as_str())
            .map_err(|e| chan_err(format!("the channel version is not ICS-27 metadata: {e}")))?;
        let expect = self
            .shared
            .with(|ctx| default_metadata(ctx, conn.as_str()))
            .map_err(|e| chan_err(e.to_string()))?;
        if md.version != VERSION || md.encoding != ENCODING_PROTO3 || md.tx_type != TX_TYPE {
            return Err(chan_err(format!(
                "metadata {md:?}: version, encoding and tx type must be {VERSION}, {ENCODING_PROTO3}, {TX_TYPE}"
            )));
        }
        if md.controller_connection_id != expect.controller_connection_id
            || md.host_connection_id != expect.host_connection_id
        {
            return Err(chan_err(format!(
                "metadata names connections {} → {}, but the channel runs {} → {}",
                md.controller_connection_id,
                md.host_connection_id,
                expect.controller_connection_id,
                expect.host_connection_id
            )));
        }
        if !md.address.is_empty() {
            return Err(chan_err("the host, not the controller, names the account"));
        }
        // One open channel per owner and connection.
        let open = self
            .shared
            .with(|ctx| {
                let Some(ch) = ctx.get(&keys::active(conn.as_str(), port.as_str()))? else {
                    return Ok(None);
                };
                let ch = String::from_utf8_lossy(&ch).into_owned();
                let state = ctx
                    .get(&path(format!("channelEnds/ports/{port}/channels/{ch}")))?
                    .and_then(|b| {
                        ibc_proto::ibc::core::channel::v1::Channel::decode(b.as_slice()).ok()
                    })
                    .map(|c| c.state);
                Ok(
                    (state == Some(ibc_proto::ibc::core::channel::v1::State::Open as i32))
                        .then_some(ch),
                )
            })
            .map_err(|e| chan_err(e.to_string()))?;
        if let Some(ch) = open {
            return Err(chan_err(format!(
                "{port} already has an open channel on {conn} ({ch})"
            )));
        }
        Ok(())
    }

    fn connection_of(&self, port: &PortId, channel: &ChannelId) -> Result<String, ChannelError> {
        self.shared
            .with(|ctx| {
                let b = ctx
                    .get(&path(format!(
                        "channelEnds/ports/{port}/channels/{channel}"
                    )))?
                    .ok_or_else(|| AppError::internal(format!("channel {channel} is gone")))?;
                let ch = ibc_proto::ibc::core::channel::v1::Channel::decode(b.as_slice())
                    .map_err(AppError::internal)?;
                Ok(ch.connection_hops.first().cloned().unwrap_or_default())
            })
            .map_err(|e| chan_err(e.to_string()))
    }

    fn host_metadata(version: &Version) -> Result<Metadata, ChannelError> {
        let md: Metadata = serde_json::from_str(version.as_str())
            .map_err(|e| chan_err(format!("the host's version is not ICS-27 metadata: {e}")))?;
        if md.address.is_empty() {
            return Err(chan_err("the host named no interchain account"));
        }
        if md.version != VERSION || md.encoding != ENCODING_PROTO3 || md.tx_type != TX_TYPE {
            return Err(chan_err(format!("the host answered with metadata {md:?}")));
        }
        Ok(md)
    }
}

impl Module for IcaController<'_, '_, '_> {
    fn on_chan_open_init_validate(
        &self,
        _order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        _channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        self.check_init(hops, port, cp, version)?;
        Ok(version.clone())
    }

    fn on_chan_open_init_execute(
        &mut self,
        _order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        self.check_init(hops, port, cp, version)?;
        let conn = hops.first().map(|c| c.to_string()).unwrap_or_default();
        self.shared
            .with(|ctx| {
                ctx.put(
                    keys::active(&conn, port.as_str()),
                    channel.to_string().into_bytes(),
                )
            })
            .map_err(|e| chan_err(e.to_string()))?;
        Ok((ModuleExtras::empty(), version.clone()))
    }

    fn on_chan_open_try_validate(
        &self,
        _: Order,
        _: &[ConnectionId],
        _: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        _: &Version,
    ) -> Result<Version, ChannelError> {
        Err(chan_err(
            "a controller port does not accept channels; it opens them",
        ))
    }

    fn on_chan_open_try_execute(
        &mut self,
        _: Order,
        _: &[ConnectionId],
        _: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        _: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        Err(chan_err(
            "a controller port does not accept channels; it opens them",
        ))
    }

    fn on_chan_open_ack_validate(
        &self,
        _port: &PortId,
        _channel: &ChannelId,
        version: &Version,
    ) -> Result<(), ChannelError> {
        Self::host_metadata(version).map(|_| ())
    }

    fn on_chan_open_ack_execute(
        &mut self,
        port: &PortId,
        channel: &ChannelId,
        version: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        let md = Self::host_metadata(version)?;
        let conn = self.connection_of(port, channel)?;
        self.shared
            .with(|ctx| {
                ctx.put(
                    keys::account(&conn, port.as_str()),
                    md.address.clone().into_bytes(),
                )?;
                ctx.emit(
                    "interchain_account_opened",
                    &[
                        ("controller_port", port.to_string()),
                        ("channel", channel.to_string()),
                        ("connection", conn.clone()),
                        ("address", md.address.clone()),
                    ],
                );
                Ok(())
            })
            .map_err(|e| chan_err(e.to_string()))?;
        Ok(ModuleExtras::empty())
    }

    fn on_chan_close_init_validate(&self, _: &PortId, _: &ChannelId) -> Result<(), ChannelError> {
        Err(chan_err(
            "interchain-account channels are not closed by hand",
        ))
    }

    fn on_chan_close_init_execute(
        &mut self,
        _: &PortId,
        _: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        Err(chan_err(
            "interchain-account channels are not closed by hand",
        ))
    }

    fn on_recv_packet_execute(
        &mut self,
        _packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let ack = super::ica::error_ack("the interchain-account controller accepts no packets");
        (ModuleExtras::empty(), Acknowledgement::try_from(ack).ok())
    }

    fn on_acknowledgement_packet_validate(
        &self,
        _: &Packet,
        _: &Acknowledgement,
        _: &Signer,
    ) -> Result<(), ChannelError> {
        Ok(())
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        ack: &Acknowledgement,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let body = String::from_utf8_lossy(ack.as_bytes()).into_owned();
        let success = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .is_some_and(|v| v.get("result").is_some());
        let r = self
            .shared
            .with(|ctx| {
                ctx.emit(
                    "interchain_account_ack",
                    &[
                        ("controller_port", packet.port_id_on_a.to_string()),
                        ("channel", packet.chan_id_on_a.to_string()),
                        ("packet_sequence", packet.seq_on_a.to_string()),
                        ("success", success.to_string()),
                        ("acknowledgement", body.clone()),
                    ],
                );
                Ok(())
            })
            .map_err(|e| chan_err(e.to_string()));
        (ModuleExtras::empty(), r)
    }

    fn on_timeout_packet_validate(&self, _: &Packet, _: &Signer) -> Result<(), ChannelError> {
        Ok(())
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let r = self
            .shared
            .with(|ctx| {
                ctx.emit(
                    "interchain_account_timeout",
                    &[
                        ("controller_port", packet.port_id_on_a.to_string()),
                        ("channel", packet.chan_id_on_a.to_string()),
                        ("packet_sequence", packet.seq_on_a.to_string()),
                    ],
                );
                Ok(())
            })
            .map_err(|e| chan_err(e.to_string()));
        (ModuleExtras::empty(), r)
    }
}
