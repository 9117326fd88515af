//! Which event attributes this node asks CometBFT to index, as the Cosmos SDK's `index-events`
//! setting does, with exclusions added.
//!
//! gliad's default indexes every attribute except five that only repeat what other indexed
//! attributes already say, or that serve only single-tx lookups: `coin_spent` and
//! `coin_received` (the same coins and addresses as the `transfer`, or for a mint the
//! `coinbase`, beside them), `tx.fee_payer` (the payer is the fee transfer's `transfer.sender`
//! and `message.sender`), and `tx.acc_seq` and `tx.signature` (the SDK CLI's `query tx --type`
//! lookups, which `tx.hash` also serves). They are still emitted, so
//! `getTx` and `block_results` show them; they just cannot be searched for. A `MsgSend` then
//! costs CometBFT's indexer 12 keys instead of 23. `*` gives the SDK's default (everything).
//!
//! Indexing is node-local: CometBFT's results hash covers a tx's code, data and gas, never its
//! events, so nodes with different settings agree on every block. A node that serves no
//! searches (a validator behind sentries) can cut its indexer's writes further this way.

use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::Event;

/// gliad's default policy, in `--index-events` syntax.
pub const DEFAULT: &str = "*,!coin_spent,!coin_received,!tx.acc_seq,!tx.signature,!tx.fee_payer";

/// The attributes to index: those `include`d (`None`: every one) less those `exclude`d.
/// Entries are `type.key` (one attribute) or `type` (all of that event's attributes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEvents {
    include: Option<BTreeSet<String>>,
    exclude: BTreeSet<String>,
}

impl Default for IndexEvents {
    fn default() -> Self {
        Self::parse(DEFAULT).expect("the default policy parses")
    }
}

impl IndexEvents {
    /// Every attribute of every event (the SDK's default).
    pub fn all() -> Self {
        IndexEvents {
            include: None,
            exclude: BTreeSet::new(),
        }
    }

    /// Parses `--index-events`: comma-separated entries, each `type.key` or `type` to index,
    /// `!type.key` or `!type` to leave out, or `*` for everything. Empty is `*`. With no entry
    /// to index but some to leave out, the rest is indexed: `!coin_spent` is `*,!coin_spent`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let list = list.trim();
        let mut all = list.is_empty();
        let mut include = BTreeSet::new();
        let mut exclude = BTreeSet::new();
        for entry in list.split(',').map(str::trim).filter(|_| !list.is_empty()) {
            if entry == "*" {
                all = true;
                continue;
            }
            let (name, set) = match entry.strip_prefix('!') {
                Some(name) => (name, &mut exclude),
                None => (entry, &mut include),
            };
            let ok = !name.is_empty()
                && name.split('.').count() <= 2
                && name.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !ok {
                return Err(format!(
                    "index-events entry {entry:?} is not of the form type, type.key, !type, \
                     !type.key or *"
                ));
            }
            set.insert(name.to_string());
        }
        let include = (!all && !include.is_empty()).then_some(include);
        Ok(IndexEvents { include, exclude })
    }

    /// Sets each attribute's `index` flag by this policy.
    pub fn mark(&self, events: &mut [Event]) {
        let mut name = String::new();
        for e in events {
            let kind = e.r#type.as_str();
            let kind_in = self.include.as_ref().is_none_or(|s| s.contains(kind));
            let kind_out = self.exclude.contains(kind);
            for a in &mut e.attributes {
                // Decided by the event's type alone: no attribute name to build.
                if kind_out || (kind_in && self.exclude.is_empty()) {
                    a.index = !kind_out;
                    continue;
                }
                name.clear();
                name.push_str(kind);
                name.push('.');
                name.push_str(&a.key);
                let included = kind_in || self.include.as_ref().is_some_and(|s| s.contains(&name));
                a.index = included && !self.exclude.contains(&name);
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
    fn empty_or_star_indexes_everything_and_a_list_only_its_entries() {
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
            "!",
            "!a.b.c",
            "!!message",
        ] {
            let e = IndexEvents::parse(bad).unwrap_err();
            assert!(e.contains("is not of the form"), "{bad}: {e}");
        }
    }

    /// The events a `MsgSend` carries, as `ante` and bank emit them.
    fn msg_send_events() -> Vec<Event> {
        let mut evs = vec![
            ev("coin_spent", &["spender", "amount"]),
            ev("coin_received", &["receiver", "amount"]),
            ev("transfer", &["recipient", "sender", "amount"]),
            ev("message", &["sender"]),
            ev("tx", &["fee", "fee_payer"]),
            ev("tx", &["acc_seq"]),
            ev("tx", &["signature"]),
            ev("message", &["action", "sender", "module"]),
        ];
        evs.extend(evs[..4].to_vec());
        evs
    }

    fn indexed(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .flat_map(|e| {
                e.attributes
                    .iter()
                    .filter(|a| a.index)
                    .map(move |a| format!("{}.{}", e.r#type, a.key))
            })
            .collect()
    }

    #[test]
    fn the_default_leaves_out_only_what_repeats_the_transfer_or_names_one_tx() {
        let mut evs = msg_send_events();
        IndexEvents::default().mark(&mut evs);
        let got = indexed(&evs);
        assert_eq!(got.len(), 12, "{got:?}");
        for want in [
            "message.sender",
            "message.action",
            "message.module",
            "transfer.sender",
            "transfer.recipient",
            "transfer.amount",
            "tx.fee",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} not indexed: {got:?}");
        }
        for gone in [
            "coin_spent",
            "coin_received",
            "tx.acc_seq",
            "tx.signature",
            "tx.fee_payer",
        ] {
            assert!(
                !got.iter().any(|g| g.starts_with(gone)),
                "{gone} indexed: {got:?}"
            );
        }
        // Events the default does not name, such as IBC's and glia's own, keep every attribute.
        let mut other = vec![ev(
            "send_packet",
            &["packet_sequence", "packet_src_channel"],
        )];
        IndexEvents::default().mark(&mut other);
        assert_eq!(flags(&other), vec![vec![true, true]]);
    }

    #[test]
    fn exclusions_subtract_from_everything_or_from_a_list() {
        let mut evs = msg_send_events();
        IndexEvents::parse("!coin_spent").unwrap().mark(&mut evs);
        assert_eq!(indexed(&evs).len(), 23 - 4);
        assert_eq!(
            IndexEvents::parse("!coin_spent").unwrap(),
            IndexEvents::parse("*, !coin_spent").unwrap()
        );
        let mut evs = msg_send_events();
        IndexEvents::parse("message,!message.module,transfer.recipient")
            .unwrap()
            .mark(&mut evs);
        let got = indexed(&evs);
        assert_eq!(
            got,
            [
                "transfer.recipient",
                "message.sender",
                "message.action",
                "message.sender",
                "transfer.recipient",
                "message.sender"
            ]
        );
        assert_eq!(IndexEvents::parse(DEFAULT).unwrap(), IndexEvents::default());
        assert_ne!(IndexEvents::default(), IndexEvents::all());
    }
}
