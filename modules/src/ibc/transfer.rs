//! ICS-20 fungible token transfer on port `transfer`: ibc-rs's handlers over Glia's bank.
//! Coins native to Glia leave into a per-channel escrow account and come back out of it;
//! coins from elsewhere arrive as vouchers `ibc/<SHA256(trace)>`, minted on receipt and burnt
//! when sent back, with their trace kept for the denom-trace queries. Addresses and denoms
//! are ibc-go's, so wallets and explorers show the same names on both chains.

use super::host::Shared;
use super::state::{self, keys};
use crate::address::Address;
use crate::bank;
use crate::coins::Coin;
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use ibc::apps::transfer::context::{TokenTransferExecutionContext, TokenTransferValidationContext};
use ibc::apps::transfer::module as ics20;
use ibc::apps::transfer::types::{Memo, PrefixedCoin, PrefixedDenom, VERSION};
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::Version;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc::core::router::module::Module;
use ibc::core::router::types::module::ModuleExtras;
use ibc::primitives::Signer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const PORT: &str = "transfer";

/// ICS-20's params, as ibc-go's `transfer.v1.Params`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Params {
    pub send_enabled: bool,
    pub receive_enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            send_enabled: true,
            receive_enabled: true,
        }
    }
}

/// ibc-go's escrow account of a channel: the first 20 bytes of
/// SHA-256("ics20-1" ‖ 0x00 ‖ "<port>/<channel>").
pub fn escrow_address(port: &str, channel: &str) -> Address {
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    h.update([0u8]);
    h.update(format!("{port}/{channel}").as_bytes());
    Address::from_bytes(h.finalize()[..20].to_vec())
}

/// The hash of a trace path, upper-case hex (`ibc/<this>`).
pub fn denom_hash(full_path: &str) -> String {
    hex::encode_upper(Sha256::digest(full_path.as_bytes()))
}

/// The bank denom of an ICS-20 denom: its base where it has no trace (native to Glia),
/// `ibc/<hash>` where it has one.
pub fn bank_denom(denom: &PrefixedDenom) -> String {
    if denom.trace_path.is_empty() {
        denom.base_denom.to_string()
    } else {
        format!("ibc/{}", denom_hash(&denom.to_string()))
    }
}

/// The trace a voucher denom stands for (`None`: not a voucher Glia knows).
pub fn trace_of(kv: &mut impl Kv, bank_denom: &str) -> AppResult<Option<String>> {
    let Some(hash) = bank_denom.strip_prefix("ibc/") else {
        return Ok(None);
    };
    Ok(kv
        .kv_get(&keys::denom_trace(&hash.to_ascii_uppercase()))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn amount(coin: &PrefixedCoin) -> Result<u128, HostError> {
    coin.amount
        .to_string()
        .parse::<u128>()
        .map_err(|_| HostError::invalid_state(format!("amount {} is too large", coin.amount)))
}

fn bank_coin(coin: &PrefixedCoin) -> Result<Coin, HostError> {
    Ok(Coin::new(&bank_denom(&coin.denom), amount(coin)?))
}

/// ICS-20 over the shared context.
pub struct Transfer<'s, 'c, 'a> {
    pub shared: &'s Shared<'c, 'a>,
    pub params: Params,
    /// Module accounts: coins sent to one would sit outside every record that accounts for
    /// it (an escrow holds exactly what its tasks owe), so a packet to one is refused, as
    /// ibc-go refuses blocked addresses.
    pub blocked: &'s [Address],
}

impl std::fmt::Debug for Transfer<'_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ICS-20 transfer")
    }
}

impl Transfer<'_, '_, '_> {
    fn has(&self, who: &Address, coin: &Coin) -> Result<(), HostError> {
        let have = self
            .shared
            .with(|ctx| bank::api::balance(ctx, who, &coin.denom))?;
        if have < coin.amount {
            return Err(HostError::invalid_state(format!(
                "{who} holds {have}{}, not {coin}",
                coin.denom
            )));
        }
        Ok(())
    }

    fn add_escrow(&self, denom: &str, delta: i8, amt: u128) -> Result<(), HostError> {
        self.shared.with(|ctx| {
            let key = keys::escrow_total(denom);
            let now = state::get_u128(ctx, &key)?;
            let next = if delta > 0 {
                now.checked_add(amt)
            } else {
                now.checked_sub(amt)
            }
            .ok_or_else(|| AppError::overflow("the escrow total"))?;
            ctx.put(key, next.to_be_bytes().to_vec())
        })
    }
}

impl TokenTransferValidationContext for Transfer<'_, '_, '_> {
    type AccountId = Address;

    fn sender_account(&self, sender: &Signer) -> Result<Address, HostError> {
        Address::parse(sender.as_ref())
            .map_err(|e| HostError::invalid_state(format!("sender: {e}")))
    }

    fn receiver_account(&self, receiver: &Signer) -> Result<Address, HostError> {
        let to = Address::parse(receiver.as_ref())
            .map_err(|e| HostError::invalid_state(format!("receiver: {e}")))?;
        if self.blocked.contains(&to) {
            return Err(HostError::invalid_state(format!(
                "receiver {to} is a module account, which cannot receive transfers"
            )));
        }
        Ok(to)
    }

    fn get_port(&self) -> Result<PortId, HostError> {
        Ok(PortId::transfer())
    }

    fn can_send_coins(&self) -> Result<(), HostError> {
        if self.params.send_enabled {
            Ok(())
        } else {
            Err(HostError::invalid_state("ICS-20 sends are disabled"))
        }
    }

    fn can_receive_coins(&self) -> Result<(), HostError> {
        if self.params.receive_enabled {
            Ok(())
        } else {
            Err(HostError::invalid_state("ICS-20 receives are disabled"))
        }
    }

    fn escrow_coins_validate(
        &self,
        from: &Address,
        _port: &PortId,
        _channel: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has(from, &bank_coin(coin)?)
    }

    fn unescrow_coins_validate(
        &self,
        _to: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        self.has(
            &escrow_address(port.as_str(), channel.as_str()),
            &bank_coin(coin)?,
        )
    }

    fn mint_coins_validate(&self, _to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        let c = bank_coin(coin)?;
        crate::coins::validate_denom(&c.denom).map_err(HostError::invalid_state)
    }

    fn burn_coins_validate(
        &self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has(from, &bank_coin(coin)?)
    }

    fn denom_hash_string(&self, denom: &PrefixedDenom) -> Option<String> {
        Some(bank_denom(denom))
    }
}

impl TokenTransferExecutionContext for Transfer<'_, '_, '_> {
    fn escrow_coins_execute(
        &mut self,
        from: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let c = bank_coin(coin)?;
        let escrow = escrow_address(port.as_str(), channel.as_str());
        self.shared
            .with(|ctx| bank::transfer(ctx, from, &escrow, std::slice::from_ref(&c)))?;
        self.add_escrow(&c.denom, 1, c.amount)
    }

    fn unescrow_coins_execute(
        &mut self,
        to: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        let c = bank_coin(coin)?;
        let escrow = escrow_address(port.as_str(), channel.as_str());
        self.shared
            .with(|ctx| bank::transfer(ctx, &escrow, to, std::slice::from_ref(&c)))?;
        self.add_escrow(&c.denom, -1, c.amount)
    }

    fn mint_coins_execute(&mut self, to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        let c = bank_coin(coin)?;
        let trace = coin.denom.to_string();
        self.shared.with(|ctx| {
            if let Some(hash) = c.denom.strip_prefix("ibc/") {
                ctx.put(keys::denom_trace(hash), trace.into_bytes())?;
                ctx.emit(
                    "denomination",
                    &[("trace_hash", hash.to_string()), ("denom", c.denom.clone())],
                );
            }
            bank::mint(ctx, to, std::slice::from_ref(&c))
        })
    }

    fn burn_coins_execute(
        &mut self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let c = bank_coin(coin)?;
        self.shared
            .with(|ctx| bank::burn(ctx, from, std::slice::from_ref(&c)))
    }
}

fn chan(e: ibc::apps::transfer::types::error::TokenTransferError) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

impl Module for Transfer<'_, '_, '_> {
    fn on_chan_open_init_validate(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_init_validate(self, order, hops, port, channel, cp, version)
            .map_err(chan)?;
        Ok(Version::new(VERSION.to_string()))
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        ics20::on_chan_open_init_execute(self, order, hops, port, channel, cp, version)
            .map_err(chan)
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_try_validate(self, order, hops, port, channel, cp, version)
            .map_err(chan)?;
        Ok(Version::new(VERSION.to_string()))
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
        ics20::on_chan_open_try_execute(self, order, hops, port, channel, cp, version).map_err(chan)
    }

    fn on_chan_open_ack_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
        version: &Version,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_open_ack_validate(self, port, channel, version).map_err(chan)
    }

    fn on_chan_open_ack_execute(
        &mut self,
        port: &PortId,
        channel: &ChannelId,
        version: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_open_ack_execute(self, port, channel, version).map_err(chan)
    }

    fn on_chan_open_confirm_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_open_confirm_validate(self, port, channel).map_err(chan)
    }

    fn on_chan_open_confirm_execute(
        &mut self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_open_confirm_execute(self, port, channel).map_err(chan)
    }

    fn on_chan_close_init_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_close_init_validate(self, port, channel).map_err(chan)
    }

    fn on_chan_close_init_execute(
        &mut self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_close_init_execute(self, port, channel).map_err(chan)
    }

    fn on_chan_close_confirm_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_close_confirm_validate(self, port, channel).map_err(chan)
    }

    fn on_chan_close_confirm_execute(
        &mut self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_close_confirm_execute(self, port, channel).map_err(chan)
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let (extras, ack) = ics20::on_recv_packet_execute(self, packet);
        (extras, Some(ack))
    }

    fn on_acknowledgement_packet_validate(
        &self,
        packet: &Packet,
        ack: &Acknowledgement,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_acknowledgement_packet_validate(self, packet, ack, relayer).map_err(chan)
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        ack: &Acknowledgement,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (x, r) = ics20::on_acknowledgement_packet_execute(self, packet, ack, relayer);
        (x, r.map_err(chan))
    }

    fn on_timeout_packet_validate(
        &self,
        packet: &Packet,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_timeout_packet_validate(self, packet, relayer).map_err(chan)
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (x, r) = ics20::on_timeout_packet_execute(self, packet, relayer);
        (x, r.map_err(chan))
    }
}
