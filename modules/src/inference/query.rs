//! `glia.inference.v1.Query`.

use super::{errors, state};
use crate::context::Kv;
use crate::error::AppResult;
use crate::pagination::paginate;
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
pub fn tasks(kv: &mut impl Kv, req: QueryTasksRequest) -> AppResult<QueryTasksResponse> {
    let creator = (!req.creator.is_empty()).then_some(req.creator.as_str());
    let mut keys = state::task_keys(kv, creator)?;
    keys.reverse();
    let mut items = Vec::with_capacity(keys.len());
    for (i, (_, id)) in keys.into_iter().enumerate() {
        let Some(t) = state::task(kv, id)? else {
            continue;
        };
        if req.status != 0 && t.status != req.status {
            continue;
        }
        // Newest first: page keys count up in listing order.
        items.push(((i as u64).to_be_bytes().to_vec(), t));
    }
    let (tasks, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryTasksResponse {
        tasks,
        pagination: Some(pagination),
    })
}

pub fn executors(
    kv: &mut impl Kv,
    req: QueryExecutorsRequest,
) -> AppResult<QueryExecutorsResponse> {
    let (executors, pagination) = paginate(state::executors(kv)?, req.pagination.as_ref())?;
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
