//! The auth component: accounts, their numbers, sequences and keys.

use super::{lifecycle, query, state};
use crate::component::{genesis_json, genesis_section, Component, GenesisInfo, QueryRoute};
use crate::context::{Ctx, ReadOnly};
use crate::error::AppResult;

pub const NAME: &str = "auth";

/// `cosmos.auth.v1beta1`: no messages of its own (the ante handler checks signatures and
/// sequences); genesis sets its params.
pub struct Auth;

impl Component for Auth {
    fn name(&self) -> &'static str {
        NAME
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
        let g = lifecycle::Genesis {
            max_memo_characters: Some(p.max_memo_characters),
            tx_sig_limit: Some(p.tx_sig_limit),
        };
        genesis_json(NAME, &g).map(Some)
    }

    fn queries(&self) -> Vec<QueryRoute> {
        vec![
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Account", |kv, r| {
                query::account(kv, r)
            }),
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Accounts", |kv, r| {
                query::accounts(kv, r)
            }),
            QueryRoute::new("/cosmos.auth.v1beta1.Query/Params", |kv, r| {
                query::params(kv, r)
            }),
        ]
    }
}
