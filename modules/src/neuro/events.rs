//! Neuro events; attributes are indexed so workers and creators can search for their jobs.

use crate::context::Ctx;

pub fn job_submitted(
    ctx: &mut Ctx<'_>,
    id: u64,
    creator: &str,
    format: &str,
    size: u64,
    escrow: &str,
    status: &str,
) {
    ctx.emit(
        "submit_job",
        &[
            ("job_id", id.to_string()),
            ("creator", creator.to_string()),
            ("format", format.to_string()),
            ("size", size.to_string()),
            ("escrow", escrow.to_string()),
            ("status", status.to_string()),
        ],
    );
}

pub fn solution_accepted(
    ctx: &mut Ctx<'_>,
    id: u64,
    solver: &str,
    index: u64,
    energy: i64,
    met_target: bool,
) {
    ctx.emit(
        "solution_accepted",
        &[
            ("job_id", id.to_string()),
            ("solver", solver.to_string()),
            ("index", index.to_string()),
            ("energy", energy.to_string()),
            ("met_target", met_target.to_string()),
        ],
    );
}

pub fn solution_committed(ctx: &mut Ctx<'_>, id: u64, solver: &str, rank: u64) {
    ctx.emit(
        "solution_committed",
        &[
            ("job_id", id.to_string()),
            ("solver", solver.to_string()),
            ("rank", rank.to_string()),
        ],
    );
}

/// A solution's pay at its job's close: its improvement's share of the pot.
pub fn solution_paid(ctx: &mut Ctx<'_>, id: u64, solver: &str, improvement: u64, paid: &str) {
    ctx.emit(
        "solution_paid",
        &[
            ("job_id", id.to_string()),
            ("solver", solver.to_string()),
            ("improvement", improvement.to_string()),
            ("paid", paid.to_string()),
        ],
    );
}

pub fn job_closed(
    ctx: &mut Ctx<'_>,
    id: u64,
    status: &str,
    winner: &str,
    reward: &str,
    refunded: &str,
) {
    ctx.emit(
        "job_closed",
        &[
            ("job_id", id.to_string()),
            ("status", status.to_string()),
            ("winner", winner.to_string()),
            ("reward", reward.to_string()),
            ("refunded", refunded.to_string()),
        ],
    );
}

pub fn job_reviewed(ctx: &mut Ctx<'_>, id: u64, reviewer: &str, approve: bool, status: &str) {
    ctx.emit(
        "review_job",
        &[
            ("job_id", id.to_string()),
            ("reviewer", reviewer.to_string()),
            ("approve", approve.to_string()),
            ("status", status.to_string()),
        ],
    );
}
