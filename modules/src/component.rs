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
    /// Whether its signature is in the commit (absent and nil votes are not).
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

    /// Checks what must hold after every block (tests and `--check-invariants`).
    fn check_invariants(&self, _ctx: &mut Ctx<'_>) -> AppResult<()> {
        Ok(())
    }

    fn vote_extension(&self) -> Option<&dyn VoteExtensionPart> {
        None
    }
}

/// Composes components: `AppBuilder::new().with(a).with(b).begin_order(..).build()`.
#[derive(Default)]
pub struct AppBuilder {
    components: Vec<Box<dyn Component>>,
    begin: Option<Vec<&'static str>>,
    end: Option<Vec<&'static str>>,
}

impl AppBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a component. Genesis runs in the order components are added.
    pub fn with(mut self, c: impl Component + 'static) -> Self {
        self.components.push(Box::new(c));
        self
    }

    /// The components whose begin_block runs, in order (default: all, in added order).
    pub fn begin_order(mut self, names: &[&'static str]) -> Self {
        self.begin = Some(names.to_vec());
        self
    }

    /// The components whose end_block runs, in order (default: all, in added order).
    pub fn end_order(mut self, names: &[&'static str]) -> Self {
        self.end = Some(names.to_vec());
        self
    }

    /// Checks the composition (unique names, type URLs and query paths; known names in the
    /// orders) and builds the router. A mistake here is the app's, found at start-up.
    pub fn build(mut self) -> Result<Components, String> {
        let info = BuildInfo {
            module_accounts: self
                .components
                .iter()
                .flat_map(|c| c.module_accounts())
                .map(Address::module)
                .collect(),
        };
        for c in &mut self.components {
            c.on_build(&info);
        }
        let components: Vec<Arc<dyn Component>> =
            self.components.into_iter().map(Arc::from).collect();
        let index = |name: &str| {
            components
                .iter()
                .position(|c| c.name() == name)
                .ok_or_else(|| format!("no component named {name:?}"))
        };
        let mut names = std::collections::BTreeSet::new();
        let mut messages = BTreeMap::new();
        let mut queries = BTreeMap::new();
        for (i, c) in components.iter().enumerate() {
            if !names.insert(c.name()) {
                return Err(format!("two components are named {:?}", c.name()));
            }
            for url in c.msg_type_urls() {
                if messages.insert(url.clone(), i).is_some() {
                    return Err(format!("two components handle {url}"));
                }
            }
            for q in c.queries() {
                if queries.insert(q.path, q).is_some() {
                    return Err("two components serve one query path".into());
                }
            }
        }
        let order = |o: Option<Vec<&'static str>>| -> Result<Vec<usize>, String> {
            match o {
                Some(names) => names.iter().map(|n| index(n)).collect(),
                None => Ok((0..components.len()).collect()),
            }
        };
        let begin = order(self.begin)?;
        let end = order(self.end)?;
        Ok(Components {
            components,
            messages,
            queries,
            begin,
            end,
        })
    }
}

/// The composed app: every component, the message and query routers, the block order.
#[derive(Clone)]
pub struct Components {
    components: Vec<Arc<dyn Component>>,
    messages: BTreeMap<String, usize>,
    queries: BTreeMap<&'static str, QueryRoute>,
    begin: Vec<usize>,
    end: Vec<usize>,
}

/// A message with the component it is routed to.
#[derive(Clone)]
pub struct RoutedMsg {
    component: Arc<dyn Component>,
    pub msg: DecodedMsg,
}

impl RoutedMsg {
    /// The `message.module` of this message.
    pub fn module(&self) -> &'static str {
        self.component.name()
    }

    pub fn signers(&self) -> &[Address] {
        &self.msg.signers
    }

    pub fn execute(&self, ctx: &mut Ctx<'_>) -> AppResult<Any> {
        self.component.execute_msg(ctx, &self.msg)
    }
}

impl std::fmt::Debug for RoutedMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RoutedMsg({})", self.module())
    }
}

impl Components {
    pub fn iter(&self) -> impl Iterator<Item = &dyn Component> {
        self.components.iter().map(|c| c.as_ref())
    }

    pub fn get(&self, name: &str) -> Option<&dyn Component> {
        self.iter().find(|c| c.name() == name)
    }

    /// Decodes and checks a message; an unknown type URL is a decode error, as in the SDK.
    pub fn decode(&self, any: &Any) -> AppResult<RoutedMsg> {
        let i = *self.messages.get(&any.type_url).ok_or_else(|| {
            AppError::tx_decode(format!("unable to resolve type URL {:?}", any.type_url))
        })?;
        let component = Arc::clone(&self.components[i]);
        let msg = component.decode_msg(any)?;
        Ok(RoutedMsg { component, msg })
    }

    /// Runs one message as `signer`, atomically: the router other code calls (an interchain
    /// account's host runs the messages a packet carries this way). The message must name
    /// `signer` as its only signer; nothing else about authentication is checked here.
    pub fn dispatch(&self, ctx: &mut Ctx<'_>, any: &Any, signer: &Address) -> AppResult<Any> {
        let m = self.decode(any)?;
        if m.signers() != std::slice::from_ref(signer) {
            return Err(AppError::unauthorized(format!(
                "{} must be signed by {signer} alone, but its signers are {:?}",
                any.type_url,
                m.signers()
                    .iter()
                    .map(Address::to_bech32)
                    .collect::<Vec<_>>()
            )));
        }
        ctx.atomic(|c| m.execute(c))
    }

    /// Answers a query against one version of state; `None` if no component serves `path`.
    pub fn query(&self, view: &dyn KvRead, path: &str, data: &[u8]) -> Option<AppResult<Vec<u8>>> {
        let route = self.queries.get(path)?;
        Some((route.handler)(&mut ReadOnly(view), data))
    }

    /// Every query route (the REST server registers those with a REST pattern).
    pub fn query_routes(&self) -> impl Iterator<Item = &QueryRoute> {
        self.queries.values()
    }

    /// Genesis of every component, in the order they were added. `sections` is `app_state`
    /// by component name; a section no component reads is an error.
    pub fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        info: &GenesisInfo<'_>,
        sections: &serde_json::Map<String, serde_json::Value>,
    ) -> AppResult<()> {
        if let Some(k) = sections.keys().find(|k| self.get(k).is_none()) {
            return Err(AppError::invalid_request(format!(
                "app_state has a section {k:?} that no component reads"
            )));
        }
        for c in self.iter() {
            c.init_genesis(ctx, info, sections.get(c.name()))?;
        }
        Ok(())
    }

    /// Each component's section of `app_state`, for the current state.
    pub fn export_genesis(
        &self,
        view: &dyn KvRead,
    ) -> AppResult<serde_json::Map<String, serde_json::Value>> {
        let mut out = serde_json::Map::new();
        for c in self.iter() {
            if let Some(v) = c.export_genesis(&mut ReadOnly(view))? {
                out.insert(c.name().to_string(), v);
            }
        }
        Ok(out)
    }

    pub fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        for &i in &self.begin {
            self.components[i].begin_block(ctx, block)?;
        }
        Ok(())
    }

    pub fn end_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        for &i in &self.end {
            self.components[i].end_block(ctx, block)?;
        }
        Ok(())
    }

    pub fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        for c in self.iter() {
            c.check_invariants(ctx)?;
        }
        Ok(())
    }

    /// The most bytes a vote extension may carry: every component's part at its limit, with
    /// the envelope's framing.
    pub fn max_vote_extension_bytes(&self, kv: &mut ReadOnly<'_>) -> usize {
        self.iter()
            .filter_map(|c| Some((c.name(), c.vote_extension()?)))
            .map(|(name, p)| {
                // A part: its tag and length, the name field, the data field.
                let data = p.max_bytes(kv);
                let inner = name
                    .len()
                    .saturating_add(data)
                    .saturating_add(2 * MAX_FRAMING);
                inner.saturating_add(MAX_FRAMING)
            })
            .fold(0, usize::saturating_add)
    }

    /// Verifies a vote extension (VerifyVoteExtension): an envelope within the byte bound,
    /// each part once, named by a component that extends votes, and accepted by it.
    pub fn verify_vote_extension(&self, bytes: &[u8], kv: &mut ReadOnly<'_>) -> AppResult<()> {
        let max = self.max_vote_extension_bytes(kv);
        if bytes.len() > max {
            return Err(AppError::invalid_request(format!(
                "vote extension of {} bytes exceeds {max}",
                bytes.len()
            )));
        }
        let envelope = VoteExtension::decode(bytes).map_err(|e| {
            AppError::invalid_request(format!("vote extension does not decode: {e}"))
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for part in &envelope.parts {
            if !seen.insert(part.component.as_str()) {
                return Err(AppError::invalid_request(format!(
                    "vote extension has two {:?} parts",
                    part.component
                )));
            }
            let verifier = self
                .get(&part.component)
                .and_then(|c| c.vote_extension())
                .ok_or_else(|| {
                    AppError::invalid_request(format!(
                        "vote extension part for {:?}, which extends no votes",
                        part.component
                    ))
                })?;
            verifier.verify(&part.data, verifier.max_bytes(kv))?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemStore;
    use glia_proto::abci::v1::{BeaconShare, VoteExtensionPart};

    fn app() -> Components {
        AppBuilder::new()
            .with(crate::beacon::component::Beacon)
            .with(crate::inference::component::Inference)
            .with(crate::neuro::component::Neuro)
            .build()
            .unwrap()
    }

    fn part(component: &str, data: Vec<u8>) -> VoteExtensionPart {
        VoteExtensionPart {
            component: component.into(),
            data,
        }
    }

    /// VerifyVoteExtension takes an envelope of known parts, each once and each accepted by
    /// its component, and refuses anything else with the reason.
    #[test]
    fn attack_vote_extensions_are_envelopes_of_known_parts() {
        let app = app();
        let store = MemStore::default();
        let kv = &mut ReadOnly(&store);
        let share = |n: usize| BeaconShare { value: vec![7; n] }.encode_to_vec();
        let results = glia_proto::inference::v1::VoteExtension::default().encode_to_vec();
        let envelope = |parts| VoteExtension { parts }.encode_to_vec();
        let ok = envelope(vec![
            part("beacon", share(32)),
            part("inference", results.clone()),
        ]);
        app.verify_vote_extension(&ok, kv).unwrap();
        app.verify_vote_extension(&envelope(vec![]), kv).unwrap();
        let mut refused = |bytes: Vec<u8>| app.verify_vote_extension(&bytes, kv).unwrap_err().log;
        assert!(refused(envelope(vec![part("beacon", share(31))])).contains("31 bytes, not 32"));
        assert!(refused(envelope(vec![part("neuro", vec![])])).contains("extends no votes"));
        assert!(refused(envelope(vec![part("bank", vec![])])).contains("extends no votes"));
        let twice = envelope(vec![part("beacon", share(32)), part("beacon", share(32))]);
        assert!(refused(twice).contains("two \"beacon\" parts"));
        assert!(refused(vec![0xff; 8]).contains("does not decode"));
        let huge = envelope(vec![part("inference", vec![0; 1 << 20])]);
        assert!(refused(huge).contains("exceeds"));
        // Each component sees only its own part.
        let block = BlockContext {
            vote_extensions: vec![("AB".into(), ok)],
            ..Default::default()
        };
        assert_eq!(
            block.vote_extension_parts("beacon"),
            vec![("AB".to_string(), share(32))]
        );
        assert!(block.vote_extension_parts("neuro").is_empty());
    }

    /// A composition with two components of one name, or two handlers of one message, is the
    /// app's mistake and is refused at build time.
    #[test]
    fn the_builder_refuses_an_ambiguous_composition() {
        let e = AppBuilder::new()
            .with(crate::neuro::component::Neuro)
            .with(crate::neuro::component::Neuro)
            .build()
            .err()
            .unwrap();
        assert!(e.contains("two components are named \"neuro\""), "{e}");
        let e = AppBuilder::new()
            .with(crate::neuro::component::Neuro)
            .begin_order(&["nobody"])
            .build()
            .err()
            .unwrap();
        assert!(e.contains("no component named \"nobody\""), "{e}");
    }
}
