//! `glia.neuro.v1.Query`.

use super::{errors, state};
use crate::context::Kv;
use crate::error::AppResult;
use crate::pagination::paginate;
use glia_proto::neuro::v1::*;

pub fn job(kv: &mut impl Kv, req: QueryJobRequest) -> AppResult<QueryJobResponse> {
    let mut j = state::job(kv, req.id)?.ok_or_else(|| {
        errors::unknown_job(format!(
            "rpc error: code = NotFound desc = job {} not found",
            req.id
        ))
    })?;
    j.problem = state::problem(kv, j.id)?;
    Ok(QueryJobResponse { job: Some(j) })
}

/// What a job pays in all: max_blocks × block_fee + reward.
fn total_pay(j: &Job) -> u128 {
    let amt = |c: &Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin>| {
        c.as_ref()
            .and_then(|c| c.amount.parse::<u128>().ok())
            .unwrap_or(0)
    };
    // The escrow of a job, which submission computed with checked arithmetic.
    amt(&j.block_fee)
        .saturating_mul(u128::from(j.max_blocks))
        .saturating_add(amt(&j.solution_reward))
}

/// The board: open jobs by pay per unit of size (compared exactly), or jobs of a status
/// newest first.
pub fn jobs(kv: &mut impl Kv, req: QueryJobsRequest) -> AppResult<QueryJobsResponse> {
    let creator = (!req.creator.is_empty()).then_some(req.creator.as_str());
    let board = req.status == 0 || req.status == JobStatus::Open as i32;
    let mut ids = if board {
        state::open_job_ids(kv)?
    } else {
        state::all_job_ids(kv, creator)?
    };
    if !board {
        ids.reverse();
    }
    let mut list = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(j) = state::job(kv, id)? else {
            continue;
        };
        if creator.is_some_and(|c| c != j.creator) || (!board && j.status != req.status) {
            continue;
        }
        list.push(j);
    }
    if board {
        // a before b when a pays more per unit: pay_a × size_b > pay_b × size_a.
        list.sort_by(|a, b| {
            let l = total_pay(a).saturating_mul(u128::from(b.size.max(1)));
            let r = total_pay(b).saturating_mul(u128::from(a.size.max(1)));
            r.cmp(&l).then(a.id.cmp(&b.id))
        });
    }
    let items = list
        .into_iter()
        .enumerate()
        .map(|(i, j)| ((i as u64).to_be_bytes().to_vec(), j))
        .collect();
    let (jobs, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryJobsResponse {
        jobs,
        pagination: Some(pagination),
    })
}

pub fn solutions(
    kv: &mut impl Kv,
    req: QuerySolutionsRequest,
) -> AppResult<QuerySolutionsResponse> {
    if state::job(kv, req.job_id)?.is_none() {
        return Err(errors::unknown_job(format!(
            "rpc error: code = NotFound desc = job {} not found",
            req.job_id
        )));
    }
    let (solutions, pagination) =
        paginate(state::solutions(kv, req.job_id)?, req.pagination.as_ref())?;
    Ok(QuerySolutionsResponse {
        solutions,
        pagination: Some(pagination),
    })
}

pub fn params(kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(state::params(kv)?),
    })
}
