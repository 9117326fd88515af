//! The staking component: its params, and so far the validator set CometBFT starts with.

use super::{lifecycle, query, state};
use crate::component::{
    genesis_json, genesis_section, Component, GenesisInfo, QueryRoute, RestRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;
use glia_proto::cosmos::cosmos::staking::v1beta1::QueryParamsRequest;
use prost::Message;

pub const NAME: &str = "staking";

/// The validator set from InitChain; bonding, delegation and slashing come later.
pub struct Staking;

impl Component for Staking {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        let g: lifecycle::Genesis = genesis_section(NAME, section)?;
        state::set_params(ctx, &lifecycle::params_from(&g)?)?;
        lifecycle::init_genesis(ctx, info.validators)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        genesis_json(NAME, &lifecycle::export(&state::params(kv)?)?).map(Some)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new("/cosmos.staking.v1beta1.Query/Params", |kv, r| {
                query::params(kv, r)
            })
            .with_rest(RestRoute {
                pattern: "/cosmos/staking/v1beta1/params",
                request: |_| Ok(QueryParamsRequest {}.encode_to_vec()),
                json: query::params_json,
            }),
        ]
    }
}
