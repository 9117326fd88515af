//! Solutions, commit then reveal: `MsgCommitSolution` publishes a salted hash bound to the
//! solver, `MsgSubmitSolution` reveals it from a later block and is verified exactly (the money
//! rules are in `handler`).

use super::handler::{any, close, load_job, parsed_problem, status_name};
use super::msgs::{solution_commitment, CommitSolution, SubmitSolution};
use super::{errors, events, state};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::Any;
use glia_proto::neuro::v1::{
    Job, JobStatus, MsgCommitSolutionResponse, MsgSubmitSolutionResponse, Solution,
    SolutionCommitment,
};

pub(super) fn commit_solution(ctx: &mut Ctx<'_>, c: &CommitSolution) -> AppResult<Any> {
    let mut job = load_job(ctx, c.job_id)?;
    let height = ctx.block.height;
    if job.status != JobStatus::Open as i32 || height > job.deadline_height {
        return Err(errors::job_not_open(format!(
            "job {} is {}{}: it takes no more commitments",
            job.id,
            status_name(job.status),
            if job.status == JobStatus::Open as i32 {
                format!(
                    " and its deadline {} has passed (reveals only until {})",
                    job.deadline_height, job.settle_height
                )
            } else {
                String::new()
            }
        )));
    }
    let rank = job
        .commitments
        .checked_add(1)
        .ok_or_else(|| AppError::overflow("a job's commitments"))?;
    job.commitments = rank;
    let solver = c.solver.as_str().to_string();
    state::set_commitment(
        ctx,
        &SolutionCommitment {
            job_id: job.id,
            solver: solver.clone(),
            commitment: c.commitment.to_vec(),
            height,
            rank,
        },
    )?;
    state::set_job(ctx, &job)?;
    events::solution_committed(ctx, job.id, &solver, rank);
    Ok(any(&MsgCommitSolutionResponse { rank }))
}

/// Whether a reveal of `energy` at commitment `rank` beats the best so far: lower, or
/// equal and committed earlier (so a copy revealed first loses to the original).
fn beats_best(job: &Job, energy: i64, rank: u64) -> bool {
    !job.has_best || energy < job.best_energy || (energy == job.best_energy && rank < job.best_rank)
}

pub(super) fn submit_solution(ctx: &mut Ctx<'_>, s: &SubmitSolution) -> AppResult<Any> {
    let params = state::params(ctx)?;
    let mut job = load_job(ctx, s.job_id)?;
    if job.status != JobStatus::Open as i32 {
        return Err(errors::job_not_open(format!(
            "job {} is {}, not open for solutions",
            job.id,
            status_name(job.status)
        )));
    }
    let solver = s.solver.as_str().to_string();
    // The cheap checks first: no problem is parsed for a reveal without its commitment.
    let commit = state::commitment(ctx, job.id, &solver)?.ok_or_else(|| {
        errors::no_commitment(format!(
            "{solver} has no commitment for job {}: send MsgCommitSolution first and reveal \
             from a later block",
            job.id
        ))
    })?;
    if commit.height >= ctx.block.height {
        return Err(errors::reveal_too_early(format!(
            "job {}: the commitment is from block {}; reveal it from block {} on",
            job.id,
            commit.height,
            commit.height.saturating_add(1)
        )));
    }
    let expected = solution_commitment(job.id, &solver, s.claimed_energy, &s.assignment, &s.salt);
    if commit.commitment != expected {
        return Err(errors::commitment_mismatch(format!(
            "job {}: the revealed energy, assignment and salt do not hash to {solver}'s \
             commitment",
            job.id
        )));
    }
    if !beats_best(&job, s.claimed_energy, commit.rank) {
        return Err(errors::not_improving(format!(
            "job {}: energy {} (commitment {}) does not improve on the best so far, {} \
             (commitment {})",
            job.id, s.claimed_energy, commit.rank, job.best_energy, job.best_rank
        )));
    }
    let problem = parsed_problem(ctx, &params, &job)?;
    let energy = problem
        .energy_packed(&s.assignment)
        .map_err(|e| errors::invalid_assignment(format!("job {}: {e}", job.id)))?;
    if energy != s.claimed_energy {
        return Err(errors::energy_mismatch(format!(
            "job {}: claimed energy {} but the assignment's energy is {energy}",
            job.id, s.claimed_energy
        )));
    }
    let met = job.has_target && energy <= job.target_energy;
    let index = job.solutions;
    state::set_solution(
        ctx,
        &Solution {
            job_id: job.id,
            index,
            solver: solver.clone(),
            assignment: s.assignment.clone(),
            energy,
            height: ctx.block.height,
            paid: "0".into(),
            met_target: met,
            rank: commit.rank,
            improvement: 0,
        },
    )?;
    ctx.delete(state::state_key::commitment(job.id, &solver))?;
    job.solutions = job.solutions.saturating_add(1);
    job.has_best = true;
    job.best_energy = energy;
    job.best_solver = solver.clone();
    job.best_rank = commit.rank;
    if met {
        close(ctx, &mut job, JobStatus::Solved)?;
    }
    state::set_job(ctx, &job)?;
    events::solution_accepted(ctx, job.id, &solver, index, energy, met);
    Ok(any(&MsgSubmitSolutionResponse {
        index,
        met_target: met,
    }))
}
