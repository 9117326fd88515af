//! Which event attributes this node asks CometBFT to index, as the Cosmos SDK's `index-events`
//! setting does: by default every attribute (what `tx_search` and cosmjs' `searchTx` need to
//! find anything), or only the listed `type.key` pairs (and whole `type`s).
//!
//! Indexing is node-local: CometBFT's results hash covers a tx's code, data and gas, never its
//! events, so nodes with different settings agree on every block. A node that serves no
//! searches (a validator behind sentries) can cut its indexer's writes this way.

use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::Event;

/// The attributes to index; `None` is everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexEvents(Option<BTreeSet<String>>);

impl IndexEvents {
    /// Every attribute of every event (the SDK's default).
    pub fn all() -> Self {
        IndexEvents(None)
    }

    /// Parses `--index-events`: empty or `*` for everything, else comma-separated entries
    /// `type.key` (one attribute) or `type` (all of that event's attributes).
    pub fn parse(list: &str) -> Result<Self, String> {
        let list = list.trim();
        if list.is_empty() || list == "*" {
            return Ok(Self::all());
        }
        let mut set = BTreeSet::new();
        for entry in list.split(',').map(str::trim) {
            let ok = !entry.is_empty()
                && entry.split('.').count() <= 2
                && entry.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !ok {
                return Err(format!(
                    "index-events entry {entry:?} is not of the form type or type.key"
                ));
            }
            set.insert(entry.to_string());
        }
        Ok(IndexEvents(Some(set)))
    }

    /// Sets each attribute's `index` flag by this policy.
    pub fn mark(&self, events: &mut [Event]) {
        let Some(set) = &self.0 else {
            events
                .iter_mut()
                .flat_map(|e| &mut e.attributes)
                .for_each(|a| a.index = true);
            return;
        };
        for e in events {
            let whole = set.contains(&e.r#type);
            for a in &mut e.attributes {
                a.index = whole || set.contains(format!("{}.{}", e.r#type, a.key).as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::v0_38::abci::EventAttribute;

    fn ev(kind: &str, keys: &[&str]) -> Event {
        Event {
            r#type: kind.into(),
            attributes: keys
                .iter()
                .map(|k| EventAttribute {
                    key: k.to_string(),
                    value: "v".into(),
                    index: false,
                })
                .collect(),
        }
    }

    fn flags(events: &[Event]) -> Vec<Vec<bool>> {
        events
            .iter()
            .map(|e| e.attributes.iter().map(|a| a.index).collect())
            .collect()
    }

    #[test]
    fn default_indexes_everything_and_a_list_only_its_entries() {
        let base = vec![
            ev("message", &["action", "sender", "module"]),
            ev("transfer", &["recipient", "sender", "amount"]),
            ev("send_packet", &["packet_sequence", "packet_src_channel"]),
        ];
        let mut all = base.clone();
        IndexEvents::parse("").unwrap().mark(&mut all);
        assert_eq!(
            flags(&all),
            vec![vec![true; 3], vec![true; 3], vec![true; 2]]
        );
        assert_eq!(IndexEvents::parse("*").unwrap(), IndexEvents::all());

        let mut some = base;
        IndexEvents::parse("message.sender, transfer.recipient,send_packet")
            .unwrap()
            .mark(&mut some);
        assert_eq!(
            flags(&some),
            vec![
                vec![false, true, false],
                vec![true, false, false],
                vec![true, true]
            ]
        );
    }

    #[test]
    fn malformed_entries_are_refused_with_the_entry_named() {
        for bad in [
            "message.",
            ".sender",
            "a.b.c",
            "message sender",
            "message,,x",
        ] {
            let e = IndexEvents::parse(bad).unwrap_err();
            assert!(e.contains("is not of the form"), "{bad}: {e}");
        }
    }
}
