//! IBC events as ABCI events. ibc-rs marks its attributes unindexed; CometBFT's indexer skips
//! those, and relayers find packets with `tx_search` on them, so every attribute is indexed
//! here (the node's `--index-events` policy still applies on top).

use ibc::core::handler::types::events::IbcEvent;
use ibc::core::host::types::error::HostError;
use tendermint_proto::v0_38::abci::{Event, EventAttribute};

pub fn abci(event: IbcEvent) -> Result<Event, HostError> {
    let ev = tendermint::abci::Event::try_from(event)
        .map_err(|e| HostError::invalid_state(format!("an IBC event: {e}")))?;
    Ok(Event {
        r#type: ev.kind,
        attributes: ev
            .attributes
            .iter()
            .map(|a| EventAttribute {
                key: a.key_str().unwrap_or_default().to_string(),
                value: a.value_str().unwrap_or_default().to_string(),
                index: true,
            })
            .collect(),
    })
}
