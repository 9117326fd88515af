//! Inference keys and typed state access. Records are stored as their protobuf encoding.

use crate::address::Address;
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value::decode;
use glia_proto::inference::v1::{Executor, Model, Params, Task};
use prost::Message;

/// Every key the module writes.
pub mod state_key {
    pub const PARAMS: &str = "inference/params";
    pub const MODELS_PREFIX: &str = "inference/models/";
    pub const EXECUTORS_PREFIX: &str = "inference/executors/";
    pub const BY_VALIDATOR_PREFIX: &str = "inference/executor_by_validator/";
    pub const TASKS_PREFIX: &str = "inference/tasks/";
    pub const BY_CREATOR_PREFIX: &str = "inference/tasks_by_creator/";
    pub const OPEN_PREFIX: &str = "inference/open/";
    pub const NEXT_TASK_ID: &str = "inference/next_task_id";
    /// Tasks requested and not yet drawn (drawn in the next block).
    pub const UNDRAWN_PREFIX: &str = "inference/undrawn/";
    /// Jailed executors by release height: `<until:020>/<operator>`.
    pub const JAIL_PREFIX: &str = "inference/executor_jail/";

    pub fn jail(until: u64, operator: &str) -> String {
        format!("{JAIL_PREFIX}{}/{operator}", id(until))
    }

    pub fn undrawn(task_id: u64) -> String {
        format!("{UNDRAWN_PREFIX}{}", id(task_id))
    }

    /// Task ids are zero-padded so key order is id order.
    pub fn id(id: u64) -> String {
        format!("{id:020}")
    }
    pub fn model(id: &str) -> String {
        format!("{MODELS_PREFIX}{id}")
    }
    pub fn executor(operator: &str) -> String {
        format!("{EXECUTORS_PREFIX}{operator}")
    }
    pub fn by_validator(hex_address: &str) -> String {
        format!("{BY_VALIDATOR_PREFIX}{hex_address}")
    }
    pub fn task(task_id: u64) -> String {
        format!("{TASKS_PREFIX}{}", id(task_id))
    }
    pub fn by_creator_prefix(creator: &str) -> String {
        format!("{BY_CREATOR_PREFIX}{creator}/")
    }
    pub fn by_creator(creator: &str, task_id: u64) -> String {
        format!("{BY_CREATOR_PREFIX}{creator}/{}", id(task_id))
    }
    pub fn open(task_id: u64) -> String {
        format!("{OPEN_PREFIX}{}", id(task_id))
    }
}

pub fn default_params() -> Params {
    Params {
        max_prompt_bytes: 1024,
        max_seeds: 16,
        max_replicas: 5,
        result_timeout_blocks: 10,
        max_timeout_blocks: 1000,
        default_timeout_blocks: 100,
        quality_penalty_outvoted_bps: 2000,
        quality_penalty_missed_bps: 1000,
        quality_reward_bps: 100,
        max_vote_extension_bytes: super::lifecycle::MAX_VOTE_EXTENSION_BYTES as u32,
        quality_recovery_bps_per_block: 10,
        max_queue_blocks: 50,
        default_work_per_block: 2_000,
        executor_jail_quality_bps: 5_000,
        executor_jail_blocks: 600,
        fee_denoms: Vec::new(),
    }
}

/// The rate at which requests pay in `denom` (uglia at par, an accepted voucher at its rate).
pub fn fee_rate(p: &Params, denom: &str) -> Option<crate::coins::Rate> {
    crate::coins::fee_rate(&p.fee_denoms, denom)
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    match kv.kv_get(state_key::PARAMS)? {
        Some(b) => Ok(with_defaults(decode("inference params", &b)?)),
        None => Ok(default_params()),
    }
}

/// Params stored before a field existed read it as 0, which genesis never allows for these:
/// they take the default, so a chain started by an older gliad keeps working.
fn with_defaults(mut p: Params) -> Params {
    let d = default_params();
    if p.max_vote_extension_bytes == 0 {
        p.max_vote_extension_bytes = d.max_vote_extension_bytes;
    }
    if p.max_queue_blocks == 0 {
        p.max_queue_blocks = d.max_queue_blocks;
    }
    if p.default_work_per_block == 0 {
        p.default_work_per_block = d.default_work_per_block;
    }
    // executor_jail_quality_bps reads 0 (jailing off), which is what such a chain did.
    if p.executor_jail_blocks == 0 {
        p.executor_jail_blocks = d.executor_jail_blocks;
    }
    p
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

pub fn model(kv: &mut impl Kv, id: &str) -> AppResult<Option<Model>> {
    kv.kv_get(&state_key::model(id))?
        .map(|b| decode("model", &b))
        .transpose()
}

pub fn models(kv: &mut impl Kv) -> AppResult<Vec<Model>> {
    kv.kv_scan(state_key::MODELS_PREFIX)?
        .iter()
        .map(|(_, b)| decode("model", b))
        .collect()
}

pub fn set_model(ctx: &mut Ctx<'_>, m: &Model) -> AppResult<()> {
    ctx.put(state_key::model(&m.id), m.encode_to_vec())
}

pub fn executor(kv: &mut impl Kv, operator: &Address) -> AppResult<Option<Executor>> {
    kv.kv_get(&state_key::executor(operator.as_str()))?
        .map(|b| decode("executor", &b))
        .transpose()
}

/// Removes an operator's executor record (its validator's mapping is rewritten by the next
/// `set_executor`).
pub fn delete_executor(ctx: &mut Ctx<'_>, operator: &Address) -> AppResult<()> {
    ctx.delete(state_key::executor(operator.as_str()))
}

/// Every executor with its key, in operator order.
pub fn executors(kv: &mut impl Kv) -> AppResult<Vec<(Vec<u8>, Executor)>> {
    kv.kv_scan(state_key::EXECUTORS_PREFIX)?
        .into_iter()
        .map(|(k, b)| Ok((k.into_bytes(), decode("executor", &b)?)))
        .collect()
}

/// The operator whose executor runs on the validator with this consensus address.
pub fn operator_of_validator(kv: &mut impl Kv, hex_address: &str) -> AppResult<Option<String>> {
    crate::value::text(
        kv,
        &state_key::by_validator(hex_address),
        "executor of a validator",
    )
}

pub fn set_executor(ctx: &mut Ctx<'_>, e: &Executor) -> AppResult<()> {
    ctx.put(
        state_key::by_validator(&e.validator_address),
        crate::value::encode_text(&e.operator),
    )?;
    ctx.put(state_key::executor(&e.operator), e.encode_to_vec())
}

/// Indexes a jailed executor under its release height (`e.jailed_until`).
pub fn index_jailed(ctx: &mut Ctx<'_>, e: &Executor) -> AppResult<()> {
    ctx.put(state_key::jail(e.jailed_until, &e.operator), vec![])
}

/// Drops an executor's jail index entry (released, or moved to another operator).
pub fn unindex_jailed(ctx: &mut Ctx<'_>, until: u64, operator: &str) -> AppResult<()> {
    ctx.delete(state_key::jail(until, operator))
}

/// Jailed executors due for release at `height` (jailed until it or earlier): (until,
/// operator), in release-height then operator order. Reads the index's keys only: at most
/// one per validator.
pub fn jailed_due(kv: &mut impl Kv, height: u64) -> AppResult<Vec<(u64, String)>> {
    let mut due = Vec::new();
    for k in kv.kv_scan_keys(state_key::JAIL_PREFIX)? {
        let rest = &k[state_key::JAIL_PREFIX.len()..];
        let (until, operator) = rest
            .split_once('/')
            .and_then(|(u, o)| Some((u.parse::<u64>().ok()?, o)))
            .ok_or_else(|| AppError::internal(format!("bad executor jail key {k}")))?;
        if until > height {
            break;
        }
        due.push((until, operator.to_string()));
    }
    Ok(due)
}

pub fn task(kv: &mut impl Kv, id: u64) -> AppResult<Option<Task>> {
    kv.kv_get(&state_key::task(id))?
        .map(|b| decode("task", &b))
        .transpose()
}

/// Saves a task and keeps the creator and open-task indexes in step with its status.
pub fn set_task(ctx: &mut Ctx<'_>, t: &Task) -> AppResult<()> {
    use glia_proto::inference::v1::TaskStatus;
    ctx.put(state_key::by_creator(&t.creator, t.id), vec![])?;
    if t.status == TaskStatus::Pending as i32 {
        ctx.put(state_key::open(t.id), vec![])?;
    } else {
        ctx.delete(state_key::open(t.id))?;
    }
    ctx.put(state_key::task(t.id), t.encode_to_vec())
}

/// Ids of tasks still waiting for results, oldest first.
pub fn open_task_ids(kv: &mut impl Kv) -> AppResult<Vec<u64>> {
    kv.kv_scan(state_key::OPEN_PREFIX)?
        .iter()
        .map(|(k, _)| {
            k[state_key::OPEN_PREFIX.len()..]
                .parse()
                .map_err(|_| AppError::internal(format!("bad open-task key {k}")))
        })
        .collect()
}

/// Task ids (as index keys) of one creator, or of everyone, oldest first.
pub fn task_keys(kv: &mut impl Kv, creator: Option<&str>) -> AppResult<Vec<(Vec<u8>, u64)>> {
    let prefix = match creator {
        Some(c) => state_key::by_creator_prefix(c),
        None => state_key::TASKS_PREFIX.to_string(),
    };
    kv.kv_scan_keys(&prefix)?
        .into_iter()
        .map(|k| {
            let id = k[prefix.len()..]
                .parse()
                .map_err(|_| AppError::internal(format!("bad task key {k}")))?;
            Ok((k.into_bytes(), id))
        })
        .collect()
}

pub fn next_task_id(ctx: &mut Ctx<'_>) -> AppResult<u64> {
    crate::value::next_id(ctx, state_key::NEXT_TASK_ID, 1, "task ids")
}

/// Tasks waiting for their draw, in id order.
pub fn undrawn_task_ids(kv: &mut impl Kv) -> AppResult<Vec<u64>> {
    kv.kv_scan(state_key::UNDRAWN_PREFIX)?
        .iter()
        .map(|(k, _)| {
            k[state_key::UNDRAWN_PREFIX.len()..]
                .parse()
                .map_err(|_| AppError::internal(format!("bad undrawn-task key {k}")))
        })
        .collect()
}
