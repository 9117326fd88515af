//! `glia.inference.v1.Query`.

use super::{errors, state};
use crate::context::Kv;
use crate::error::AppResult;
use crate::pagination::{paginate_lazy, paginate_prefix};
use glia_proto::inference::v1::*;

pub fn task(kv: &mut impl Kv, req: QueryTaskRequest) -> AppResult<QueryTaskResponse> {
    let t = state::task(kv, req.id)?.ok_or_else(|| {
        errors::unknown_task(format!(
            "rpc error: code = NotFound desc = task {} not found",
            req.id
        ))
    })?;
    Ok(QueryTaskResponse { task: Some(t) })
}

/// Tasks newest first, filtered by creator and status.
/// Tasks newest first, by creator and status: the ids come from the keys alone, and only the
/// records a page returns (and those its status filter passes over) are read.
pub fn tasks(kv: &mut impl Kv, req: QueryTasksRequest) -> AppResult<QueryTasksResponse> {
    let creator = (!req.creator.is_empty()).then_some(req.creator.as_str());
    let mut keys = state::task_keys(kv, creator)?;
    keys.reverse();
    let ids: std::collections::BTreeMap<Vec<u8>, u64> = keys.iter().cloned().collect();
    let order: Vec<Vec<u8>> = keys.into_iter().map(|(k, _)| k).collect();
    let (tasks, pagination) = paginate_lazy(&order, req.pagination.as_ref(), |k| {
        let Some(id) = ids.get(k) else {
            return Ok(None);
        };
        Ok(state::task(kv, *id)?.filter(|t| req.status == 0 || t.status == req.status))
    })?;
    Ok(QueryTasksResponse {
        tasks,
        pagination: Some(pagination),
    })
}

pub fn executors(
    kv: &mut impl Kv,
    req: QueryExecutorsRequest,
) -> AppResult<QueryExecutorsResponse> {
    let (executors, pagination) = paginate_prefix(
        kv,
        state::state_key::EXECUTORS_PREFIX,
        0,
        req.pagination.as_ref(),
        |kv, k| crate::value::get(kv, k, "executor"),
    )?;
    Ok(QueryExecutorsResponse {
        executors,
        pagination: Some(pagination),
    })
}

pub fn models(kv: &mut impl Kv, _req: QueryModelsRequest) -> AppResult<QueryModelsResponse> {
    Ok(QueryModelsResponse {
        models: state::models(kv)?,
    })
}

pub fn params(kv: &mut impl Kv, _req: QueryParamsRequest) -> AppResult<QueryParamsResponse> {
    Ok(QueryParamsResponse {
        params: Some(state::params(kv)?),
    })
}
