//! The neuro component: neuromorphic jobs, committed and revealed solutions, settlement.

use super::lifecycle::{self, Genesis, GenesisParams};
use super::msgs::NeuroMsg;
use super::{handler, query, state, MODULE_ACCOUNT};
use crate::bank::Escrow;
use crate::component::{
    genesis_json, genesis_section, BlockContext, Component, DecodedMsg, GenesisInfo, QueryRoute,
    RestRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;
use glia_proto::cosmos::Any;
use glia_proto::neuro::v1::{
    MsgCancelJob, MsgCommitSolution, MsgReviewJob, MsgSubmitJob, MsgSubmitSolution,
};
use prost::Name;

pub const NAME: &str = "neuro";

/// `glia.neuro.v1`. Holds job escrows through the bank handle it is given.
pub struct Neuro {
    escrow: Escrow,
}

impl Neuro {
    /// The component, paying and refunding through `escrow` (its module account's handle).
    pub fn new(escrow: Escrow) -> Self {
        Neuro { escrow }
    }
}

impl Default for Neuro {
    /// With the escrow of its own module account.
    fn default() -> Self {
        Neuro::new(Escrow::new(MODULE_ACCOUNT))
    }
}

impl Component for Neuro {
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
            max_problem_bytes: Some(p.max_problem_bytes),
            max_vars: Some(p.max_vars),
            max_clauses: Some(p.max_clauses),
            max_blocks: Some(p.max_blocks),
            review_size_threshold: Some(p.review_size_threshold),
            committee: Some(p.committee),
            quorum: Some(p.quorum),
            review_timeout_blocks: Some(p.review_timeout_blocks),
            verify_gas_per_unit: Some(p.verify_gas_per_unit),
            reveal_blocks: Some(p.reveal_blocks),
            fee_denoms: crate::coins::fee_denoms_to_genesis(&p.fee_denoms),
        };
        genesis_json(
            NAME,
            &Genesis {
                params: Some(params),
            },
        )
        .map(Some)
    }

    fn end_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        lifecycle::end_block(ctx, &self.escrow)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        vec![
            MsgSubmitJob::type_url(),
            MsgCommitSolution::type_url(),
            MsgSubmitSolution::type_url(),
            MsgCancelJob::type_url(),
            MsgReviewJob::type_url(),
        ]
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        DecodedMsg::from_decoder(NAME, any, NeuroMsg::decode(any), NeuroMsg::signers)
    }

    /// `glia/MsgSubmitJob`, `glia/MsgCommitSolution`, `glia/MsgSubmitSolution`,
    /// `glia/MsgCancelJob`, `glia/MsgReviewJob`: what Keplr, a Ledger and cosmjs's amino
    /// signers sign (the package in proto/ts has the matching converters).
    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        use crate::rest::reflect::amino;
        let t = any.type_url.as_str();
        Some(if t == MsgSubmitJob::type_url() {
            amino::<MsgSubmitJob>("glia/MsgSubmitJob", &any.value)
        } else if t == MsgCommitSolution::type_url() {
            amino::<MsgCommitSolution>("glia/MsgCommitSolution", &any.value)
        } else if t == MsgSubmitSolution::type_url() {
            amino::<MsgSubmitSolution>("glia/MsgSubmitSolution", &any.value)
        } else if t == MsgCancelJob::type_url() {
            amino::<MsgCancelJob>("glia/MsgCancelJob", &any.value)
        } else if t == MsgReviewJob::type_url() {
            amino::<MsgReviewJob>("glia/MsgReviewJob", &any.value)
        } else {
            return None;
        })
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        handler::execute(ctx, msg.get::<NeuroMsg>()?, &self.escrow)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            // REST in the gateway's JSON, by reflection (the web page and `gliad query` read them).
            QueryRoute::new("/glia.neuro.v1.Query/Job", |kv, r| query::job(kv, r))
            .with_rest(RestRoute {
                pattern: "/glia/neuro/v1/jobs/:id",
                request: crate::rest::reflect::request::<glia_proto::neuro::v1::QueryJobRequest>,
                json: crate::rest::reflect::json::<glia_proto::neuro::v1::QueryJobResponse>,
            }),
            QueryRoute::new("/glia.neuro.v1.Query/Jobs", |kv, r| query::jobs(kv, r))
            .with_rest(RestRoute {
                pattern: "/glia/neuro/v1/jobs",
                request: crate::rest::reflect::request::<glia_proto::neuro::v1::QueryJobsRequest>,
                json: crate::rest::reflect::json::<glia_proto::neuro::v1::QueryJobsResponse>,
            }),
            QueryRoute::new("/glia.neuro.v1.Query/Solutions", |kv, r| {
                query::solutions(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/glia/neuro/v1/jobs/:job_id/solutions",
                request: crate::rest::reflect::request::<glia_proto::neuro::v1::QuerySolutionsRequest>,
                json: crate::rest::reflect::json::<glia_proto::neuro::v1::QuerySolutionsResponse>,
            }),
            QueryRoute::new("/glia.neuro.v1.Query/Params", |kv, r| query::params(kv, r))
            .with_rest(RestRoute {
                pattern: "/glia/neuro/v1/params",
                request: crate::rest::reflect::request::<glia_proto::neuro::v1::QueryParamsRequest>,
                json: crate::rest::reflect::json::<glia_proto::neuro::v1::QueryParamsResponse>,
            }),
        ]
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        lifecycle::check_invariants(ctx, &self.escrow)
    }
}
