//! Results arrive from validators' vote extensions in two steps: a commitment while the task
//! takes them, then, once every slot has committed or can no longer commit, the results that
//! hash to it — so nobody can copy a result before committing to its own. Re-exported by
//! `settle`, which opens the reveal phase and settles on what was revealed.

use super::settle::dequeue;
use super::{events, state};
use crate::context::Ctx;
use crate::error::AppResult;
use glia_proto::inference::v1::{
    Assignment, ImageResult, ResultCommitment, Task, TaskResult, TaskStatus,
};
use sha2::{Digest, Sha256};

/// What an executor commits to before its results are public: sha256 over a domain tag, the
/// task, the operator (so nobody else can use it) and every field of every image, and a
/// secret salt, each variable part length-prefixed.
pub fn result_commitment(
    task_id: u64,
    operator: &str,
    images: &[ImageResult],
    salt: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"glia/inference/result-commitment/v1");
    h.update(task_id.to_be_bytes());
    h.update((operator.len() as u64).to_be_bytes());
    h.update(operator.as_bytes());
    h.update((images.len() as u64).to_be_bytes());
    for i in images {
        h.update(i.seed.to_be_bytes());
        h.update((i.output_sha256.len() as u64).to_be_bytes());
        h.update(&i.output_sha256);
        h.update(i.phash.to_be_bytes());
        h.update(i.device_time_ms.to_be_bytes());
    }
    h.update((salt.len() as u64).to_be_bytes());
    h.update(salt);
    h.finalize().into()
}

/// Records one executor's commitment for a task, if the task still takes commitments and the
/// executor holds an open slot. Returns whether it was taken.
pub fn record_commitment(
    ctx: &mut Ctx<'_>,
    operator: &str,
    c: &ResultCommitment,
) -> AppResult<bool> {
    let Some(mut task) = state::task(ctx, c.task_id)? else {
        return Ok(false);
    };
    if task.status != TaskStatus::Pending as i32 || task.reveal_height != 0 {
        return Ok(false);
    }
    let height = ctx.block.height;
    let Some(slot) = task
        .assignments
        .iter_mut()
        .find(|a| a.executor == operator && open_at(a, height))
    else {
        return Ok(false);
    };
    if c.commitment.len() != 32 {
        return Ok(false);
    }
    slot.commitment = c.commitment.clone();
    slot.commit_height = height;
    let work = slot.work;
    state::set_task(ctx, &task)?;
    dequeue(ctx, operator, work)?;
    events::result_committed(ctx, task.id, operator);
    Ok(true)
}

/// Records one executor's revealed results for a task in its reveal phase, if they name the
/// task's seeds in order with 32-byte hashes and hash, with the salt, to the slot's
/// commitment. Returns whether they were taken.
pub fn record(ctx: &mut Ctx<'_>, operator: &str, r: &TaskResult) -> AppResult<bool> {
    let Some(mut task) = state::task(ctx, r.task_id)? else {
        return Ok(false);
    };
    let height = ctx.block.height;
    if task.status != TaskStatus::Pending as i32 || !revealing_at(&task, height) {
        return Ok(false);
    }
    let well_formed = r.images.len() == task.seeds.len()
        && r.images
            .iter()
            .zip(&task.seeds)
            .all(|(i, s)| i.seed == *s && i.output_sha256.len() == 32);
    let task_id = task.id;
    let Some(slot) = task
        .assignments
        .iter_mut()
        .find(|a| a.executor == operator && awaits_reveal(a))
    else {
        return Ok(false);
    };
    if !well_formed
        || slot.commitment[..] != result_commitment(task_id, operator, &r.images, &r.salt)[..]
    {
        return Ok(false);
    }
    slot.results = r.images.clone();
    slot.result_height = height;
    state::set_task(ctx, &task)?;
    events::result_recorded(ctx, task.id, operator);
    Ok(true)
}

/// Whether a slot takes a commitment recorded in the block at `height`: none yet, and the
/// block is within its deadline.
pub fn open_at(a: &Assignment, height: u64) -> bool {
    a.commitment.is_empty() && height <= a.deadline_height
}

/// Whether a commitment put in this validator's vote extension for the block at
/// `vote_height` can still be recorded: extensions of that vote are carried by the next
/// block, which records them, so the slot must be open at `vote_height + 1`.
pub fn open_for_vote(a: &Assignment, vote_height: u64) -> bool {
    open_at(a, vote_height.saturating_add(1))
}

/// Whether the block at `height` records reveals of this task.
pub fn revealing_at(task: &Task, height: u64) -> bool {
    task.reveal_height > 0 && task.reveal_height <= height && height <= task.reveal_deadline_height
}

/// A slot that committed and has not revealed.
pub fn awaits_reveal(a: &Assignment) -> bool {
    !a.commitment.is_empty() && a.results.is_empty()
}

/// Whether a reveal put in the vote extension for `vote_height` can still be recorded.
pub fn reveal_for_vote(task: &Task, a: &Assignment, vote_height: u64) -> bool {
    awaits_reveal(a) && revealing_at(task, vote_height.saturating_add(1))
}
