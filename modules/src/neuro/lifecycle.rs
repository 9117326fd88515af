//! Neuro genesis, end of block (block fees, closing, deadlines) and the escrow invariant.

use super::handler::{amount, coin_in, denom_of, status_name};
use super::{events, state, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank::Escrow;
use crate::coins::Coin;
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
    pub reveal_blocks: Option<u64>,
    /// Vouchers jobs may pay in besides uglia, each at a fixed rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_denoms: Option<Vec<crate::coins::GenesisFeeDenom>>,
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
    if p.max_vars == 0
        || p.max_clauses == 0
        || p.max_blocks == 0
        || p.review_timeout_blocks == 0
        || p.reveal_blocks == 0
    {
        return bad(
            "max_vars, max_clauses, max_blocks, review_timeout_blocks and reveal_blocks must be \
             positive"
                .into(),
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
    if let Err(e) = crate::coins::check_fee_denoms(&p.fee_denoms) {
        return bad(e);
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
            verify_gas_per_unit,
            reveal_blocks
        );
        if let Some(fds) = &gp.fee_denoms {
            p.fee_denoms = crate::coins::fee_denoms_from_genesis(fds);
        }
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

/// floor(a × b / c) without overflow, for b ≤ c < 2^64.
fn mul_div(a: u128, b: u64, c: u64) -> AppResult<u128> {
    let (b, c) = (u128::from(b), u128::from(c));
    let c = std::num::NonZeroU128::new(c).ok_or_else(|| AppError::internal("divide by zero"))?;
    let (q, r) = (a / c, a % c);
    q.checked_mul(b)
        .and_then(|x| x.checked_add(r.checked_mul(b)? / c))
        .ok_or_else(|| AppError::overflow("a solution's share"))
}

/// Pays a Solved or Expired job's pot to its solutions by improvement (the rule in
/// `handler`'s module comment), and drops its pending commitments.
fn settle(ctx: &mut Ctx<'_>, job: &mut Job, bank: &Escrow) -> AppResult<()> {
    for (k, _) in ctx.scan(&state::state_key::commitments_prefix(job.id))? {
        ctx.delete(k)?;
    }
    let solved = job.status == JobStatus::Solved as i32;
    if !(solved || job.status == JobStatus::Expired as i32) || !job.has_best {
        return Ok(());
    }
    let last = if solved {
        job.closed_height.min(job.deadline_height)
    } else {
        job.deadline_height
    };
    let blocks = last.saturating_sub(job.start_height).saturating_add(1);
    let denom = denom_of(job).to_string();
    let rate = crate::coins::fee_rate(&state::params(ctx)?.fee_denoms, &denom);
    let pool = amount(&job.block_fee)?
        .checked_mul(u128::from(blocks))
        .ok_or_else(|| AppError::overflow(format!("job {} block fees", job.id)))?;
    let optimisation = job.format != ProblemFormat::Cnf as i32;
    let reward = if solved || (optimisation && !job.has_target) {
        amount(&job.solution_reward)?
    } else {
        0
    };
    let mut sols: Vec<_> = state::solutions(ctx, job.id)?
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    sols.sort_by_key(|s| (s.rank, s.index));
    let mut running = i128::from(job.baseline_energy);
    let mut total: u64 = 0;
    for s in &mut sols {
        let e = i128::from(s.energy);
        s.improvement = if e < running {
            let d = u64::try_from(running.saturating_sub(e)).unwrap_or(u64::MAX);
            running = e;
            d
        } else {
            0
        };
        total = total
            .checked_add(s.improvement)
            .ok_or_else(|| AppError::overflow(format!("job {} improvements", job.id)))?;
    }
    if total == 0 {
        return Ok(());
    }
    let (mut fees_paid, mut reward_paid) = (0u128, 0u128);
    for s in &mut sols {
        if s.improvement == 0 {
            continue;
        }
        let fee_part = mul_div(pool, s.improvement, total)?;
        let reward_part = mul_div(reward, s.improvement, total)?;
        // Both parts are floors of shares of the escrow: their sums stay within it.
        let paid = fee_part.saturating_add(reward_part);
        if s.solver != job.creator && paid > 0 {
            let to = Address::parse(&s.solver).map_err(AppError::internal)?;
            let payee = crate::distribution::payee(ctx, &to)?;
            bank.release_coin(
                ctx,
                &payee,
                &Coin::new(&denom, paid),
                &format!("a solution to job {}", job.id),
            )?;
            // Solvers have no quality record: their improvement is what they are paid by.
            let requester = Address::parse(&job.creator).map_err(AppError::internal)?;
            crate::distribution::record_work(
                ctx,
                crate::distribution::Work {
                    worker: &to,
                    validator: None,
                    requester: &requester,
                    // Its uglia worth (a voucher params no longer accept: nothing).
                    paid: rate.map_or(0, |r| r.worth(paid)),
                    quality_bps: 10_000,
                    kind: "job",
                },
            )?;
            fees_paid = fees_paid.saturating_add(fee_part);
            reward_paid = reward_paid.saturating_add(reward_part);
            s.paid = paid.to_string();
        }
        state::set_solution(ctx, s)?;
        events::solution_paid(ctx, job.id, &s.solver, s.improvement, &s.paid);
    }
    let spent = fees_paid.saturating_add(reward_paid);
    job.escrow = coin_in(
        &denom,
        amount(&job.escrow)?.checked_sub(spent).ok_or_else(|| {
            AppError::internal(format!("job {} escrow cannot pay {spent}", job.id))
        })?,
    );
    job.fees_paid = coin_in(&denom, fees_paid);
    job.reward_paid = coin_in(&denom, reward_paid);
    if reward > 0 {
        job.winner = job.best_solver.clone();
    }
    Ok(())
}

/// Settles a closed job and refunds what its escrow still holds to its creator.
fn refund(ctx: &mut Ctx<'_>, job: &mut Job, bank: &Escrow) -> AppResult<()> {
    settle(ctx, job, bank)?;
    let left = amount(&job.escrow)?;
    let denom = denom_of(job).to_string();
    if left > 0 {
        let to = Address::parse(&job.creator).map_err(AppError::internal)?;
        bank.release_coin(
            ctx,
            &to,
            &Coin::new(&denom, left),
            &format!("the refund of job {}", job.id),
        )?;
    }
    job.escrow = coin_in(&denom, 0);
    job.refunded = coin_in(
        &denom,
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
        &Coin::new(&denom, amount(&job.reward_paid)?).to_string(),
        &Coin::new(&denom, left).to_string(),
    );
    ica_outcome(ctx, job)
}

/// A job an interchain account posted answers its packet: the closed job and its best
/// solution (assignment and energy) when one was found, else why it closed without one.
fn ica_outcome(ctx: &mut Ctx<'_>, job: &Job) -> AppResult<()> {
    crate::ibc::ica::request_settled(ctx, crate::ibc::ica::JOB, job.id, |ctx| {
        let found = job.has_best
            && (job.status == JobStatus::Solved as i32 || job.status == JobStatus::Expired as i32);
        if !found {
            return Ok(Err(format!(
                "closed {} at height {} without a solution",
                status_name(job.status).trim_start_matches("JOB_STATUS_"),
                job.closed_height
            )));
        }
        let best = state::solutions(ctx, job.id)?
            .into_iter()
            .map(|(_, s)| s)
            .find(|s| s.rank == job.best_rank && s.energy == job.best_energy);
        let mut out = vec![glia_proto::cosmos::Any {
            type_url: "/glia.neuro.v1.Job".into(),
            value: prost::Message::encode_to_vec(job),
        }];
        out.extend(best.map(|s| glia_proto::cosmos::Any {
            type_url: "/glia.neuro.v1.Solution".into(),
            value: prost::Message::encode_to_vec(&s),
        }));
        Ok(Ok(out))
    })
}

pub fn end_block(ctx: &mut Ctx<'_>, bank: &Escrow) -> AppResult<()> {
    let height = ctx.block.height;
    // Jobs whose reveal window closed with this block.
    for id in state::ids(ctx, &state::state_key::deadline_prefix(height))? {
        ctx.delete(state::state_key::deadline(height, id))?;
        let mut job = job(ctx, id)?;
        if job.status != JobStatus::Open as i32 {
            continue;
        }
        ctx.delete(state::state_key::open(id))?;
        ctx.delete(state::state_key::board(job.pay_per_unit_micro, id))?;
        job.status = JobStatus::Expired as i32;
        job.closed_height = height;
        refund(ctx, &mut job, bank)?;
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
        refund(ctx, &mut job, bank)?;
    }
    // Jobs solved, cancelled or rejected during this block.
    for id in state::ids(ctx, state::state_key::CLOSING_PREFIX)? {
        ctx.delete(state::state_key::closing(id))?;
        let mut job = job(ctx, id)?;
        refund(ctx, &mut job, bank)?;
    }
    Ok(())
}

/// The module account holds exactly the escrows of jobs not yet closed, denom by denom.
pub fn check_invariants(ctx: &mut Ctx<'_>, bank: &Escrow) -> AppResult<()> {
    let mut owed = std::collections::BTreeMap::<String, u128>::new();
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
        let sum = owed.entry(denom_of(&j).to_string()).or_default();
        *sum = sum
            .checked_add(amount(&j.escrow)?)
            .ok_or_else(|| AppError::overflow("the escrows of live jobs"))?;
    }
    bank.check_coins(ctx, &owed, "live jobs")
}
