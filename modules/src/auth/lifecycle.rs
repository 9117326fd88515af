//! Auth genesis.

use super::state;
use crate::context::Ctx;
use crate::error::AppResult;
use serde::{Deserialize, Serialize};

/// `app_state.auth`: optional parameter overrides.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub max_memo_characters: Option<u64>,
    #[serde(default)]
    pub tx_sig_limit: Option<u64>,
}

pub fn init_genesis(ctx: &mut Ctx<'_>, g: &Genesis) -> AppResult<()> {
    let mut p = state::default_params();
    if let Some(v) = g.max_memo_characters {
        p.max_memo_characters = v;
    }
    if let Some(v) = g.tx_sig_limit {
        p.tx_sig_limit = v;
    }
    state::set_params(ctx, &p)
}
