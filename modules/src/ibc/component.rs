//! The IBC component: genesis (ICS-20 params), Glia's consensus state recorded each block,
//! the core messages dispatched to ibc-rs, `MsgTransfer`, and the `ibc.core.*` and transfer
//! queries relayers and wallets call.

use super::host::{self, Host, Shared};
use super::router::Router;
use super::state::keys;
use super::transfer::{self, Params, Transfer};
use crate::address::Address;
use super::ica::{HostParams, IcaHost};
use crate::component::{
    genesis_json, genesis_section, BlockContext, BuildInfo, Component, DecodedMsg, GenesisInfo,
    MsgRouter, QueryRoute,
};
use crate::context::{Ctx, Kv, ReadOnly};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::Any;
use ibc::apps::transfer::types::msgs::transfer::MsgTransfer;
use ibc::core::channel::types::msgs::{ChannelMsg, PacketMsg};
use ibc::core::client::types::msgs::ClientMsg;
use ibc::core::connection::types::msgs::ConnectionMsg;
use ibc::core::handler::types::error::HandlerError;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::core::host::types::identifiers::ChainId;
use ibc::core::host::types::path::SeqSendPath;
use ibc::core::host::ValidationContext;
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
    /// The app's message router (an interchain account's messages run through it).
    router: MsgRouter,
}

/// What a decoded IBC message is.
enum IbcMsg {
    Core(Box<MsgEnvelope>),
    Transfer(RawMsgTransfer),
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
    msg_router: &MsgRouter,
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
        },
        ica_host: IcaHost {
            shared: &shared,
            params: p.ica_host,
            router: msg_router.clone(),
        },
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
        with_host(ctx, &self.router, |host, router| {
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
        let bytes =
            serde_json::to_vec(&g.transfer).map_err(|e| AppError::internal(e.to_string()))?;
        ctx.put(keys::PARAMS.to_string(), bytes)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        genesis_json(NAME, &params(kv)?).map(Some)
    }

    fn on_build(&mut self, app: &BuildInfo) {
        self.router = app.router.clone();
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        let keep = crate::staking::historical_entries(ctx)?.max(1);
        host::record_host_consensus(ctx, keep)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        let mut v: Vec<String> = CORE_MSGS.iter().map(|s| s.to_string()).collect();
        v.push(RawMsgTransfer::type_url());
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
            IbcMsg::Core(env) => {
                let env = (**env).clone();
                let url = envelope_type_url(&env);
                with_host(ctx, &self.router, |host, router| {
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
