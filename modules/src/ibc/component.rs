//! The IBC component: genesis (ICS-20 params), Glia's consensus state recorded each block,
//! the core messages dispatched to ibc-rs, `MsgTransfer`, and the `ibc.core.*` and transfer
//! queries relayers and wallets call.

use super::controller::{self, IcaController};
use super::host::{self, Host, Shared};
use super::ica::{HostParams, IcaHost};
use super::router::Router;
use super::state::keys;
use super::transfer::{self, Params, Transfer};
use crate::address::Address;
use crate::component::{
    genesis_json, genesis_section, BlockContext, BuildInfo, Component, DecodedMsg, GenesisInfo,
    QueryRoute,
};
use crate::context::{Ctx, Kv, ReadOnly};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::Any;
use ibc::apps::transfer::types::msgs::transfer::MsgTransfer;
use ibc::core::channel::types::channel::Order;
use ibc::core::channel::types::msgs::MsgChannelOpenInit;
use ibc::core::channel::types::msgs::{ChannelMsg, PacketMsg};
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
use ibc::core::channel::types::Version;
use ibc::core::client::types::msgs::ClientMsg;
use ibc::core::connection::types::msgs::ConnectionMsg;
use ibc::core::handler::types::error::HandlerError;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::core::host::types::identifiers::ChainId;
use ibc::core::host::types::identifiers::{ConnectionId, PortId};
use ibc::core::host::types::path::SeqSendPath;
use ibc::core::host::ValidationContext;
use ibc::primitives::Timestamp;
use ibc_proto::ibc::applications::interchain_accounts::controller::v1::{
    MsgRegisterInterchainAccount, MsgRegisterInterchainAccountResponse, MsgSendTx,
    MsgSendTxResponse,
};
use ibc_proto::ibc::apps::transfer::v1::{MsgTransfer as RawMsgTransfer, MsgTransferResponse};
use prost::{Message, Name};
use std::time::Duration;

pub const NAME: &str = "ibc";

/// The most a block is expected to take (ICS-03's block delay); ibc-go's default.
const MAX_BLOCK_TIME: Duration = Duration::from_secs(30);

/// An IBC handler's error, in the codespace of the ICS it comes from.
pub fn handler_error(e: HandlerError) -> AppError {
    let codespace = match &e {
        HandlerError::Client(_) => "client",
        HandlerError::Connection(_) => "connection",
        HandlerError::Channel(_) => "channel",
        HandlerError::Router(_) => "port",
    };
    AppError {
        codespace,
        code: 1,
        log: e.to_string(),
    }
}

pub fn transfer_error(e: impl std::fmt::Display) -> AppError {
    AppError {
        codespace: "transfer",
        code: 1,
        log: e.to_string(),
    }
}

#[derive(Default)]
pub struct Ibc {
    /// The app's message router (an interchain account's messages run through it) and its
    /// module accounts (no transfer may credit them).
    app: BuildInfo,
}

/// What a decoded IBC message is.
enum IbcMsg {
    Core(Box<MsgEnvelope>),
    Transfer(RawMsgTransfer),
    Register(MsgRegisterInterchainAccount),
    SendTx(MsgSendTx),
}

/// The controller's messages (ibc-go's names).
const REGISTER_URL: &str =
    "/ibc.applications.interchain_accounts.controller.v1.MsgRegisterInterchainAccount";
const SEND_TX_URL: &str = "/ibc.applications.interchain_accounts.controller.v1.MsgSendTx";

pub fn ica_error(code: u32, log: impl Into<String>) -> AppError {
    AppError {
        codespace: "interchainaccounts",
        code,
        log: log.into(),
    }
}

fn parse_connection(s: &str) -> AppResult<ConnectionId> {
    s.parse()
        .map_err(|e| ica_error(2, format!("connection id {s:?}: {e}")))
}

#[allow(deprecated)] // MsgSubmitMisbehaviour still has a signer to check
fn envelope_signer(m: &MsgEnvelope) -> &str {
    let s = match m {
        MsgEnvelope::Client(c) => match c {
            ClientMsg::CreateClient(m) => &m.signer,
            ClientMsg::UpdateClient(m) => &m.signer,
            ClientMsg::Misbehaviour(m) => &m.signer,
            ClientMsg::UpgradeClient(m) => &m.signer,
            ClientMsg::RecoverClient(m) => &m.signer,
        },
        MsgEnvelope::Connection(c) => match c {
            ConnectionMsg::OpenInit(m) => &m.signer,
            ConnectionMsg::OpenTry(m) => &m.signer,
            ConnectionMsg::OpenAck(m) => &m.signer,
            ConnectionMsg::OpenConfirm(m) => &m.signer,
        },
        MsgEnvelope::Channel(c) => match c {
            ChannelMsg::OpenInit(m) => &m.signer,
            ChannelMsg::OpenTry(m) => &m.signer,
            ChannelMsg::OpenAck(m) => &m.signer,
            ChannelMsg::OpenConfirm(m) => &m.signer,
            ChannelMsg::CloseInit(m) => &m.signer,
            ChannelMsg::CloseConfirm(m) => &m.signer,
        },
        MsgEnvelope::Packet(p) => match p {
            PacketMsg::Recv(m) => &m.signer,
            PacketMsg::Ack(m) => &m.signer,
            PacketMsg::Timeout(m) => &m.signer,
            PacketMsg::TimeoutOnClose(m) => &m.signer,
        },
    };
    s.as_ref()
}

/// The type URLs of the core messages (ibc-go's names).
const CORE_MSGS: &[&str] = &[
    "/ibc.core.client.v1.MsgCreateClient",
    "/ibc.core.client.v1.MsgUpdateClient",
    "/ibc.core.client.v1.MsgUpgradeClient",
    "/ibc.core.client.v1.MsgSubmitMisbehaviour",
    "/ibc.core.connection.v1.MsgConnectionOpenInit",
    "/ibc.core.connection.v1.MsgConnectionOpenTry",
    "/ibc.core.connection.v1.MsgConnectionOpenAck",
    "/ibc.core.connection.v1.MsgConnectionOpenConfirm",
    "/ibc.core.channel.v1.MsgChannelOpenInit",
    "/ibc.core.channel.v1.MsgChannelOpenTry",
    "/ibc.core.channel.v1.MsgChannelOpenAck",
    "/ibc.core.channel.v1.MsgChannelOpenConfirm",
    "/ibc.core.channel.v1.MsgChannelCloseInit",
    "/ibc.core.channel.v1.MsgChannelCloseConfirm",
    "/ibc.core.channel.v1.MsgRecvPacket",
    "/ibc.core.channel.v1.MsgAcknowledgement",
    "/ibc.core.channel.v1.MsgTimeout",
    "/ibc.core.channel.v1.MsgTimeoutOnClose",
];

fn parse_signer(s: &str) -> AppResult<Address> {
    Address::parse(s).map_err(|e| AppError::invalid_address(format!("signer {s:?}: {e}")))
}

/// ICS-20's and the ICS-27 host's params.
pub fn params(kv: &mut impl Kv) -> AppResult<Genesis> {
    match kv.kv_get(keys::PARAMS)? {
        None => Ok(Genesis::default()),
        Some(b) => {
            serde_json::from_slice(&b).map_err(|e| AppError::internal(format!("IBC params: {e}")))
        }
    }
}

/// The genesis section: ICS-20's and the ICS-27 host's params.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Genesis {
    pub transfer: Params,
    pub ica_host: HostParams,
}

/// Runs an IBC handler over the message's context: the host, the router, and the first store
/// error (out of gas) preferred over the handler's wrapping of it.
pub fn with_host<T>(
    ctx: &mut Ctx<'_>,
    app: &BuildInfo,
    f: impl FnOnce(&mut Host<'_, '_, '_>, &mut Router<'_, '_, '_>) -> AppResult<T>,
) -> AppResult<T> {
    let chain_id = ChainId::new(&ctx.block.chain_id)
        .map_err(|e| AppError::internal(format!("chain id {:?}: {e}", ctx.block.chain_id)))?;
    let unbonding = Duration::from_secs(crate::staking::unbonding_seconds(ctx)?);
    let p = params(ctx)?;
    let shared = Shared::new(ctx);
    let mut host = Host {
        shared: &shared,
        chain_id,
        unbonding,
        max_block_time: MAX_BLOCK_TIME,
    };
    let mut router = Router {
        transfer: Transfer {
            shared: &shared,
            params: p.transfer,
            blocked: &app.module_accounts,
        },
        ica_host: IcaHost {
            shared: &shared,
            params: p.ica_host,
            router: app.router.clone(),
        },
        ica_controller: IcaController { shared: &shared },
    };
    let r = f(&mut host, &mut router);
    match shared.take_error() {
        Some(e) if r.is_err() => Err(e),
        _ => r,
    }
}

impl Ibc {
    fn transfer(&self, ctx: &mut Ctx<'_>, mut raw: RawMsgTransfer) -> AppResult<Any> {
        // A voucher is sent by its bank denom (`ibc/<hash>`); ICS-20 speaks of its trace.
        if let Some(token) = raw.token.as_mut() {
            if token.denom.starts_with("ibc/") {
                token.denom = transfer::trace_of(ctx, &token.denom)?.ok_or_else(|| {
                    AppError::invalid_coins(format!("{} is not a voucher Glia knows", token.denom))
                })?;
            }
        }
        let msg = MsgTransfer::try_from(raw).map_err(transfer_error)?;
        let seq_path = SeqSendPath::new(&msg.port_id_on_a, &msg.chan_id_on_a);
        with_host(ctx, &self.app, |host, router| {
            let sequence = host
                .get_next_sequence_send(&seq_path)
                .map_err(|e| transfer_error(format!("channel {}: {e}", msg.chan_id_on_a)))?;
            ibc::apps::transfer::handler::send_transfer(host, &mut router.transfer, msg)
                .map_err(transfer_error)?;
            Ok(Any {
                type_url: MsgTransferResponse::type_url(),
                value: MsgTransferResponse {
                    sequence: sequence.value(),
                }
                .encode_to_vec(),
            })
        })
    }
}

impl Ibc {
    /// Opens a channel from the owner's controller port to the host's `icahost` (ibc-go's
    /// `MsgRegisterInterchainAccount`); Hermes completes the handshake and the host's answer
    /// names the account.
    fn register(&self, ctx: &mut Ctx<'_>, m: MsgRegisterInterchainAccount) -> AppResult<Any> {
        let conn = parse_connection(&m.connection_id)?;
        let port_s = controller::port_of(&m.owner);
        let port: PortId = port_s
            .parse()
            .map_err(|e| ica_error(3, format!("controller port {port_s:?}: {e}")))?;
        let version = if m.version.is_empty() {
            let md = controller::default_metadata(ctx, conn.as_str())?;
            serde_json::to_string(&md).map_err(AppError::internal)?
        } else {
            m.version.clone()
        };
        // ibc-go v8.8: unordered unless the owner asks otherwise.
        let ordering = match m.ordering {
            0 | 1 => Order::Unordered,
            2 => Order::Ordered,
            o => {
                return Err(ica_error(
                    4,
                    format!("ordering {o} is not ORDERED (2) or UNORDERED (1)"),
                ))
            }
        };
        let host_port: PortId = super::ica::HOST_PORT.parse().map_err(AppError::internal)?;
        let open = MsgChannelOpenInit {
            port_id_on_a: port.clone(),
            connection_hops_on_a: vec![conn],
            port_id_on_b: host_port,
            ordering,
            signer: m.owner.clone().into(),
            version_proposal: Version::new(version),
        };
        with_host(ctx, &self.app, |host, router| {
            let n = host
                .channel_counter()
                .map_err(|e| AppError::internal(e.to_string()))?;
            ibc::core::entrypoint::dispatch(
                host,
                router,
                MsgEnvelope::Channel(ChannelMsg::OpenInit(open)),
            )
            .map_err(handler_error)?;
            Ok(Any {
                type_url: format!("{REGISTER_URL}Response"),
                value: MsgRegisterInterchainAccountResponse {
                    channel_id: format!("channel-{n}"),
                    port_id: port_s.clone(),
                }
                .encode_to_vec(),
            })
        })
    }

    /// Sends packet data for the owner's interchain account to run (ibc-go's `MsgSendTx`).
    fn send_tx(&self, ctx: &mut Ctx<'_>, m: MsgSendTx) -> AppResult<Any> {
        let port_s = controller::port_of(&m.owner);
        let channel =
            controller::active_channel(ctx, &m.connection_id, &m.owner)?.ok_or_else(|| {
                ica_error(
                    5,
                    format!(
                        "{} has no interchain account on {}: register one first",
                        m.owner, m.connection_id
                    ),
                )
            })?;
        let raw_channel = ctx
            .get(&super::state::path(format!(
                "channelEnds/ports/{port_s}/channels/{channel}"
            )))?
            .ok_or_else(|| AppError::internal(format!("channel {channel} is gone")))?;
        let end = ibc_proto::ibc::core::channel::v1::Channel::decode(raw_channel.as_slice())
            .map_err(AppError::internal)?;
        if end.state != ibc_proto::ibc::core::channel::v1::State::Open as i32 {
            return Err(ica_error(
                6,
                format!("the interchain-account channel {channel} is not open; register again to reopen it"),
            ));
        }
        let data = m
            .packet_data
            .ok_or_else(|| ica_error(7, "packet_data is empty"))?;
        if data.r#type != 1 || data.data.is_empty() {
            return Err(ica_error(
                7,
                "packet_data must be TYPE_EXECUTE_TX with data",
            ));
        }
        if m.relative_timeout == 0 {
            return Err(ica_error(8, "relative_timeout (nanoseconds) must be set"));
        }
        let json = serde_json::json!({
            "type": "TYPE_EXECUTE_TX",
            "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &data.data),
            "memo": data.memo,
        })
        .to_string();
        let now = ctx.block.time_unix.max(0) as u64;
        let now_ns = now
            .checked_mul(1_000_000_000)
            .and_then(|s| s.checked_add(u64::try_from(ctx.block.time_nanos.max(0)).ok()?))
            .ok_or_else(|| AppError::overflow("block time"))?;
        let timeout = now_ns
            .checked_add(m.relative_timeout)
            .ok_or_else(|| ica_error(8, "relative_timeout overflows"))?;
        let port: PortId = port_s.parse().map_err(AppError::internal)?;
        let chan_id = channel.parse().map_err(AppError::internal)?;
        let cp = end.counterparty.unwrap_or_default();
        with_host(ctx, &self.app, |host, _| {
            let seq = host
                .get_next_sequence_send(&SeqSendPath::new(&port, &chan_id))
                .map_err(|e| AppError::internal(e.to_string()))?;
            let packet = Packet {
                seq_on_a: seq,
                port_id_on_a: port.clone(),
                chan_id_on_a: chan_id.clone(),
                port_id_on_b: cp.port_id.parse().map_err(AppError::internal)?,
                chan_id_on_b: cp.channel_id.parse().map_err(AppError::internal)?,
                data: json.into_bytes(),
                timeout_height_on_b: TimeoutHeight::Never,
                timeout_timestamp_on_b: TimeoutTimestamp::At(Timestamp::from_nanoseconds(timeout)),
            };
            ibc::core::channel::handler::send_packet(host, packet)
                .map_err(|e| ica_error(9, e.to_string()))?;
            Ok(Any {
                type_url: format!("{SEND_TX_URL}Response"),
                value: MsgSendTxResponse {
                    sequence: seq.value(),
                }
                .encode_to_vec(),
            })
        })
    }
}

impl Component for Ibc {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        let g: Genesis = genesis_section(NAME, section)?;
        let bytes = serde_json::to_vec(&g).map_err(|e| AppError::internal(e.to_string()))?;
        ctx.put(keys::PARAMS.to_string(), bytes)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        genesis_json(NAME, &params(kv)?).map(Some)
    }

    fn on_build(&mut self, app: &BuildInfo) {
        self.app = app.clone();
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        let keep = crate::staking::historical_entries(ctx)?.max(1);
        host::record_host_consensus(ctx, keep)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        let mut v: Vec<String> = CORE_MSGS.iter().map(|s| s.to_string()).collect();
        v.push(RawMsgTransfer::type_url());
        v.push(REGISTER_URL.into());
        v.push(SEND_TX_URL.into());
        v
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        if any.type_url == RawMsgTransfer::type_url() {
            let raw = RawMsgTransfer::decode(any.value.as_slice())
                .map_err(|e| AppError::tx_decode(format!("MsgTransfer: {e}")))?;
            let signer = parse_signer(&raw.sender)?;
            // Stateless checks (ports, channels, amounts, timeouts) before any fee is spent.
            MsgTransfer::try_from(raw.clone()).map_err(transfer_error)?;
            return Ok(DecodedMsg::new(
                IbcMsgBox(IbcMsg::Transfer(raw)),
                vec![signer],
            ));
        }
        if any.type_url == REGISTER_URL {
            let m = MsgRegisterInterchainAccount::decode(any.value.as_slice())
                .map_err(|e| AppError::tx_decode(format!("MsgRegisterInterchainAccount: {e}")))?;
            let signer = parse_signer(&m.owner)?;
            parse_connection(&m.connection_id)?;
            return Ok(DecodedMsg::new(
                IbcMsgBox(IbcMsg::Register(m)),
                vec![signer],
            ));
        }
        if any.type_url == SEND_TX_URL {
            let m = MsgSendTx::decode(any.value.as_slice())
                .map_err(|e| AppError::tx_decode(format!("MsgSendTx: {e}")))?;
            let signer = parse_signer(&m.owner)?;
            parse_connection(&m.connection_id)?;
            return Ok(DecodedMsg::new(IbcMsgBox(IbcMsg::SendTx(m)), vec![signer]));
        }
        let ibc_any = ibc::primitives::proto::Any {
            type_url: any.type_url.clone(),
            value: any.value.clone(),
        };
        let env = MsgEnvelope::try_from(ibc_any)
            .map_err(|e| AppError::tx_decode(format!("{}: {e}", any.type_url)))?;
        let signer = parse_signer(envelope_signer(&env))?;
        Ok(DecodedMsg::new(
            IbcMsgBox(IbcMsg::Core(Box::new(env))),
            vec![signer],
        ))
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        match &msg.get::<IbcMsgBox>()?.0 {
            IbcMsg::Transfer(raw) => self.transfer(ctx, raw.clone()),
            IbcMsg::Register(m) => self.register(ctx, m.clone()),
            IbcMsg::SendTx(m) => self.send_tx(ctx, m.clone()),
            IbcMsg::Core(env) => {
                let env = (**env).clone();
                let url = envelope_type_url(&env);
                with_host(ctx, &self.app, |host, router| {
                    ibc::core::entrypoint::dispatch(host, router, env).map_err(handler_error)
                })?;
                Ok(Any {
                    type_url: format!("{url}Response"),
                    value: Vec::new(),
                })
            }
        }
    }

    fn queries(&self) -> Vec<QueryRoute> {
        super::query::routes()
    }
}

/// The decoded message, shareable across threads (ibc-rs's messages are plain data).
struct IbcMsgBox(IbcMsg);

fn envelope_type_url(m: &MsgEnvelope) -> &'static str {
    match m {
        MsgEnvelope::Client(c) => match c {
            ClientMsg::CreateClient(_) => CORE_MSGS[0],
            ClientMsg::UpdateClient(_) => CORE_MSGS[1],
            ClientMsg::UpgradeClient(_) => CORE_MSGS[2],
            ClientMsg::Misbehaviour(_) => CORE_MSGS[3],
            ClientMsg::RecoverClient(_) => "/ibc.core.client.v1.MsgRecoverClient",
        },
        MsgEnvelope::Connection(c) => match c {
            ConnectionMsg::OpenInit(_) => CORE_MSGS[4],
            ConnectionMsg::OpenTry(_) => CORE_MSGS[5],
            ConnectionMsg::OpenAck(_) => CORE_MSGS[6],
            ConnectionMsg::OpenConfirm(_) => CORE_MSGS[7],
        },
        MsgEnvelope::Channel(c) => match c {
            ChannelMsg::OpenInit(_) => CORE_MSGS[8],
            ChannelMsg::OpenTry(_) => CORE_MSGS[9],
            ChannelMsg::OpenAck(_) => CORE_MSGS[10],
            ChannelMsg::OpenConfirm(_) => CORE_MSGS[11],
            ChannelMsg::CloseInit(_) => CORE_MSGS[12],
            ChannelMsg::CloseConfirm(_) => CORE_MSGS[13],
        },
        MsgEnvelope::Packet(p) => match p {
            PacketMsg::Recv(_) => CORE_MSGS[14],
            PacketMsg::Ack(_) => CORE_MSGS[15],
            PacketMsg::Timeout(_) => CORE_MSGS[16],
            PacketMsg::TimeoutOnClose(_) => CORE_MSGS[17],
        },
    }
}
