//! This node's CometBFT, asked for its node info (`GetNodeInfo`).

use glia_client::rpc::Rpc;
use serde_json::{json, Value};

fn num(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// This node's CometBFT as a [`NodeSource`]: its `/status` node info, asked once it answers
/// (node info does not change while the node runs).
pub struct CometNode {
    rpc: Rpc,
    cached: std::sync::OnceLock<tendermint_proto::p2p::DefaultNodeInfo>,
}

impl CometNode {
    pub fn new(url: &str) -> CometNode {
        CometNode {
            rpc: Rpc::new(url),
            cached: Default::default(),
        }
    }

    fn fetch(&self) -> anyhow::Result<tendermint_proto::p2p::DefaultNodeInfo> {
        use tendermint_proto::p2p::{DefaultNodeInfo, DefaultNodeInfoOther, ProtocolVersion};
        let n = self.rpc.call("status", json!({}))?["node_info"].clone();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let p = &n["protocol_version"];
        Ok(DefaultNodeInfo {
            protocol_version: Some(ProtocolVersion {
                p2p: num(&p["p2p"]),
                block: num(&p["block"]),
                app: num(&p["app"]),
            }),
            default_node_id: text(&n["id"]),
            listen_addr: text(&n["listen_addr"]),
            network: text(&n["network"]),
            version: text(&n["version"]),
            channels: hex::decode(text(&n["channels"])).unwrap_or_default(),
            moniker: text(&n["moniker"]),
            other: Some(DefaultNodeInfoOther {
                tx_index: text(&n["other"]["tx_index"]),
                rpc_address: text(&n["other"]["rpc_address"]),
            }),
        })
    }
}

impl glia_modules::component::NodeSource for CometNode {
    fn node_info(&self) -> Option<tendermint_proto::p2p::DefaultNodeInfo> {
        if let Some(n) = self.cached.get() {
            return Some(n.clone());
        }
        match self.fetch() {
            Ok(n) if !n.network.is_empty() => Some(self.cached.get_or_init(|| n).clone()),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!("node info from CometBFT: {e:#}");
                None
            }
        }
    }
}
