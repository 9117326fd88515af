//! Neuro execution: every check that reads state runs before the first write.
//!
//! Money rules (the README repeats them):
//! - Submission escrows `max_blocks × block_fee + solution_reward` in the `neuro` account.
//! - Solutions are commit-then-reveal: `MsgCommitSolution` publishes a salted hash bound to
//!   the solver, and `MsgSubmitSolution` reveals it from a later block. Commitments are
//!   accepted while the job is open up to its deadline; reveals up to `reveal_blocks` after.
//!   A reveal is accepted when it is valid and better than the best so far, or as good and
//!   committed earlier. Once any commitment exists the creator can no longer cancel.
//! - The first reveal that meets the target closes the job (Solved). Otherwise the job
//!   settles after its reveal window (Expired).
//! - At close the job pays its pot — the block fees of the blocks it was open (from its
//!   start to its deadline or the block it was solved) plus the reward when it is due (target
//!   met, or an optimisation job without a target that has any solution) — in proportion to
//!   each solution's improvement: walking accepted solutions in commitment order from the
//!   energy of the all-false assignment, a solution's improvement is how far it lowered the
//!   best energy. Copying the public best and flipping a bit earns that bit's improvement;
//!   dripping one improvement in small steps earns no more than revealing it at once.
//! - A creator solving its own job is never paid: its shares stay in escrow.
//! - Whatever the escrow still holds when a job closes goes back to its creator.

use super::msgs::{CancelJob, NeuroMsg, ReviewJob, SubmitJob};
use super::problem::{Format, Limits, Problem};
use super::{errors, events, solution, state};
use crate::bank::Escrow;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::Any;
use glia_proto::neuro::v1::{
    Job, JobStatus, MsgCancelJobResponse, MsgReviewJobResponse, MsgSubmitJobResponse, Params,
    ProblemFormat, Review,
};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

/// Executes a checked message; job escrows go through `bank` (the component's own).
pub fn execute(ctx: &mut Ctx<'_>, msg: &NeuroMsg, bank: &Escrow) -> AppResult<Any> {
    match msg {
        NeuroMsg::SubmitJob(m) => submit_job(ctx, m, bank),
        NeuroMsg::CommitSolution(m) => solution::commit_solution(ctx, m),
        NeuroMsg::SubmitSolution(m) => solution::submit_solution(ctx, m),
        NeuroMsg::CancelJob(m) => cancel_job(ctx, m),
        NeuroMsg::ReviewJob(m) => review_job(ctx, m),
    }
}

pub(super) fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

/// An amount of a stored coin (absent is 0).
pub fn amount(c: &Option<ProtoCoin>) -> AppResult<u128> {
    c.as_ref().map_or(Ok(0), |c| {
        crate::coins::parse_amount(&c.amount).map_err(AppError::internal)
    })
}

/// `a` of `denom`.
pub fn coin_in(denom: &str, a: u128) -> Option<ProtoCoin> {
    Some(Coin::new(denom, a).to_proto())
}

/// What a job pays in: its escrow's denom (every coin of a job is in it).
pub fn denom_of(job: &Job) -> &str {
    job.escrow.as_ref().map_or(BASE_DENOM, |c| c.denom.as_str())
}

pub fn status_name(s: i32) -> &'static str {
    JobStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

fn limits(p: &Params) -> Limits {
    Limits {
        max_vars: p.max_vars,
        max_clauses: p.max_clauses.min(u64::from(u32::MAX)) as u32,
        max_literals: p.max_clauses.saturating_mul(16),
    }
}

/// Parses a stored or submitted problem, charging gas per byte and then per unit of size.
pub fn parse_metered(
    ctx: &mut Ctx<'_>,
    params: &Params,
    format: Format,
    text: &str,
) -> AppResult<Problem> {
    ctx.gas.consume(text.len() as u64, "ParseProblemPerByte")?;
    let p = Problem::parse(format, text, &limits(params))
        .map_err(|e| errors::invalid_problem(format!("{} problem: {e}", format.name())))?;
    ctx.gas.consume(
        p.size().saturating_mul(params.verify_gas_per_unit),
        "VerifyPerUnit",
    )?;
    Ok(p)
}

/// Parsed problems of recent jobs, keyed by job id and the sha256 of the text, so repeated
/// reveals (in CheckTx, where a refusal costs nothing, and again in the block) do not parse
/// a large problem each time. Parsing is a pure function of the text, so a hit or a miss
/// changes nothing but time; gas is the same either way.
static PARSED: std::sync::Mutex<Vec<ParsedEntry>> = std::sync::Mutex::new(Vec::new());
/// A job id, the sha256 of its problem text, the parsed problem.
type ParsedEntry = (u64, Vec<u8>, std::sync::Arc<Problem>);
const PARSED_CAPACITY: usize = 16;

/// A stored job's problem, parsed once per process. Charges verification gas per unit of
/// size (the text was paid for per byte at submission).
pub fn parsed_problem(
    ctx: &mut Ctx<'_>,
    params: &Params,
    job: &Job,
) -> AppResult<std::sync::Arc<Problem>> {
    ctx.gas.consume(
        job.size.saturating_mul(params.verify_gas_per_unit),
        "VerifyPerUnit",
    )?;
    // Read (and charged) on a hit too: gas must not depend on what this process has cached,
    // or a node that never checked the tx (one replaying blocks) computes other results.
    let text = state::problem(ctx, job.id)?;
    let hit = |cache: &mut Vec<ParsedEntry>| {
        let i = cache
            .iter()
            .position(|(id, sha, _)| *id == job.id && *sha == job.problem_sha256)?;
        let entry = cache.remove(i);
        let p = entry.2.clone();
        cache.push(entry);
        Some(p)
    };
    if let Some(p) = hit(&mut PARSED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(p);
    }
    let format = format_of(job.format)?;
    // The stored text parsed at submission under params that may since have tightened:
    // a stored job is always parsed with the widest limits.
    let p = std::sync::Arc::new(
        Problem::parse(format, &text, &Limits::LOCAL)
            .map_err(|e| AppError::internal(format!("job {} problem: {e}", job.id)))?,
    );
    let mut cache = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= PARSED_CAPACITY {
        cache.remove(0);
    }
    cache.push((job.id, job.problem_sha256.clone(), p.clone()));
    Ok(p)
}

pub fn format_of(f: i32) -> AppResult<Format> {
    match ProblemFormat::try_from(f) {
        Ok(ProblemFormat::Cnf) => Ok(Format::Cnf),
        Ok(ProblemFormat::Wcnf) => Ok(Format::Wcnf),
        Ok(ProblemFormat::Qubo) => Ok(Format::Qubo),
        _ => Err(AppError::internal(format!("stored job has format {f}"))),
    }
}

/// The proto enum of a problem format.
pub fn proto_format(f: Format) -> ProblemFormat {
    match f {
        Format::Cnf => ProblemFormat::Cnf,
        Format::Wcnf => ProblemFormat::Wcnf,
        Format::Qubo => ProblemFormat::Qubo,
    }
}

fn submit_job(ctx: &mut Ctx<'_>, m: &SubmitJob, bank: &Escrow) -> AppResult<Any> {
    let params = state::params(ctx)?;
    if m.problem.len() as u64 > params.max_problem_bytes {
        return Err(errors::problem_too_large(format!(
            "problem is {} bytes, above the maximum {}",
            m.problem.len(),
            params.max_problem_bytes
        )));
    }
    if m.max_blocks > params.max_blocks {
        return Err(errors::invalid_max_blocks(format!(
            "max_blocks {} above the maximum {}",
            m.max_blocks, params.max_blocks
        )));
    }
    let rate = crate::coins::fee_rate(&params.fee_denoms, &m.denom).ok_or_else(|| {
        errors::fee_denom_not_accepted(format!(
            "the job pays in {}, which jobs cannot pay in; accepted: {}",
            m.denom,
            crate::coins::accepted_denoms(&params.fee_denoms)
        ))
    })?;
    let problem = parse_metered(ctx, &params, m.format, &m.problem)?;
    let decimals = match &problem {
        Problem::Qubo(q) => q.decimals,
        _ => 0,
    };
    let baseline = problem
        .energy_packed(&super::problem::pack(&vec![
            false;
            problem.num_vars() as usize
        ]))
        .map_err(|e| errors::invalid_problem(format!("the all-false assignment: {e}")))?;
    let target = match (&m.target, m.format) {
        (_, Format::Cnf) => Some(0),
        (None, _) => None,
        (Some(t), _) => Some(
            super::problem::parse_energy(t, decimals)
                .map_err(|e| errors::invalid_target(format!("target_energy: {e}")))?,
        ),
    };
    let escrow = m
        .block_fee
        .checked_mul(u128::from(m.max_blocks))
        .and_then(|f| f.checked_add(m.reward))
        .ok_or_else(|| errors::invalid_fee("max_blocks × block_fee + solution_reward overflows"))?;
    let size = problem.size();
    let needs_review = size > params.review_size_threshold;
    if needs_review && params.committee.is_empty() {
        return Err(errors::review_unavailable(format!(
            "problem size {size} is above the review threshold {} and this chain has no review committee",
            params.review_size_threshold
        )));
    }
    // Checks done; from here on only writes.
    let denom = m.denom.as_str();
    bank.hold_coin(
        ctx,
        &m.creator,
        &Coin::new(denom, escrow),
        "a job's fees and reward",
    )?;
    let id = state::next_job_id(ctx)?;
    let height = ctx.block.height;
    let (num_clauses, num_vars) = match &problem {
        Problem::Sat(c) | Problem::MaxSat(c) => (c.num_clauses() as u64, c.num_vars),
        Problem::Qubo(q) => (q.terms.len() as u64, q.num_vars),
    };
    let mut job = Job {
        id,
        creator: m.creator.as_str().to_string(),
        format: proto_format(m.format) as i32,
        problem_sha256: Sha256::digest(m.problem.as_bytes()).to_vec(),
        problem: String::new(),
        num_vars,
        num_clauses,
        size,
        decimals,
        block_fee: coin_in(denom, m.block_fee),
        max_blocks: m.max_blocks,
        solution_reward: coin_in(denom, m.reward),
        has_target: target.is_some(),
        target_energy: target.unwrap_or(0),
        status: JobStatus::Open as i32,
        created_height: height,
        escrow: coin_in(denom, escrow),
        fees_paid: coin_in(denom, 0),
        reward_paid: coin_in(denom, 0),
        refunded: coin_in(denom, 0),
        baseline_energy: baseline,
        // Ranked by the pay's uglia worth, so a voucher's larger numbers buy no place.
        pay_per_unit_micro: (rate.worth(escrow).saturating_mul(1_000_000)
            / std::num::NonZeroU128::new(u128::from(size)).unwrap_or(std::num::NonZeroU128::MIN))
        .min(u128::from(u64::MAX)) as u64,
        ..Default::default()
    };
    if needs_review {
        job.status = JobStatus::AwaitingReview as i32;
        job.review_deadline_height = height.saturating_add(params.review_timeout_blocks);
        ctx.put(state_key_review(job.review_deadline_height, id), vec![])?;
    } else {
        open(ctx, &mut job)?;
    }
    state::set_problem(ctx, id, &m.problem)?;
    ctx.put(state::state_key::by_creator(&job.creator, id), vec![])?;
    state::set_job(ctx, &job)?;
    events::job_submitted(
        ctx,
        id,
        &job.creator,
        m.format.name(),
        size,
        &Coin::new(denom, escrow).to_string(),
        status_name(job.status),
    );
    Ok(any(&MsgSubmitJobResponse {
        job_id: id,
        status: job.status,
    }))
}

fn state_key_review(height: u64, id: u64) -> String {
    state::state_key::review_deadline(height, id)
}

/// Puts a job on the board from this block for `max_blocks` blocks.
fn open(ctx: &mut Ctx<'_>, job: &mut Job) -> AppResult<()> {
    let h = ctx.block.height;
    let reveal_blocks = state::params(ctx)?.reveal_blocks;
    job.status = JobStatus::Open as i32;
    job.start_height = h;
    // max_blocks ≥ 1 (checked at submission); a deadline past u64 never comes.
    job.deadline_height = h.saturating_add(job.max_blocks.saturating_sub(1));
    job.settle_height = job.deadline_height.saturating_add(reveal_blocks);
    ctx.put(state::state_key::open(job.id), vec![])?;
    ctx.put(
        state::state_key::board(job.pay_per_unit_micro, job.id),
        vec![],
    )?;
    ctx.put(
        state::state_key::deadline(job.settle_height, job.id),
        vec![],
    )
}

/// Takes a job off the board (its escrow is refunded at the end of the block).
pub(super) fn close(ctx: &mut Ctx<'_>, job: &mut Job, status: JobStatus) -> AppResult<()> {
    if job.status == JobStatus::Open as i32 {
        ctx.delete(state::state_key::open(job.id))?;
        ctx.delete(state::state_key::board(job.pay_per_unit_micro, job.id))?;
        ctx.delete(state::state_key::deadline(job.settle_height, job.id))?;
    } else if job.status == JobStatus::AwaitingReview as i32 {
        ctx.delete(state_key_review(job.review_deadline_height, job.id))?;
    }
    job.status = status as i32;
    job.closed_height = ctx.block.height;
    ctx.put(state::state_key::closing(job.id), vec![])
}

pub(super) fn load_job(ctx: &mut Ctx<'_>, id: u64) -> AppResult<Job> {
    state::job(ctx, id)?.ok_or_else(|| errors::unknown_job(format!("job {id} does not exist")))
}

fn cancel_job(ctx: &mut Ctx<'_>, c: &CancelJob) -> AppResult<Any> {
    let mut job = load_job(ctx, c.job_id)?;
    if job.creator != c.creator.as_str() {
        return Err(errors::not_creator(format!(
            "job {} belongs to {}, not {}",
            job.id,
            job.creator,
            c.creator.as_str()
        )));
    }
    let open = job.status == JobStatus::Open as i32;
    if !(open || job.status == JobStatus::AwaitingReview as i32) {
        return Err(errors::job_not_open(format!(
            "job {} is {} and can no longer be cancelled",
            job.id,
            status_name(job.status)
        )));
    }
    if job.commitments > 0 {
        return Err(errors::solution_accepted(format!(
            "job {} has {} solution commitments: it runs to its target or deadline",
            job.id, job.commitments
        )));
    }
    let refund = amount(&job.escrow)?;
    close(ctx, &mut job, JobStatus::Cancelled)?;
    state::set_job(ctx, &job)?;
    Ok(any(&MsgCancelJobResponse {
        refunded: coin_in(denom_of(&job), refund),
    }))
}

fn review_job(ctx: &mut Ctx<'_>, r: &ReviewJob) -> AppResult<Any> {
    let params = state::params(ctx)?;
    let reviewer = r.reviewer.as_str().to_string();
    if !params.committee.contains(&reviewer) {
        return Err(errors::not_committee(format!(
            "{reviewer} is not on the review committee"
        )));
    }
    let mut job = load_job(ctx, r.job_id)?;
    if job.status != JobStatus::AwaitingReview as i32 {
        return Err(errors::not_awaiting_review(format!(
            "job {} is {}, not awaiting review",
            job.id,
            status_name(job.status)
        )));
    }
    if job.reviews.iter().any(|v| v.reviewer == reviewer) {
        return Err(errors::already_reviewed(format!(
            "{reviewer} already reviewed job {}",
            job.id
        )));
    }
    job.reviews.push(Review {
        reviewer: reviewer.clone(),
        approve: r.approve,
        reason: r.reason.clone(),
        height: ctx.block.height,
    });
    let approvals = job.reviews.iter().filter(|v| v.approve).count() as u64;
    let rejections = (job.reviews.len() as u64).saturating_sub(approvals);
    let members = params.committee.len() as u64;
    let quorum = u64::from(params.quorum);
    if approvals >= quorum {
        ctx.delete(state_key_review(job.review_deadline_height, job.id))?;
        open(ctx, &mut job)?;
    } else if rejections > members.saturating_sub(quorum) {
        close(ctx, &mut job, JobStatus::Rejected)?;
    }
    state::set_job(ctx, &job)?;
    events::job_reviewed(ctx, job.id, &reviewer, r.approve, status_name(job.status));
    Ok(any(&MsgReviewJobResponse { status: job.status }))
}
