//! `gliad tx ibc-transfer transfer PORT CHANNEL RECEIVER AMOUNT`: an ICS-20 transfer as the
//! Cosmos SDK's CLI takes it. The packet times out after `--packet-timeout-seconds` (from this
//! machine's clock; the receiving chain judges it by its own block time) and, if given, at
//! `--packet-timeout-height` on the counterparty.

use super::bank::parse_amount;
use super::signer::SignerArgs;
use anyhow::{bail, Context, Result};
use glia_modules::ibc::ibc_proto::cosmos::base::v1beta1::Coin as IbcCoin;
use glia_modules::ibc::ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use glia_modules::ibc::ibc_proto::ibc::core::client::v1::Height;
use glia_proto::cosmos::Any;
use prost::Message;

#[derive(clap::Args)]
pub struct TransferArgs {
    /// The source port (transfer).
    pub src_port: String,
    /// The source channel on Glia (channel-0, …).
    pub src_channel: String,
    /// The receiver's address on the other chain.
    pub receiver: String,
    /// One amount and denom: 1000uglia, or an IBC voucher ibc/….
    pub amount: String,
    /// Seconds from now after which the packet is refunded if not received (0: none).
    #[arg(long, default_value_t = 600)]
    pub packet_timeout_seconds: u64,
    /// The counterparty's height after which the packet is refunded, REVISION-HEIGHT (e.g.
    /// 1-5000; default: none).
    #[arg(long, value_name = "REV-HEIGHT")]
    pub packet_timeout_height: Option<String>,
    /// A memo the receiving chain's middleware may read.
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

fn height(s: &str) -> Result<Height> {
    let (rev, h) = s
        .split_once('-')
        .with_context(|| format!("--packet-timeout-height {s:?}: REVISION-HEIGHT, e.g. 1-5000"))?;
    Ok(Height {
        revision_number: rev.parse().context("revision number")?,
        revision_height: h.parse().context("height")?,
    })
}

pub fn transfer(a: TransferArgs) -> Result<()> {
    let coins = parse_amount(&a.amount)?;
    let [coin] = coins.as_slice() else {
        bail!("{:?}: one amount with its denom, e.g. 1000uglia", a.amount);
    };
    let timeout_height = a.packet_timeout_height.as_deref().map(height).transpose()?;
    let timeout_timestamp = if a.packet_timeout_seconds == 0 {
        0
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?;
        u64::try_from(now.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(a.packet_timeout_seconds.saturating_mul(1_000_000_000))
    };
    if timeout_height.is_none() && timeout_timestamp == 0 {
        bail!("a packet needs a timeout: --packet-timeout-seconds or --packet-timeout-height");
    }
    let s = a.signer.resolve()?;
    let msg = MsgTransfer {
        source_port: a.src_port.clone(),
        source_channel: a.src_channel.clone(),
        token: Some(IbcCoin {
            denom: coin.denom.clone(),
            amount: coin.amount.to_string(),
        }),
        sender: s.key.address.to_bech32(),
        receiver: a.receiver.clone(),
        timeout_height,
        timeout_timestamp,
        memo: a.memo.clone(),
    };
    let any = Any {
        type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
        value: msg.encode_to_vec(),
    };
    let what = format!(
        "sent {} over {}/{} to {}",
        a.amount, a.src_port, a.src_channel, a.receiver
    );
    s.send_and_print(vec![any], &what)
}
