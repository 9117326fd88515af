//! The tendermint component: `GetNodeInfo` over ABCI, gRPC and REST. It keeps no state; what
//! it answers comes from handles the app gives it at build time.

use crate::component::{Component, NodeSource, QueryRoute, RestRoute};
use crate::context::ReadOnly;
use crate::error::{AppError, AppResult};
use base64::Engine;
use glia_proto::cosmos::cosmos::base::tendermint::v1beta1::{
    GetNodeInfoRequest, GetNodeInfoResponse, Module, VersionInfo,
};
use prost::Message;
use serde_json::json;
use std::sync::Arc;
use tendermint_proto::p2p::{DefaultNodeInfo, ProtocolVersion};

pub const NAME: &str = "tendermint";

/// The CometBFT release the project pins (`COMETBFT_VERSION` in `localnet/lib.sh`).
pub const COMETBFT_VERSION: &str = "0.38.26";

/// Reads the chain id from state: the app owns where it is kept.
pub type ChainIdReader = fn(&mut ReadOnly<'_>) -> AppResult<String>;

pub struct Tendermint {
    chain_id: ChainIdReader,
    node: Arc<dyn NodeSource>,
    /// The application's name and version (`gliad`, its crate version).
    app_name: &'static str,
    version: &'static str,
}

impl Tendermint {
    pub fn new(
        chain_id: ChainIdReader,
        node: Arc<dyn NodeSource>,
        app_name: &'static str,
        version: &'static str,
    ) -> Self {
        Tendermint {
            chain_id,
            node,
            app_name,
            version,
        }
    }

    fn node_info(&self, kv: &mut ReadOnly<'_>) -> AppResult<GetNodeInfoResponse> {
        let node = match self.node.node_info() {
            Some(n) => n,
            None => DefaultNodeInfo {
                protocol_version: Some(ProtocolVersion {
                    p2p: 8,
                    block: 11,
                    app: 1,
                }),
                network: (self.chain_id)(kv)?,
                version: COMETBFT_VERSION.into(),
                ..Default::default()
            },
        };
        Ok(GetNodeInfoResponse {
            default_node_info: Some(node),
            application_version: Some(VersionInfo {
                name: "glia".into(),
                app_name: self.app_name.into(),
                version: self.version.into(),
                build_deps: vec![Module {
                    path: "github.com/cometbft/cometbft".into(),
                    version: format!("v{COMETBFT_VERSION}"),
                    sum: String::new(),
                }],
                ..Default::default()
            }),
        })
    }
}

impl Component for Tendermint {
    fn name(&self) -> &'static str {
        NAME
    }

    fn queries(&self) -> Vec<QueryRoute> {
        let this = Tendermint {
            chain_id: self.chain_id,
            node: Arc::clone(&self.node),
            app_name: self.app_name,
            version: self.version,
        };
        vec![QueryRoute::new(
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
            move |kv, _: GetNodeInfoRequest| this.node_info(kv),
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/base/tendermint/v1beta1/node_info",
            request: |_| Ok(GetNodeInfoRequest {}.encode_to_vec()),
            json: node_info_json,
        })]
    }
}

/// grpc-gateway's JSON for `GetNodeInfoResponse` (64-bit numbers as strings, bytes base64).
fn node_info_json(bytes: &[u8]) -> AppResult<serde_json::Value> {
    let r = GetNodeInfoResponse::decode(bytes)
        .map_err(|e| AppError::internal(format!("GetNodeInfoResponse: {e}")))?;
    let n = r.default_node_info.unwrap_or_default();
    let p = n.protocol_version.unwrap_or_default();
    let other = n.other.unwrap_or_default();
    let v = r.application_version.unwrap_or_default();
    Ok(json!({
        "default_node_info": {
            "protocol_version": {
                "p2p": p.p2p.to_string(), "block": p.block.to_string(), "app": p.app.to_string(),
            },
            "default_node_id": n.default_node_id,
            "listen_addr": n.listen_addr,
            "network": n.network,
            "version": n.version,
            "channels": base64::engine::general_purpose::STANDARD.encode(&n.channels),
            "moniker": n.moniker,
            "other": {"tx_index": other.tx_index, "rpc_address": other.rpc_address},
        },
        "application_version": {
            "name": v.name,
            "app_name": v.app_name,
            "version": v.version,
            "git_commit": v.git_commit,
            "build_tags": v.build_tags,
            "go_version": v.go_version,
            "build_deps": v.build_deps.iter()
                .map(|m| json!({"path": m.path, "version": m.version, "sum": m.sum}))
                .collect::<Vec<_>>(),
            "cosmos_sdk_version": v.cosmos_sdk_version,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pinned version named in answers is the one the localnet installs.
    #[test]
    fn the_cometbft_version_is_the_pinned_one() {
        let lib = include_str!("../../../localnet/lib.sh");
        let pin = format!("\nCOMETBFT_VERSION={COMETBFT_VERSION}\n");
        assert!(
            lib.contains(&pin),
            "localnet/lib.sh pins another CometBFT than {COMETBFT_VERSION}"
        );
    }
}
