//! Composing components: the builder checks the composition once, and the composed app routes
//! messages and queries and runs genesis and the block lifecycle in the declared order.

use super::*;

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
        let router = MsgRouter::default();
        let info = BuildInfo {
            module_accounts: self
                .components
                .iter()
                .flat_map(|c| c.module_accounts())
                .map(Address::module)
                .collect(),
            router: router.clone(),
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
        let inner = Arc::new(Inner {
            components,
            messages,
            queries,
            begin,
            end,
        });
        router
            .0
            .set(Arc::downgrade(&inner))
            .map_err(|_| "the router was bound twice".to_string())?;
        Ok(Components(inner))
    }
}

/// The composed app's message router, as components get it at build time (an interchain
/// account's host runs the messages a packet carries through it). It holds the app weakly, so
/// a component keeping it makes no reference cycle.
#[derive(Clone, Default)]
pub struct MsgRouter(Arc<std::sync::OnceLock<std::sync::Weak<Inner>>>);

impl std::fmt::Debug for MsgRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MsgRouter")
    }
}

impl MsgRouter {
    /// [`Components::dispatch`] on the app this router belongs to.
    pub fn dispatch(&self, ctx: &mut Ctx<'_>, any: &Any, signer: &Address) -> AppResult<Any> {
        let app = self
            .0
            .get()
            .and_then(std::sync::Weak::upgrade)
            .ok_or_else(|| AppError::internal("the message router is not bound to an app"))?;
        Components(app).dispatch(ctx, any, signer)
    }

    /// Whether some component handles `type_url`.
    pub fn handles(&self, type_url: &str) -> bool {
        self.0
            .get()
            .and_then(std::sync::Weak::upgrade)
            .is_some_and(|app| app.messages.contains_key(type_url))
    }
}

/// The composed app: every component, the message and query routers, the block order.
#[derive(Clone)]
pub struct Components(Arc<Inner>);

impl std::ops::Deref for Components {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What [`Components`] shares among its clones.
pub struct Inner {
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
    /// A message router bound to this app (what components get in [`BuildInfo`]).
    pub fn msg_router(&self) -> MsgRouter {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(Arc::downgrade(&self.0));
        MsgRouter(Arc::new(cell))
    }

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

    /// A message's legacy amino JSON, from the component that handles it.
    pub fn amino_json(&self, any: &Any) -> AppResult<serde_json::Value> {
        let i = *self.messages.get(&any.type_url).ok_or_else(|| {
            AppError::tx_decode(format!("unable to resolve type URL {:?}", any.type_url))
        })?;
        self.components[i].amino_json(any).unwrap_or_else(|| {
            Err(AppError::unauthorized(format!(
                "{} cannot be signed with SIGN_MODE_LEGACY_AMINO_JSON; sign it with \
                 SIGN_MODE_DIRECT",
                any.type_url
            )))
        })
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

    /// The validator-set changes of this block (after every end_block), or at genesis
    /// (height 0) the first set: what FinalizeBlock and InitChain return to CometBFT.
    pub fn validator_updates(
        &self,
        ctx: &mut Ctx<'_>,
        block: &BlockContext,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        let mut out = Vec::new();
        for c in self.iter() {
            out.extend(c.validator_updates(ctx, block)?);
        }
        Ok(out)
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
