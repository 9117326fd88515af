//! What a module is. Every module is a [`Component`]: a name that is at once its key prefix,
//! its codespace and the `message.module` of its messages; genesis in and out; begin and end
//! of block; messages routed by type URL; queries served alike over ABCI, gRPC and REST; the
//! module accounts it owns; its invariants; and, optionally, a part of every vote extension.
//!
//! The app lists its components once, in an [`AppBuilder`], and gets a [`Components`]: the
//! router for messages and queries, and the block lifecycle in the declared order. Adding a
//! module is its folder plus one line in that list (`app/src/components.rs`).

use crate::address::Address;
use crate::context::{BlockInfo, Ctx, ReadOnly};
use crate::error::{AppError, AppResult};
use crate::store::KvRead;
use glia_proto::abci::v1::VoteExtension;
use glia_proto::cosmos::Any;
use prost::Message;

/// The most bytes a protobuf field's tag and length take around a part's field (the
/// lengths vote extensions allow fit in three bytes; one for the tag).
const MAX_FRAMING: usize = 4;
use std::collections::BTreeMap;
use std::sync::Arc;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

/// One validator's vote in the last commit (from FinalizeBlock's `decided_last_commit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitVote {
    /// Consensus address, hex, upper case.
    pub validator: String,
    pub power: i64,
    /// Whether it voted (for the block or nil), as the SDK counts liveness; an absent vote
    /// is a missed block.
    pub signed: bool,
}

/// What kind of misbehaviour CometBFT reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MisbehaviourKind {
    DuplicateVote,
    LightClientAttack,
    Unknown,
}

/// Evidence of misbehaviour committed in the block (FinalizeBlock's `misbehavior`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misbehaviour {
    pub kind: MisbehaviourKind,
    /// Consensus address, hex, upper case.
    pub validator: String,
    pub power: i64,
    /// Height and time of the offence.
    pub height: u64,
    pub time_unix: i64,
    pub total_voting_power: i64,
}

/// What begin and end of block see beyond state: the block itself, the last commit's votes,
/// the misbehaviour list, and the last commit's vote extensions (checked and signed).
#[derive(Clone, Debug, Default)]
pub struct BlockContext {
    pub info: BlockInfo,
    pub last_commit: Vec<CommitVote>,
    pub misbehaviour: Vec<Misbehaviour>,
    /// Each validator's (hex) vote extension from the last commit, in commit order; empty
    /// where the block carries none.
    pub vote_extensions: Vec<(String, Vec<u8>)>,
}

impl BlockContext {
    /// Component `name`'s part of each last-commit vote's extension, as (validator hex, part
    /// bytes), in commit order. An extension that is not an envelope has no parts (the
    /// signed extensions were verified when voted; this only skips what cannot be read).
    pub fn vote_extension_parts(&self, name: &str) -> Vec<(String, Vec<u8>)> {
        self.vote_extensions
            .iter()
            .filter_map(|(validator, bytes)| {
                let envelope = VoteExtension::decode(bytes.as_slice()).ok()?;
                let part = envelope.parts.into_iter().find(|p| p.component == name)?;
                Some((validator.clone(), part.data))
            })
            .collect()
    }
}

/// What InitChain says beyond a component's own section of `app_state`.
#[derive(Clone, Debug, Default)]
pub struct GenesisInfo<'a> {
    pub chain_id: &'a str,
    pub validators: &'a [ValidatorUpdate],
}

/// A message decoded and checked statelessly by its component.
#[derive(Clone)]
pub struct DecodedMsg {
    /// The addresses that must sign, in order.
    pub signers: Vec<Address>,
    msg: Arc<dyn std::any::Any + Send + Sync>,
}

impl DecodedMsg {
    pub fn new<M: Send + Sync + 'static>(msg: M, signers: Vec<Address>) -> Self {
        DecodedMsg {
            signers,
            msg: Arc::new(msg),
        }
    }

    /// A component's own message, from its decoder's answer (`None`: not one of its types,
    /// which the router never sends it), with the addresses that must sign it.
    pub fn from_decoder<M: Send + Sync + 'static>(
        component: &str,
        any: &Any,
        decoded: Option<AppResult<M>>,
        signers: impl FnOnce(&M) -> Vec<Address>,
    ) -> AppResult<Self> {
        let m = decoded.ok_or_else(|| {
            AppError::tx_decode(format!("{component} has no message {:?}", any.type_url))
        })??;
        let signers = signers(&m);
        Ok(DecodedMsg::new(m, signers))
    }

    /// The component's own message type; an internal error if another component's.
    pub fn get<M: 'static>(&self) -> AppResult<&M> {
        self.msg.downcast_ref::<M>().ok_or_else(|| {
            AppError::internal(format!(
                "a message routed to the wrong component (expected {})",
                std::any::type_name::<M>()
            ))
        })
    }
}

/// Answers one query path: protobuf request bytes in, protobuf response bytes out.
pub type QueryHandler = Arc<dyn Fn(&mut ReadOnly<'_>, &[u8]) -> AppResult<Vec<u8>> + Send + Sync>;

/// How a query is served over REST (grpc-gateway's paths): a GET pattern in axum's syntax
/// (`/cosmos/bank/v1beta1/balances/{address}`), how path and query parameters make the
/// protobuf request, and how the response becomes grpc-gateway JSON.
#[derive(Clone)]
pub struct RestRoute {
    pub pattern: &'static str,
    pub request: fn(&BTreeMap<String, String>) -> AppResult<Vec<u8>>,
    pub json: fn(&[u8]) -> AppResult<serde_json::Value>,
}

/// One query path (`/<package.Service>/<Method>`) and its handler.
#[derive(Clone)]
pub struct QueryRoute {
    pub path: &'static str,
    pub handler: QueryHandler,
    pub rest: Option<RestRoute>,
}

impl QueryRoute {
    /// A route whose handler takes and returns typed messages.
    pub fn new<Req, Resp, F>(path: &'static str, f: F) -> QueryRoute
    where
        Req: Message + Default,
        Resp: Message,
        F: Fn(&mut ReadOnly<'_>, Req) -> AppResult<Resp> + Send + Sync + 'static,
    {
        QueryRoute {
            path,
            handler: Arc::new(move |kv, data| {
                let req = Req::decode(data).map_err(|e| {
                    AppError::invalid_request(format!("cannot decode the request: {e}"))
                })?;
                Ok(f(kv, req)?.encode_to_vec())
            }),
            rest: None,
        }
    }

    /// The same route, also served over REST.
    pub fn with_rest(mut self, rest: RestRoute) -> QueryRoute {
        self.rest = Some(rest);
        self
    }
}

/// A component's part of every vote extension: its shape check (VerifyVoteExtension) and its
/// byte budget. The part is produced by the node (what it computed off-chain) and applied in
/// the component's begin_block from [`BlockContext::vote_extensions`].
pub trait VoteExtensionPart: Send + Sync {
    /// The most bytes an extension may carry, from the component's params.
    fn max_bytes(&self, kv: &mut ReadOnly<'_>) -> usize;
    /// Refuses an extension a correct validator would not sign.
    fn verify(&self, bytes: &[u8], max_bytes: usize) -> AppResult<()>;
}

/// What the node knows of itself and state does not hold: its CometBFT node's info (`None`
/// while it cannot be asked, as in-process tests).
pub trait NodeSource: Send + Sync {
    fn node_info(&self) -> Option<tendermint_proto::p2p::DefaultNodeInfo>;
}

/// A node with no CometBFT to ask.
pub struct NoNode;

impl NodeSource for NoNode {
    fn node_info(&self) -> Option<tendermint_proto::p2p::DefaultNodeInfo> {
        None
    }
}

/// What the app tells each component once everything is composed.
#[derive(Clone, Debug, Default)]
pub struct BuildInfo {
    /// Every component's module accounts: no user message may send to them.
    pub module_accounts: Vec<Address>,
    /// The app's message router.
    pub router: MsgRouter,
}

/// A module. Every method but `name` has a default that does nothing, so a component states
/// only what it does.
pub trait Component: Send + Sync {
    /// Key prefix (`name/…`), codespace of its own errors and `message.module`.
    fn name(&self) -> &'static str;

    /// Module accounts this component holds funds in.
    fn module_accounts(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Called once by [`AppBuilder::build`] with what only the whole app knows.
    fn on_build(&mut self, _app: &BuildInfo) {}

    /// Writes the genesis state from the component's section of `app_state` (absent: defaults).
    fn init_genesis(
        &self,
        _ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        _section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        Ok(())
    }

    /// The section of `app_state` that [`Component::init_genesis`] reads back to this state
    /// (`None`: the component keeps nothing a genesis sets).
    fn export_genesis(&self, _kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        Ok(None)
    }

    fn begin_block(&self, _ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        Ok(())
    }

    fn end_block(&self, _ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        Ok(())
    }

    /// Changes to CometBFT's validator set, asked after every component's end_block; at
    /// genesis (`block.info.height` 0) the first set. Only the component that keeps the
    /// validator set returns any.
    fn validator_updates(
        &self,
        _ctx: &mut Ctx<'_>,
        _block: &BlockContext,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        Ok(Vec::new())
    }

    /// Type URLs of the messages it handles.
    fn msg_type_urls(&self) -> Vec<String> {
        Vec::new()
    }

    /// Decodes and checks one of its messages statelessly.
    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        Err(AppError::tx_decode(format!(
            "{} handles no message {:?}",
            self.name(),
            any.type_url
        )))
    }

    /// Executes one of its messages, returning the response (`Any`) for TxMsgData.
    fn execute_msg(&self, _ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        let _ = msg;
        Err(AppError::internal(format!(
            "{} executes no message",
            self.name()
        )))
    }

    fn queries(&self) -> Vec<QueryRoute> {
        Vec::new()
    }

    /// One of its messages as legacy amino JSON (`{"type": "cosmos-sdk/MsgSend", "value":
    /// {...}}`), for txs signed with SIGN_MODE_LEGACY_AMINO_JSON, as Keplr's built-in screens
    /// sign them; `None` for a message with no amino form.
    fn amino_json(&self, _any: &Any) -> Option<AppResult<serde_json::Value>> {
        None
    }

    /// Checks what must hold after every block (tests and `--check-invariants`).
    fn check_invariants(&self, _ctx: &mut Ctx<'_>) -> AppResult<()> {
        Ok(())
    }

    fn vote_extension(&self) -> Option<&dyn VoteExtensionPart> {
        None
    }
}

/// Parses a component's genesis section (absent: the type's default).
pub fn genesis_section<T: serde::de::DeserializeOwned + Default>(
    name: &str,
    section: Option<&serde_json::Value>,
) -> AppResult<T> {
    match section {
        None => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| AppError::invalid_request(format!("app_state.{name} is not valid: {e}"))),
    }
}

/// A genesis section as JSON.
pub fn genesis_json<T: serde::Serialize>(name: &str, g: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(g)
        .map_err(|e| AppError::internal(format!("exporting app_state.{name}: {e}")))
}

mod builder;
pub use builder::{AppBuilder, Components, MsgRouter, RoutedMsg};

#[cfg(test)]
mod tests;
