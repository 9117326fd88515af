//! The staking component: validators, delegations, unbonding and the validator set CometBFT
//! runs with (`cosmos.staking.v1beta1`).

use super::msgs::{self, StakingMsg};
use super::state::{BONDED_POOL, NOT_BONDED_POOL};
use super::{invariants, lifecycle, query, set, state};
use crate::address::Address;
use crate::component::{
    genesis_json, genesis_section, BlockContext, Component, DecodedMsg, GenesisInfo, QueryRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;
use glia_proto::cosmos::Any;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

pub const NAME: &str = "staking";

pub struct Staking;

impl Component for Staking {
    fn name(&self) -> &'static str {
        NAME
    }

    fn module_accounts(&self) -> Vec<&'static str> {
        vec![BONDED_POOL, NOT_BONDED_POOL]
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        let g: lifecycle::Genesis = genesis_section(NAME, section)?;
        state::set_params(ctx, &lifecycle::params_from(&g)?)?;
        for pool in [BONDED_POOL, NOT_BONDED_POOL] {
            crate::auth::ensure_account(ctx, &Address::module(pool))?;
        }
        lifecycle::init_genesis(ctx, &g)
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        genesis_json(NAME, &lifecycle::export(&state::params(kv)?)?).map(Some)
    }

    /// The updates returned two blocks ago take effect in the signing set before anything
    /// else of the block reads it.
    fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        set::apply_pending(ctx, block.info.height)?;
        super::historical::track(ctx)
    }

    fn end_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        set::complete_validator_unbondings(ctx)?;
        set::complete_unbondings(ctx)?;
        set::complete_redelegations(ctx)
    }

    fn validator_updates(
        &self,
        ctx: &mut Ctx<'_>,
        block: &BlockContext,
    ) -> AppResult<Vec<ValidatorUpdate>> {
        set::apply_set(ctx, block.info.height)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        msgs::type_urls()
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        DecodedMsg::from_decoder(NAME, any, StakingMsg::decode(any), StakingMsg::signers)
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        msgs::execute(ctx, msg.get::<StakingMsg>()?)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        query::routes()
    }

    /// As cosmjs's `createStakingAminoConverters` writes them (see `amino`).
    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        super::amino::amino_json(any)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        invariants::check(ctx)
    }
}
