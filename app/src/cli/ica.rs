//! `gliad tx ica …`: a Glia account's interchain account on another chain (ICS-27 controller).
//! `register` opens the channel (the relayer finishes the handshake and the host names the
//! account); `send-tx` sends ibc-go's packet data — the JSON that
//! `simd tx interchain-accounts host generate-packet-data` prints — for the account to run.

use crate::cli::signer::SignerArgs;
use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_client::rpc::msg_response;
use glia_modules::ibc::ibc_proto::ibc::applications::interchain_accounts::controller::v1::{
    MsgRegisterInterchainAccount, MsgRegisterInterchainAccountResponse, MsgSendTx,
    MsgSendTxResponse,
};
use glia_modules::ibc::ibc_proto::ibc::applications::interchain_accounts::v1::InterchainAccountPacketData;
use glia_proto::cosmos::Any;
use prost::Message;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Ordering {
    Ordered,
    Unordered,
}

#[derive(Clone, Debug, clap::Args)]
pub struct RegisterArgs {
    /// Glia's connection to the host chain (e.g. connection-0).
    #[arg(long)]
    pub connection: String,
    /// Channel ordering: unordered lets one slow packet not hold the next.
    #[arg(long, value_enum, default_value = "unordered")]
    pub ordering: Ordering,
    #[command(flatten)]
    pub signer: SignerArgs,
}

#[derive(Clone, Debug, clap::Args)]
pub struct SendTxArgs {
    /// Glia's connection to the host chain.
    #[arg(long)]
    pub connection: String,
    /// ibc-go's InterchainAccountPacketData as JSON: {"type":"TYPE_EXECUTE_TX","data":
    /// "<base64 CosmosTx>","memo":""} (`-` reads standard input).
    pub packet_data: PathBuf,
    /// Seconds the host has to receive the packet.
    #[arg(long, default_value_t = 600)]
    pub timeout_seconds: u64,
    #[command(flatten)]
    pub signer: SignerArgs,
}

fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

pub fn register(a: RegisterArgs) -> Result<()> {
    let s = a.signer.resolve()?;
    let msg = MsgRegisterInterchainAccount {
        owner: s.key.address.to_bech32(),
        connection_id: a.connection.clone(),
        version: String::new(),
        ordering: match a.ordering {
            Ordering::Unordered => 1,
            Ordering::Ordered => 2,
        },
    };
    let sent = s.send(vec![any(
        "/ibc.applications.interchain_accounts.controller.v1.MsgRegisterInterchainAccount",
        &msg,
    )])?;
    eprintln!("broadcast {} (fee {})", sent.0, sent.2);
    let r: MsgRegisterInterchainAccountResponse = msg_response(&sent.1)?;
    s.report(
        &sent,
        &format!(
            "channel {} (port {}) opened on {}; the relayer completes the handshake and the \
             host names the account",
            r.channel_id, r.port_id, a.connection
        ),
        serde_json::json!({"port_id": r.port_id, "channel_id": r.channel_id}),
    );
    Ok(())
}

pub fn send_tx(a: SendTxArgs) -> Result<()> {
    let s = a.signer.resolve()?;
    let text = if a.packet_data.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&a.packet_data)
            .with_context(|| format!("reading {}", a.packet_data.display()))?
    };
    let j: serde_json::Value =
        serde_json::from_str(&text).context("the packet data is not JSON")?;
    anyhow::ensure!(
        j["type"] == "TYPE_EXECUTE_TX",
        "the packet data's type must be TYPE_EXECUTE_TX"
    );
    let data = B64
        .decode(j["data"].as_str().unwrap_or_default())
        .context("the packet data's `data` is not base64")?;
    let msg = MsgSendTx {
        owner: s.key.address.to_bech32(),
        connection_id: a.connection.clone(),
        packet_data: Some(InterchainAccountPacketData {
            r#type: 1,
            data,
            memo: j["memo"].as_str().unwrap_or_default().into(),
        }),
        relative_timeout: a.timeout_seconds.saturating_mul(1_000_000_000),
    };
    let sent = s.send(vec![any(
        "/ibc.applications.interchain_accounts.controller.v1.MsgSendTx",
        &msg,
    )])?;
    eprintln!("broadcast {} (fee {})", sent.0, sent.2);
    let r: MsgSendTxResponse = msg_response(&sent.1)?;
    s.report(
        &sent,
        &format!("packet {} sent on {}", r.sequence, a.connection),
        serde_json::json!({"sequence": r.sequence.to_string()}),
    );
    Ok(())
}
