//! Settlement. Results arrive in two steps, a commitment and then a reveal (see `reveal`,
//! whose functions are re-exported here). A task settles once every committed slot has
//! revealed, or at its reveal deadline. Every path moves the whole escrow: to executors whose
//! results agreed, the rest back to the creator.

pub use super::reveal::{
    awaits_reveal, open_at, open_for_vote, record, record_commitment, result_commitment,
    reveal_for_vote, revealing_at,
};
use super::{assign, capacity, events, state};
use crate::address::Address;
use crate::bank::Escrow;
use crate::coins::{parse_amount, Coin, BASE_DENOM};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::inference::v1::{
    Assignment, Executor, ImageOutcome, ImageResult, Params, Task, TaskStatus,
};
use std::collections::BTreeMap;

fn amount_of(c: &Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin>) -> AppResult<u128> {
    c.as_ref().map_or(Ok(0), |c| {
        parse_amount(&c.amount).map_err(AppError::internal)
    })
}

/// End of block: replace silent executors once, open the reveal phase once no slot can still
/// commit, and settle tasks whose reveals are complete or over.
pub fn end_block(ctx: &mut Ctx<'_>, bank: &Escrow) -> AppResult<()> {
    let params = state::params(ctx)?;
    let height = ctx.block.height;
    for id in state::open_task_ids(ctx)? {
        let Some(mut task) = state::task(ctx, id)? else {
            continue;
        };
        if task.assignments.is_empty() {
            // Requested in this block: drawn at the start of the next.
            continue;
        }
        let changed = if task.reveal_height == 0 {
            commit_phase(ctx, &mut task, &params, height, bank)?
        } else if height >= task.reveal_deadline_height
            || !task.assignments.iter().any(awaits_reveal)
        {
            // Committed and silent through the reveal window: missed, like silence.
            for a in task.assignments.iter().filter(|a| awaits_reveal(a)) {
                penalise_missed(ctx, &a.executor, &params)?;
            }
            settle(ctx, &mut task, &params, bank)?;
            true
        } else {
            false
        };
        if changed {
            state::set_task(ctx, &task)?;
        }
    }
    Ok(())
}

/// The commit phase's end of block; returns whether the task changed.
fn commit_phase(
    ctx: &mut Ctx<'_>,
    task: &mut Task,
    params: &Params,
    height: u64,
    bank: &Escrow,
) -> AppResult<bool> {
    let mut changed = false;
    let timed_out = height >= task.timeout_height;
    // Silent slots past their deadline: one replacement per replica.
    let silent: Vec<usize> = task
        .assignments
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            a.commitment.is_empty() && height > a.deadline_height && a.result_height == 0
        })
        .map(|(i, _)| i)
        .collect();
    for i in silent {
        // result_height = u64::MAX marks a slot whose silence was already handled.
        task.assignments[i].result_height = u64::MAX;
        changed = true;
        let a = task.assignments[i].clone();
        dequeue(ctx, &a.executor, a.work)?;
        penalise_missed(ctx, &a.executor, params)?;
        let replacement = if a.replacement || timed_out {
            None
        } else {
            replace(ctx, task, &a, params)?
        };
        events::reassigned(
            ctx,
            task.id,
            &a.executor,
            replacement.as_ref().map(|r| r.executor.as_str()),
        );
        if let Some(r) = replacement {
            task.assignments.push(r);
        }
    }
    let may_commit = !timed_out && task.assignments.iter().any(|a| open_at(a, height));
    if may_commit {
        return Ok(changed);
    }
    if task.assignments.iter().any(|a| !a.commitment.is_empty()) {
        // Reveals are recorded from the next block, for result_timeout_blocks blocks.
        task.reveal_height = height.saturating_add(1);
        task.reveal_deadline_height = height.saturating_add(params.result_timeout_blocks);
        events::reveal_opened(ctx, task.id, task.reveal_deadline_height);
    } else {
        settle(ctx, task, params, bank)?;
    }
    Ok(true)
}

fn penalise_missed(ctx: &mut Ctx<'_>, operator: &str, p: &Params) -> AppResult<()> {
    penalise(ctx, operator, p, "missed", |e| {
        e.results_missed = e.results_missed.saturating_add(1);
        p.quality_penalty_missed_bps
    })
}

/// A useful-work fault of `operator`'s executor: `count` records it and returns its quality
/// penalty. A penalty that leaves quality below `executor_jail_quality_bps` jails the
/// executor until this height plus `executor_jail_blocks` (one already jailed stays as it
/// was): draws pass it over and its quality stays where it is until `release_jailed`. Slots it
/// already holds run their course. Only the executor is jailed: its validator's stake and
/// place in the signing set are staking's and untouched.
fn penalise(
    ctx: &mut Ctx<'_>,
    operator: &str,
    p: &Params,
    reason: &str,
    count: impl FnOnce(&mut Executor) -> u32,
) -> AppResult<()> {
    let addr = Address::parse(operator).map_err(AppError::internal)?;
    let Some(mut e) = state::executor(ctx, &addr)? else {
        return Ok(());
    };
    let height = ctx.block.height;
    capacity::refresh_quality(&mut e, height, p);
    let penalty = count(&mut e);
    e.quality_bps = e.quality_bps.saturating_sub(penalty);
    let jail = !capacity::jailed(&e) && e.quality_bps < p.executor_jail_quality_bps;
    if jail {
        e.jailed_until = height.saturating_add(p.executor_jail_blocks.max(1));
        e.times_jailed = e.times_jailed.saturating_add(1);
        state::index_jailed(ctx, &e)?;
    }
    state::set_executor(ctx, &e)?;
    if jail {
        events::executor_jailed(ctx, &e, reason);
    }
    Ok(())
}

/// End of block: releases every executor jailed until this height (from the jail index, in
/// release order: only the records of those due are read). It is drawn again from the next
/// block, its quality restarting at `executor_jail_quality_bps` and recovering from here.
pub fn release_jailed(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let height = ctx.block.height;
    let due = state::jailed_due(ctx, height)?;
    if due.is_empty() {
        return Ok(());
    }
    let p = state::params(ctx)?;
    for (until, operator) in due {
        state::unindex_jailed(ctx, until, &operator)?;
        let addr = Address::parse(&operator).map_err(AppError::internal)?;
        let Some(mut e) = state::executor(ctx, &addr)? else {
            continue;
        };
        if e.jailed_until != until {
            continue;
        }
        e.jailed_until = 0;
        e.quality_bps = p.executor_jail_quality_bps.min(10_000);
        e.quality_height = height;
        state::set_executor(ctx, &e)?;
        events::executor_released(ctx, &e);
    }
    Ok(())
}

fn update_executor(
    ctx: &mut Ctx<'_>,
    operator: &str,
    f: impl FnOnce(&mut Executor),
) -> AppResult<()> {
    let addr = Address::parse(operator).map_err(AppError::internal)?;
    if let Some(mut e) = state::executor(ctx, &addr)? {
        let p = state::params(ctx)?;
        capacity::refresh_quality(&mut e, ctx.block.height, &p);
        f(&mut e);
        state::set_executor(ctx, &e)?;
    }
    Ok(())
}

/// Takes a slot's work off its executor's queue (it committed, went silent or its task
/// settled).
pub(super) fn dequeue(ctx: &mut Ctx<'_>, operator: &str, work: u64) -> AppResult<()> {
    update_executor(ctx, operator, |e| {
        e.queued_work = e.queued_work.saturating_sub(work);
    })
}

/// A slot for `executor` from this block: its deadline leaves it the result window plus the
/// time its queue and this work take at its declared rate; the work joins its queue.
fn new_slot(
    ctx: &mut Ctx<'_>,
    task: &Task,
    executor: String,
    replica: u32,
    replacement: bool,
    p: &Params,
) -> AppResult<Assignment> {
    let work = capacity::work_of(task.seeds.len(), task.width, task.height, task.steps);
    let addr = Address::parse(&executor).map_err(AppError::internal)?;
    let e = state::executor(ctx, &addr)?.unwrap_or_default();
    let height = ctx.block.height;
    let deadline = height
        .saturating_add(p.result_timeout_blocks)
        .saturating_add(capacity::blocks_for(&e, work, p));
    update_executor(ctx, &executor, |e| {
        e.queued_work = e.queued_work.saturating_add(work);
    })?;
    Ok(Assignment {
        executor,
        replica,
        assigned_height: height,
        deadline_height: deadline,
        replacement,
        work,
        ..Default::default()
    })
}

/// A new executor for a silent slot: drawn like the first ones, excluding everyone already
/// on the task.
fn replace(
    ctx: &mut Ctx<'_>,
    task: &Task,
    silent: &Assignment,
    p: &Params,
) -> AppResult<Option<Assignment>> {
    let Some(model) = state::model(ctx, &task.model_id)? else {
        return Ok(None);
    };
    let creator = Address::parse(&task.creator).map_err(AppError::internal)?;
    let height = ctx.block.height;
    let pool: Vec<_> = assign::candidates(ctx, &model, &creator, silent.work, height)?
        .into_iter()
        .filter(|c| !task.assignments.iter().any(|a| a.executor == c.operator))
        .collect();
    let (beacon, absent) = crate::beacon::current(ctx)?;
    let round = task.assignments.len() as u32;
    let proposer = ctx.block.proposer.clone();
    let chosen = assign::draw(
        pool,
        1,
        &assign::task_seed(&beacon, task.id, round),
        &proposer,
        &absent,
    )
    .pop();
    chosen
        .map(|executor| new_slot(ctx, task, executor, silent.replica, true, p))
        .transpose()
}

/// Draws a task's executors in the block after its request (see `beacon`); a task whose
/// executors have all gone since is settled at once (refunded).
pub fn draw(ctx: &mut Ctx<'_>, task: &mut Task, bank: &Escrow) -> AppResult<()> {
    if task.status != TaskStatus::Pending as i32 || !task.assignments.is_empty() {
        return Ok(());
    }
    let params = state::params(ctx)?;
    let Some(model) = state::model(ctx, &task.model_id)? else {
        return settle(ctx, task, &params, bank);
    };
    let creator = Address::parse(&task.creator).map_err(AppError::internal)?;
    let work = capacity::work_of(task.seeds.len(), task.width, task.height, task.steps);
    let pool = assign::candidates(ctx, &model, &creator, work, ctx.block.height)?;
    let (beacon, absent) = crate::beacon::current(ctx)?;
    let proposer = ctx.block.proposer.clone();
    let chosen = assign::draw(
        pool,
        task.replicas as usize,
        &assign::task_seed(&beacon, task.id, 0),
        &proposer,
        &absent,
    );
    let mut slots = Vec::with_capacity(chosen.len());
    for (i, op) in chosen.iter().enumerate() {
        slots.push(new_slot(ctx, task, op.clone(), i as u32, false, &params)?);
    }
    task.assignments = slots;
    events::task_drawn(ctx, task.id, &chosen);
    if chosen.is_empty() {
        settle(ctx, task, &params, bank)?;
    }
    Ok(())
}

/// Hamming distance of two perceptual hashes.
fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Pays agreeing executors, penalises outvoted ones and refunds the rest.
pub fn settle(ctx: &mut Ctx<'_>, task: &mut Task, p: &Params, bank: &Escrow) -> AppResult<()> {
    // Slots that never committed and were not yet handled leave their executors' queues.
    for a in &task.assignments {
        if a.commitment.is_empty() && a.result_height != u64::MAX {
            dequeue(ctx, &a.executor, a.work)?;
        }
    }
    let threshold = state::model(ctx, &task.model_id)?.map_or(0, |m| m.phash_threshold);
    let per_result = amount_of(&task.price_per_result)?;
    let escrow = amount_of(&task.escrow)?;
    // The denom the requester paid in (uglia, or a voucher params accept); pay and refunds go
    // out in it, and the useful-work pool counts what it is worth in uglia.
    let denom = task
        .escrow
        .as_ref()
        .map_or(BASE_DENOM.to_string(), |c| c.denom.clone());
    let rate = state::fee_rate(p, &denom);
    let mut pay: BTreeMap<String, u128> = BTreeMap::new();
    let mut outvoted: Vec<(String, u64)> = Vec::new();
    let mut outcomes = Vec::with_capacity(task.seeds.len());
    let mut agreed_images = 0usize;
    for (i, seed) in task.seeds.iter().enumerate() {
        let results: Vec<(&str, &ImageResult)> = task
            .assignments
            .iter()
            .filter_map(|a| a.results.get(i).map(|r| (a.executor.as_str(), r)))
            .collect();
        // The largest group within the threshold of one member's hash; first member wins ties.
        let best = results
            .iter()
            .map(|(_, c)| {
                let members: Vec<usize> = results
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, r))| distance(r.phash, c.phash) <= threshold)
                    .map(|(j, _)| j)
                    .collect();
                (members, *c)
            })
            .fold(None::<(Vec<usize>, &ImageResult)>, |acc, x| match acc {
                Some(a) if a.0.len() >= x.0.len() => Some(a),
                _ => Some(x),
            });
        let mut outcome = ImageOutcome {
            seed: *seed,
            ..Default::default()
        };
        // A strict majority of the replicas confirms an image. Without one, results nobody
        // contradicted (the other replicas were silent) are still paid: the work was done.
        let confirmed = best
            .as_ref()
            .is_some_and(|(m, _)| m.len().saturating_mul(2) > task.replicas as usize);
        let unopposed = best
            .as_ref()
            .is_some_and(|(m, _)| !m.is_empty() && m.len() == results.len());
        if let Some((members, center)) = best.filter(|_| confirmed || unopposed) {
            if confirmed {
                agreed_images = agreed_images.saturating_add(1);
            } else {
                outcome.unconfirmed = true;
            }
            outcome.output_sha256 = center.output_sha256.clone();
            outcome.phash = center.phash;
            for (j, (op, _)) in results.iter().enumerate() {
                if members.contains(&j) {
                    let owed = pay.entry(op.to_string()).or_default();
                    *owed = owed.checked_add(per_result).ok_or_else(|| {
                        AppError::overflow(format!("pay of {op} for task {}", task.id))
                    })?;
                    outcome.agreeing.push(op.to_string());
                } else {
                    outvoted.push((op.to_string(), *seed));
                }
            }
        }
        outcomes.push(outcome);
    }
    // URLs where each accepted image can be fetched: the blob stores of agreeing executors.
    for o in &mut outcomes {
        if o.output_sha256.is_empty() {
            continue;
        }
        for op in o.agreeing.clone() {
            let addr = Address::parse(&op).map_err(AppError::internal)?;
            if let Some(e) = state::executor(ctx, &addr)? {
                o.urls.push(format!(
                    "{}/blobs/{}",
                    e.blob_url,
                    hex::encode(&o.output_sha256)
                ));
            }
        }
    }
    let mut paid = 0u128;
    for (op, amount) in &pay {
        let to = Address::parse(op).map_err(AppError::internal)?;
        // To the operator's withdraw address: the executor's hot key need not hold its pay.
        let payee = crate::distribution::payee(ctx, &to)?;
        bank.release_coin(
            ctx,
            &payee,
            &Coin::new(&denom, *amount),
            &format!("results of task {}", task.id),
        )?;
        paid = paid
            .checked_add(*amount)
            .ok_or_else(|| AppError::overflow(format!("paid for task {}", task.id)))?;
        update_executor(ctx, op, |e| {
            e.results_accepted = e.results_accepted.saturating_add(1);
            e.quality_bps = e
                .quality_bps
                .saturating_add(p.quality_reward_bps)
                .min(10_000);
        })?;
        // Paid work counts toward the useful-work pool (unless the requester is the
        // executor's own party).
        let e = state::executor(ctx, &to)?;
        let validator = e
            .as_ref()
            .and_then(|e| hex::decode(&e.validator_address).ok())
            .and_then(|b| <[u8; 20]>::try_from(b).ok());
        let requester = Address::parse(&task.creator).map_err(AppError::internal)?;
        crate::distribution::record_work(
            ctx,
            crate::distribution::Work {
                worker: &to,
                validator,
                requester: &requester,
                // A voucher params no longer accept counts for nothing.
                paid: rate.map_or(0, |r| r.worth(*amount)),
                quality_bps: e.map_or(0, |e| e.quality_bps),
                kind: "image",
            },
        )?;
    }
    for (op, seed) in &outvoted {
        events::outvoted(ctx, task.id, op, *seed);
        penalise(ctx, op, p, "outvoted", |e| {
            e.results_outvoted = e.results_outvoted.saturating_add(1);
            p.quality_penalty_outvoted_bps
        })?;
    }
    let refund = escrow.checked_sub(paid).ok_or_else(|| {
        AppError::internal(format!(
            "task {} would pay {paid} from an escrow of {escrow}",
            task.id
        ))
    })?;
    if refund > 0 {
        let creator = Address::parse(&task.creator).map_err(AppError::internal)?;
        bank.release_coin(
            ctx,
            &creator,
            &Coin::new(&denom, refund),
            &format!("the refund of task {}", task.id),
        )?;
    }
    let status = if agreed_images == task.seeds.len() {
        TaskStatus::Completed
    } else if agreed_images > 0 || paid > 0 {
        TaskStatus::Partial
    } else {
        TaskStatus::Refunded
    };
    task.status = status as i32;
    task.outcomes = outcomes;
    task.paid = Some(Coin::new(&denom, paid).to_proto());
    task.refunded = Some(Coin::new(&denom, refund).to_proto());
    task.settled_height = ctx.block.height;
    events::settled(
        ctx,
        task.id,
        status.as_str_name(),
        &format!("{paid}{denom}"),
        &format!("{refund}{denom}"),
    );
    // A task an interchain account requested answers its packet: the settled task (hashes,
    // blob URLs), or why no image came.
    let outcome = if status == TaskStatus::Refunded {
        Err(format!(
            "no image was agreed by height {} (refunded {refund}{denom})",
            ctx.block.height
        ))
    } else {
        Ok(vec![glia_proto::cosmos::Any {
            type_url: "/glia.inference.v1.Task".into(),
            value: prost::Message::encode_to_vec(&*task),
        }])
    };
    crate::ibc::ica::request_settled(ctx, crate::ibc::ica::TASK, task.id, |_| Ok(outcome))
}
