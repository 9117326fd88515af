//! The distribution component: every block's fees and emission shared between the
//! useful-work pool, the community pool and the validators that signed (and, lazily, their
//! delegators); reward withdrawals; the useful-work pool's epoch payouts.

use super::msgs::{self, DistributionMsg};
use super::state::{self, MODULE_ACCOUNT, WORK_POOL};
use super::{allocate, invariants, lifecycle, query, work};
use crate::address::Address;
use crate::component::{
    genesis_json, genesis_section, BlockContext, BuildInfo, Component, DecodedMsg, GenesisInfo,
    QueryRoute,
};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;
use glia_proto::cosmos::Any;

pub const NAME: &str = "distribution";

#[derive(Default)]
pub struct Distribution {
    /// Module accounts: never a withdraw address.
    blocked: Vec<Address>,
}

impl Component for Distribution {
    fn name(&self) -> &'static str {
        NAME
    }

    fn module_accounts(&self) -> Vec<&'static str> {
        vec![MODULE_ACCOUNT, WORK_POOL]
    }

    fn on_build(&mut self, app: &BuildInfo) {
        self.blocked = app.module_accounts.clone();
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        _info: &GenesisInfo<'_>,
        section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        let g: lifecycle::Genesis = genesis_section(NAME, section)?;
        let (p, w) = lifecycle::params_from(&g)?;
        state::set_params(ctx, &p, &w)?;
        for a in [MODULE_ACCOUNT, WORK_POOL] {
            crate::auth::ensure_account(ctx, &Address::module(a))?;
        }
        Ok(())
    }

    fn export_genesis(&self, kv: &mut ReadOnly<'_>) -> AppResult<Option<serde_json::Value>> {
        let g = lifecycle::export(&state::params(kv)?, &state::work_params(kv)?)?;
        genesis_json(NAME, &g).map(Some)
    }

    /// After the emission is minted: shares out what the fee collector holds.
    fn begin_block(&self, ctx: &mut Ctx<'_>, block: &BlockContext) -> AppResult<()> {
        allocate::allocate(ctx, block)
    }

    /// After the work modules settled this block's tasks and jobs: the epoch's payout.
    fn end_block(&self, ctx: &mut Ctx<'_>, _block: &BlockContext) -> AppResult<()> {
        work::end_block(ctx)
    }

    fn msg_type_urls(&self) -> Vec<String> {
        msgs::type_urls()
    }

    fn decode_msg(&self, any: &Any) -> AppResult<DecodedMsg> {
        DecodedMsg::from_decoder(
            NAME,
            any,
            DistributionMsg::decode(any),
            DistributionMsg::signers,
        )
    }

    fn execute_msg(&self, ctx: &mut Ctx<'_>, msg: &DecodedMsg) -> AppResult<Any> {
        msgs::execute(ctx, msg.get::<DistributionMsg>()?, &self.blocked)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        query::routes()
    }

    fn amino_json(&self, any: &Any) -> Option<AppResult<serde_json::Value>> {
        msgs::amino_json(any)
    }

    fn check_invariants(&self, ctx: &mut Ctx<'_>) -> AppResult<()> {
        invariants::check(ctx)
    }
}
