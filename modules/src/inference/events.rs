//! Inference events; attributes are indexed so clients can search for their tasks.

use crate::context::Ctx;
use glia_proto::inference::v1::Executor;

pub fn task_created(ctx: &mut Ctx<'_>, task_id: u64, creator: &str, model: &str, escrow: &str) {
    ctx.emit(
        "generate_image",
        &[
            ("task_id", task_id.to_string()),
            ("creator", creator.to_string()),
            ("model_id", model.to_string()),
            ("escrow", escrow.to_string()),
        ],
    );
}

/// A task's executors, drawn the block after its request.
pub fn task_drawn(ctx: &mut Ctx<'_>, task_id: u64, executors: &[String]) {
    ctx.emit(
        "task_drawn",
        &[
            ("task_id", task_id.to_string()),
            ("executors", executors.join(",")),
        ],
    );
}

pub fn executor_registered(ctx: &mut Ctx<'_>, operator: &str, validator: &str) {
    ctx.emit(
        "register_executor",
        &[
            ("operator", operator.to_string()),
            ("validator", validator.to_string()),
        ],
    );
}

pub fn reassigned(ctx: &mut Ctx<'_>, task_id: u64, silent: &str, replacement: Option<&str>) {
    ctx.emit(
        "task_reassigned",
        &[
            ("task_id", task_id.to_string()),
            ("silent", silent.to_string()),
            ("replacement", replacement.unwrap_or("").to_string()),
        ],
    );
}

pub fn result_recorded(ctx: &mut Ctx<'_>, task_id: u64, executor: &str) {
    ctx.emit(
        "task_result",
        &[
            ("task_id", task_id.to_string()),
            ("executor", executor.to_string()),
        ],
    );
}

pub fn result_committed(ctx: &mut Ctx<'_>, task_id: u64, executor: &str) {
    ctx.emit(
        "task_commitment",
        &[
            ("task_id", task_id.to_string()),
            ("executor", executor.to_string()),
        ],
    );
}

pub fn reveal_opened(ctx: &mut Ctx<'_>, task_id: u64, deadline: u64) {
    ctx.emit(
        "task_reveal",
        &[
            ("task_id", task_id.to_string()),
            ("reveal_deadline_height", deadline.to_string()),
        ],
    );
}

pub fn settled(ctx: &mut Ctx<'_>, task_id: u64, status: &str, paid: &str, refunded: &str) {
    ctx.emit(
        "task_settled",
        &[
            ("task_id", task_id.to_string()),
            ("status", status.to_string()),
            ("paid", paid.to_string()),
            ("refunded", refunded.to_string()),
        ],
    );
}

pub fn outvoted(ctx: &mut Ctx<'_>, task_id: u64, executor: &str, seed: u64) {
    ctx.emit(
        "executor_outvoted",
        &[
            ("task_id", task_id.to_string()),
            ("executor", executor.to_string()),
            ("seed", seed.to_string()),
        ],
    );
}

/// A useful-work penalty (`reason`: `outvoted` or `missed`) left the executor's quality below
/// `executor_jail_quality_bps`: it is drawn for nothing until `jailed_until`. Its validator
/// keeps its consensus stake and signs blocks as before. Operators alert on this.
pub fn executor_jailed(ctx: &mut Ctx<'_>, e: &Executor, reason: &str) {
    ctx.emit(
        "executor_jailed",
        &[
            ("operator", e.operator.clone()),
            ("validator", e.validator_address.clone()),
            ("quality_bps", e.quality_bps.to_string()),
            ("jailed_until", e.jailed_until.to_string()),
            ("reason", reason.to_string()),
            ("times_jailed", e.times_jailed.to_string()),
        ],
    );
}

/// A jailed executor's term ended: it is drawn again, its quality restarting at
/// `quality_bps` (the jail threshold).
pub fn executor_released(ctx: &mut Ctx<'_>, e: &Executor) {
    ctx.emit(
        "executor_released",
        &[
            ("operator", e.operator.clone()),
            ("validator", e.validator_address.clone()),
            ("quality_bps", e.quality_bps.to_string()),
            ("times_jailed", e.times_jailed.to_string()),
        ],
    );
}
