//! `glia.neuro.v1.Query`.

use super::{errors, state};
use crate::context::Kv;
use crate::error::AppResult;
use crate::pagination::{paginate_lazy, paginate_prefix};
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

/// The board: open jobs by pay per unit of size (`pay_per_unit_micro`, highest first, then by
/// id), or jobs of a status newest first; optionally one creator's. Ids come from index keys
/// alone, and only the records a page returns (and those its filters pass over) are read.
pub fn jobs(kv: &mut impl Kv, req: QueryJobsRequest) -> AppResult<QueryJobsResponse> {
    let creator = (!req.creator.is_empty()).then_some(req.creator.as_str());
    let board = req.status == 0 || req.status == JobStatus::Open as i32;
    let ids = if board {
        state::board_ids(kv)?
    } else {
        let mut ids = state::all_job_ids(kv, creator)?;
        ids.reverse();
        ids
    };
    let keys: Vec<Vec<u8>> = ids.iter().map(|id| id.to_be_bytes().to_vec()).collect();
    let (jobs, pagination) = paginate_lazy(&keys, req.pagination.as_ref(), |k| {
        let id = u64::from_be_bytes(k.try_into().unwrap_or([0; 8]));
        let Some(j) = state::job(kv, id)? else {
            return Ok(None);
        };
        let status = if board {
            JobStatus::Open as i32
        } else {
            req.status
        };
        Ok((j.status == status && creator.is_none_or(|c| c == j.creator)).then_some(j))
    })?;
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
    let (solutions, pagination) = paginate_prefix(
        kv,
        &state::state_key::solutions_prefix(req.job_id),
        0,
        req.pagination.as_ref(),
        |kv, k| crate::value::get(kv, k, "solution"),
    )?;
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
