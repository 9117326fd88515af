//! Neuro genesis, end of block (block fees, closing, deadlines) and the escrow invariant.

use super::handler::{amount, coin, pay_reward, status_name};
use super::{events, state, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::neuro::v1::{Job, JobStatus, Params, ProblemFormat};
use serde::{Deserialize, Serialize};

/// `app_state.neuro`; params left out keep their defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub params: Option<GenesisParams>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParams {
    pub max_problem_bytes: Option<u64>,
    pub max_vars: Option<u32>,
    pub max_clauses: Option<u64>,
    pub max_blocks: Option<u64>,
    pub review_size_threshold: Option<u64>,
    pub committee: Option<Vec<String>>,
    pub quorum: Option<u32>,
    pub review_timeout_blocks: Option<u64>,
    pub verify_gas_per_unit: Option<u64>,
}

fn check_params(p: &Params) -> AppResult<()> {
    let bad = |m: String| Err(AppError::invalid_request(format!("neuro params: {m}")));
    if p.max_problem_bytes == 0 || p.max_problem_bytes as usize > super::msgs::MAX_PROBLEM_BYTES_CAP
    {
        return bad(format!(
            "max_problem_bytes must be 1 to {}",
            super::msgs::MAX_PROBLEM_BYTES_CAP
        ));
    }
    if p.max_vars == 0 || p.max_clauses == 0 || p.max_blocks == 0 || p.review_timeout_blocks == 0 {
        return bad(
            "max_vars, max_clauses, max_blocks and review_timeout_blocks must be positive".into(),
        );
    }
    for m in &p.committee {
        if let Err(e) = Address::parse(m) {
            return bad(format!("committee member {m:?}: {e}"));
        }
    }
    if !p.committee.is_empty() && (p.quorum == 0 || p.quorum as usize > p.committee.len()) {
        return bad(format!(
            "quorum {} must be 1 to the committee's {} members",
            p.quorum,
            p.committee.len()
        ));
    }
    Ok(())
}

pub fn init_genesis(ctx: &mut Ctx<'_>, g: &Genesis) -> AppResult<()> {
    let mut p = state::default_params();
    if let Some(gp) = &g.params {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = gp.$f.clone() { p.$f = v; })* };
        }
        set!(
            max_problem_bytes,
            max_vars,
            max_clauses,
            max_blocks,
            review_size_threshold,
            committee,
            quorum,
            review_timeout_blocks,
            verify_gas_per_unit
        );
    }
    check_params(&p)?;
    state::set_params(ctx, &p)?;
    crate::auth::ensure_account(ctx, &Address::module(MODULE_ACCOUNT))?;
    Ok(())
}

fn job(ctx: &mut Ctx<'_>, id: u64) -> AppResult<Job> {
    state::job(ctx, id)?
        .ok_or_else(|| AppError::internal(format!("indexed job {id} has no record")))
}

/// Pays each job's block fee to the distinct solvers (other than its creator) whose
/// improving solutions landed in this block.
fn pay_block_fees(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let keys: Vec<String> = ctx
        .scan(state::state_key::IMPROVED_PREFIX)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut by_job: Vec<(u64, Vec<u64>)> = Vec::new();
    for k in &keys {
        let rest = &k[state::state_key::IMPROVED_PREFIX.len()..];
        let (j, i) = rest
            .split_once('/')
            .and_then(|(j, i)| Some((j.parse().ok()?, i.parse().ok()?)))
            .ok_or_else(|| AppError::internal(format!("malformed key {k:?}")))?;
        match by_job.last_mut() {
            Some((last, v)) if *last == j => v.push(i),
            _ => by_job.push((j, vec![i])),
        }
        ctx.delete(k.clone())?;
    }
    for (id, indices) in by_job {
        let mut job = job(ctx, id)?;
        let fee = amount(&job.block_fee)?;
        let mut sols = Vec::with_capacity(indices.len());
        for i in indices {
            let s = state::solution(ctx, id, i)?
                .ok_or_else(|| AppError::internal(format!("job {id} solution {i} missing")))?;
            sols.push(s);
        }
        // Distinct solvers in order of their first improvement in the block.
        let mut paid: Vec<String> = Vec::new();
        for s in &sols {
            if s.solver != job.creator && !paid.contains(&s.solver) {
                paid.push(s.solver.clone());
            }
        }
        if fee == 0 || paid.is_empty() {
            continue;
        }
        let Some(solvers) = std::num::NonZeroU128::new(paid.len() as u128) else {
            continue;
        };
        let share = fee / solvers;
        if share == 0 {
            continue;
        }
        for who in &paid {
            let to = Address::parse(who).map_err(AppError::internal)?;
            bank::transfer(
                ctx,
                &Address::module(MODULE_ACCOUNT),
                &to,
                &[Coin::new(BASE_DENOM, share)],
            )?;
        }
        // share × solvers ≤ fee.
        let total = share.saturating_mul(solvers.get());
        let left = amount(&job.escrow)?.checked_sub(total).ok_or_else(|| {
            AppError::internal(format!("job {id} escrow cannot pay its block fee"))
        })?;
        job.escrow = coin(left);
        job.fees_paid = coin(
            amount(&job.fees_paid)?
                .checked_add(total)
                .ok_or_else(|| AppError::overflow(format!("job {id} fees paid")))?,
        );
        // Each solver's share is recorded on its first improving solution of the block.
        let mut recorded: Vec<String> = Vec::new();
        for mut s in sols {
            if paid.contains(&s.solver) && !recorded.contains(&s.solver) {
                s.fee_share = share.to_string();
                recorded.push(s.solver.clone());
                state::set_solution(ctx, &s)?;
            }
        }
        state::set_job(ctx, &job)?;
        events::block_fee_paid(ctx, id, &Coin::new(BASE_DENOM, share).to_string(), &paid);
    }
    Ok(())
}

/// Refunds what a closed job's escrow still holds to its creator.
fn refund(ctx: &mut Ctx<'_>, job: &mut Job) -> AppResult<()> {
    let left = amount(&job.escrow)?;
    if left > 0 {
        let to = Address::parse(&job.creator).map_err(AppError::internal)?;
        bank::transfer(
            ctx,
            &Address::module(MODULE_ACCOUNT),
            &to,
            &[Coin::new(BASE_DENOM, left)],
        )?;
    }
    job.escrow = coin(0);
    job.refunded = coin(
        amount(&job.refunded)?
            .checked_add(left)
            .ok_or_else(|| AppError::overflow(format!("job {} refund", job.id)))?,
    );
    state::set_job(ctx, job)?;
    events::job_closed(
        ctx,
        job.id,
        status_name(job.status),
        &job.winner,
        &Coin::new(BASE_DENOM, amount(&job.reward_paid)?).to_string(),
        &Coin::new(BASE_DENOM, left).to_string(),
    );
    Ok(())
}

pub fn end_block(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let height = ctx.block.height;
    pay_block_fees(ctx)?;
    // Jobs that reached their deadline with this block.
    for id in state::ids(ctx, &state::state_key::deadline_prefix(height))? {
        ctx.delete(state::state_key::deadline(height, id))?;
        let mut job = job(ctx, id)?;
        if job.status != JobStatus::Open as i32 {
            continue;
        }
        ctx.delete(state::state_key::open(id))?;
        let optimisation = job.format != ProblemFormat::Cnf as i32;
        if optimisation && !job.has_target && job.has_best {
            let best = job.best_solver.clone();
            pay_reward(ctx, &mut job, &best)?;
        }
        job.status = JobStatus::Expired as i32;
        job.closed_height = height;
        refund(ctx, &mut job)?;
    }
    // Jobs the committee did not review in time.
    for id in state::ids(ctx, &state::state_key::review_deadline_prefix(height))? {
        ctx.delete(state::state_key::review_deadline(height, id))?;
        let mut job = job(ctx, id)?;
        if job.status != JobStatus::AwaitingReview as i32 {
            continue;
        }
        job.status = JobStatus::ReviewExpired as i32;
        job.closed_height = height;
        refund(ctx, &mut job)?;
    }
    // Jobs solved, cancelled or rejected during this block.
    for id in state::ids(ctx, state::state_key::CLOSING_PREFIX)? {
        ctx.delete(state::state_key::closing(id))?;
        let mut job = job(ctx, id)?;
        refund(ctx, &mut job)?;
    }
    Ok(())
}

/// The module account holds exactly the escrows of jobs not yet closed.
pub fn check_invariants(ctx: &mut Ctx<'_>) -> AppResult<()> {
    let mut owed = 0u128;
    let mut ids = state::open_job_ids(ctx)?;
    for (k, _) in ctx.scan(state::state_key::REVIEW_DEADLINE_PREFIX)? {
        ids.push(state::trailing_id(&k)?);
    }
    for id in ids {
        let j = job(ctx, id)?;
        if j.status != JobStatus::Open as i32 && j.status != JobStatus::AwaitingReview as i32 {
            return Err(AppError::internal(format!(
                "job {id} is indexed as live but is {}",
                status_name(j.status)
            )));
        }
        owed = owed
            .checked_add(amount(&j.escrow)?)
            .ok_or_else(|| AppError::overflow("the escrows of live jobs"))?;
    }
    let held = bank::state::balance(ctx, &Address::module(MODULE_ACCOUNT), BASE_DENOM)?;
    if held != owed {
        return Err(AppError::internal(format!(
            "neuro escrow invariant broken: module holds {held}{BASE_DENOM}, live jobs escrow {owed}{BASE_DENOM}"
        )));
    }
    Ok(())
}
