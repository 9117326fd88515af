//! Distribution's genesis section: its params and the useful-work pool's (defaults for any
//! left out).

use super::state;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::distribution::v1beta1::Params;
use glia_proto::distribution::v1::UsefulWorkParams;
use serde::{Deserialize, Serialize};

/// `app_state.distribution`; decimals in point form ("0.02").
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub community_tax: Option<String>,
    pub withdraw_addr_enabled: Option<bool>,
    pub useful_work_tax: Option<String>,
    pub epoch_blocks: Option<u64>,
    pub max_reward_per_fee: Option<String>,
    pub payout_records_per_block: Option<u32>,
}

fn bad(msg: &str) -> AppError {
    AppError::invalid_request(format!("distribution params: {msg}"))
}

pub fn params_from(g: &Genesis) -> AppResult<(Params, UsefulWorkParams)> {
    let mut p = state::default_params();
    let mut w = state::default_work_params();
    if let Some(t) = &g.community_tax {
        p.community_tax = Dec::parse(t)?.to_proto();
    }
    if let Some(e) = g.withdraw_addr_enabled {
        p.withdraw_addr_enabled = e;
    }
    if let Some(t) = &g.useful_work_tax {
        w.useful_work_tax = Dec::parse(t)?.to_proto();
    }
    if let Some(b) = g.epoch_blocks {
        w.epoch_blocks = b;
    }
    if let Some(m) = &g.max_reward_per_fee {
        w.max_reward_per_fee = Dec::parse(m)?.to_proto();
    }
    if let Some(n) = g.payout_records_per_block {
        w.payout_records_per_block = n;
    }
    if w.payout_records_per_block == 0 {
        return Err(bad("payout_records_per_block must be positive"));
    }
    if Dec::from_proto(&p.community_tax)? > Dec::ONE {
        return Err(bad("community_tax must be at most 1"));
    }
    if Dec::from_proto(&w.useful_work_tax)? > Dec::ONE {
        return Err(bad("useful_work_tax must be at most 1"));
    }
    if w.epoch_blocks == 0 {
        return Err(bad("epoch_blocks must be positive"));
    }
    Ok((p, w))
}

pub fn export(p: &Params, w: &UsefulWorkParams) -> AppResult<Genesis> {
    Ok(Genesis {
        community_tax: Some(Dec::from_proto(&p.community_tax)?.to_string()),
        withdraw_addr_enabled: Some(p.withdraw_addr_enabled),
        useful_work_tax: Some(Dec::from_proto(&w.useful_work_tax)?.to_string()),
        epoch_blocks: Some(w.epoch_blocks),
        max_reward_per_fee: Some(Dec::from_proto(&w.max_reward_per_fee)?.to_string()),
        payout_records_per_block: Some(w.payout_records_per_block),
    })
}
