//! The staking component: so far the validator set CometBFT starts with.

use super::lifecycle;
use crate::component::{Component, GenesisInfo};
use crate::context::Ctx;
use crate::error::AppResult;

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
        _section: Option<&serde_json::Value>,
    ) -> AppResult<()> {
        lifecycle::init_genesis(ctx, info.validators)
    }
}
