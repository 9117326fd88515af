//! The inference component: image requests, executors, results from vote extensions.

use super::lifecycle::{self, Genesis, GenesisModel, GenesisParams};
use super::msgs::InferenceMsg;
use super::{handler, query, state, MODULE_ACCOUNT};
use crate::bank::Escrow;
use crate::component::{
    genesis_json, genesis_section, BlockContext, Component, DecodedMsg, GenesisInfo, QueryRoute,
    RestRoute, VoteExtensionPart,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;
use glia_proto::cosmos::Any;
use glia_proto::inference::v1::{ModelFamily, MsgGenerateImage, MsgRegisterExecutor};
use prost::Name;

pub const NAME: &str = "inference";

/// `glia.inference.v1`. Holds task escrows through the bank handle it is given.
pub struct Inference {
    escrow: Escrow,
}

impl Inference {
    /// The component, paying and refunding through `escrow` (its module account's handle).
    pub fn new(escrow: Escrow) -> Self {
        Inference { escrow }
    }
}

impl Default for Inference {
    /// With the escrow of its own module account.
    fn default() -> Self {
        Inference::new(Escrow::new(MODULE_ACCOUNT))
    }
}

impl Component for Inference {
    fn name(&self) -> &'static str {
        NAME
    }

    fn module_accounts(&self) -> Vec<&'static str> {
        vec![self.escrow.module()]
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        lifecycle::init_genesis(ctx, &genesis_section(NAME, section)?)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        let p = state::params(kv)?;
        let params = GenesisParams {
            max_prompt_bytes: Some(p.max_prompt_bytes),
            max_seeds: Some(p.max_seeds),
            max_replicas: Some(p.max_replicas),
            result_timeout_blocks: Some(p.result_timeout_blocks),
            max_timeout_blocks: Some(p.max_timeout_blocks),
            default_timeout_blocks: Some(p.default_timeout_blocks),
            max_vote_extension_bytes: Some(p.max_vote_extension_bytes),
            quality_recovery_bps_per_block: Some(p.quality_recovery_bps_per_block),
            max_queue_blocks: Some(p.max_queue_blocks),
            default_work_per_block: Some(p.default_work_per_block),
            executor_jail_quality_bps: Some(p.executor_jail_quality_bps),
            executor_jail_blocks: Some(p.executor_jail_blocks),
            fee_denoms: crate::coins::fee_denoms_to_genesis(&p.fee_denoms),
        };
        let models = state::models(kv)?
            .into_iter()
            .map(|m| GenesisModel {
                family: family_name(m.family).into(),
                id: m.id,
                weights_sha256: m.weights_sha256,
                phash_threshold: m.phash_threshold,
                price_per_step_megapixel: m.price_per_step_megapixel,
                max_steps: m.max_steps,
                max_width: m.max_width,
                max_height: m.max_height,
                size_multiple: Some(m.size_multiple),
                min_replicas: Some(m.min_replicas),
            })
            .collect();
        let g = Genesis {
            params: Some(params),
            models,
        };
        genesis_json(NAME, &g).map(Some)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        lifecycle::begin_block(ctx, &block.vote_extension_parts(NAME), &self.escrow)
    }

    fn end_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        lifecycle::end_block(ctx, &self.escrow)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        vec![
            MsgGenerateImage::type_url(),
            MsgRegisterExecutor::type_url(),
        ]
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        DecodedMsg::from_decoder(NAME, any, InferenceMsg::decode(any), InferenceMsg::signers)
    }

    /// `glia/MsgGenerateImage`, `glia/MsgRegisterExecutor`: what Keplr, a Ledger and cosmjs's
    /// amino signers sign (the package in proto/ts has the matching converters).
    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        use crate::rest::reflect::amino;
        if any.type_url == MsgGenerateImage::type_url() {
            return Some(amino::<MsgGenerateImage>(
                "glia/MsgGenerateImage",
                &any.value,
            ));
        }
        if any.type_url == MsgRegisterExecutor::type_url() {
            return Some(amino::<MsgRegisterExecutor>(
                "glia/MsgRegisterExecutor",
                &any.value,
            ));
        }
        None
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        handler::execute(ctx, msg.get::<InferenceMsg>()?, &self.escrow)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            // REST in the gateway's JSON, by reflection (the web page and `gliad query` read them).
            QueryRoute::new("/glia.inference.v1.Query/Task", |kv, r| query::task(kv, r))
            .with_rest(RestRoute {
                pattern: "/glia/inference/v1/tasks/:id",
                request: crate::rest::reflect::request::<glia_proto::inference::v1::QueryTaskRequest>,
                json: crate::rest::reflect::json::<glia_proto::inference::v1::QueryTaskResponse>,
            }),
            QueryRoute::new("/glia.inference.v1.Query/Tasks", |kv, r| {
                query::tasks(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/glia/inference/v1/tasks",
                request: crate::rest::reflect::request::<glia_proto::inference::v1::QueryTasksRequest>,
                json: crate::rest::reflect::json::<glia_proto::inference::v1::QueryTasksResponse>,
            }),
            QueryRoute::new("/glia.inference.v1.Query/Executors", |kv, r| {
                query::executors(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/glia/inference/v1/executors",
                request: crate::rest::reflect::request::<glia_proto::inference::v1::QueryExecutorsRequest>,
                json: crate::rest::reflect::json::<glia_proto::inference::v1::QueryExecutorsResponse>,
            }),
            QueryRoute::new("/glia.inference.v1.Query/Models", |kv, r| {
                query::models(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/glia/inference/v1/models",
                request: crate::rest::reflect::request::<glia_proto::inference::v1::QueryModelsRequest>,
                json: crate::rest::reflect::json::<glia_proto::inference::v1::QueryModelsResponse>,
            }),
            QueryRoute::new("/glia.inference.v1.Query/Params", |kv, r| {
                query::params(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/glia/inference/v1/params",
                request: crate::rest::reflect::request::<glia_proto::inference::v1::QueryParamsRequest>,
                json: crate::rest::reflect::json::<glia_proto::inference::v1::QueryParamsResponse>,
            }),
        ]
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        lifecycle::check_invariants(ctx, &self.escrow)
    }

    fn vote_extension(&self) -> Option<&dyn VoteExtensionPart> {
        Some(self)
    }
}

impl VoteExtensionPart for Inference {
    fn max_bytes(&self, kv: &mut ReadOnly<'_>) -> usize {
        state::params(kv).map_or(lifecycle::MAX_VOTE_EXTENSION_BYTES, |p| {
            p.max_vote_extension_bytes as usize
        })
    }

    fn verify(&self, bytes: &[u8], max_bytes: usize) -> AppResult<()> {
        lifecycle::check_vote_extension(bytes, max_bytes).map(|_| ())
    }
}

/// The genesis name of a model family (`family_from_str` reads it back).
fn family_name(family: i32) -> &'static str {
    match ModelFamily::try_from(family) {
        Ok(ModelFamily::Sd15) => "sd-1.5",
        Ok(ModelFamily::Sd21) => "sd-2.1",
        Ok(ModelFamily::SdxlTurbo) => "sdxl-turbo",
        _ => "tiny",
    }
}
