//! Neuro messages and their stateless checks (those that need no params or state).

use super::errors;
use super::problem::Format;
use crate::address::Address;
use crate::coins::{parse_coins, Coin};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::Any;
use glia_proto::neuro::v1::{
    MsgCancelJob, MsgCommitSolution, MsgReviewJob, MsgSubmitJob, MsgSubmitSolution, ProblemFormat,
};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

/// Caps that hold whatever the params say, so a decoder never holds absurd input.
pub const MAX_PROBLEM_BYTES_CAP: usize = 1 << 20;
pub const MAX_ASSIGNMENT_BYTES_CAP: usize = 1 << 20;
pub const MAX_TARGET_BYTES: usize = 64;
pub const MAX_REASON_BYTES: usize = 512;
/// A reveal's salt: long enough that a small problem's assignments cannot be tried against
/// a commitment one by one.
pub const SALT_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

/// The commitment a solver publishes before revealing a solution: sha256 over a domain tag,
/// the job, the solver (so nobody else can reveal it), the energy, the assignment and a
/// secret salt, each length-prefixed.
pub fn solution_commitment(
    job_id: u64,
    solver: &str,
    claimed_energy: i64,
    assignment: &[u8],
    salt: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"glia/neuro/solution-commitment/v1");
    h.update(job_id.to_be_bytes());
    for part in [solver.as_bytes(), assignment, salt] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(claimed_energy.to_be_bytes());
    h.finalize().into()
}

#[derive(Clone, Debug)]
pub struct SubmitJob {
    pub creator: Address,
    pub format: Format,
    pub problem: String,
    /// What the fee and reward are paid in: uglia or a voucher (params decide which).
    pub denom: String,
    /// 0 when no block fee is offered.
    pub block_fee: u128,
    pub max_blocks: u64,
    pub reward: u128,
    /// The target as written; scaled once the problem is parsed.
    pub target: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CommitSolution {
    pub solver: Address,
    pub job_id: u64,
    pub commitment: [u8; 32],
}

#[derive(Clone, Debug)]
pub struct SubmitSolution {
    pub solver: Address,
    pub job_id: u64,
    pub assignment: Vec<u8>,
    pub claimed_energy: i64,
    pub salt: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct CancelJob {
    pub creator: Address,
    pub job_id: u64,
}

#[derive(Clone, Debug)]
pub struct ReviewJob {
    pub reviewer: Address,
    pub job_id: u64,
    pub approve: bool,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub enum NeuroMsg {
    SubmitJob(Box<SubmitJob>),
    CommitSolution(CommitSolution),
    SubmitSolution(Box<SubmitSolution>),
    CancelJob(CancelJob),
    ReviewJob(ReviewJob),
}

fn address(s: &str, role: &str) -> AppResult<Address> {
    Address::parse(s).map_err(|e| AppError::invalid_address(format!("invalid {role} address: {e}")))
}

/// An optional coin: absent or zero is none. Its denom is checked against params when the
/// job is submitted (uglia, or a voucher the params accept).
fn fee(
    c: &Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> AppResult<Option<Coin>> {
    let Some(c) = c else { return Ok(None) };
    if c.amount == "0" {
        return Ok(None);
    }
    let mut coins: Vec<Coin> = parse_coins(std::slice::from_ref(c), false)
        .map_err(|e| errors::invalid_fee(format!("{what}: {}", e.log)))?;
    Ok(coins.pop())
}

fn check_submit_job(m: MsgSubmitJob) -> AppResult<SubmitJob> {
    let creator = address(&m.creator, "creator")?;
    let format = match ProblemFormat::try_from(m.format) {
        Ok(ProblemFormat::Cnf) => Format::Cnf,
        Ok(ProblemFormat::Wcnf) => Format::Wcnf,
        Ok(ProblemFormat::Qubo) => Format::Qubo,
        _ => {
            return Err(errors::invalid_format(format!(
                "format {} is not CNF (1), WCNF (2) or QUBO (3)",
                m.format
            )))
        }
    };
    if m.problem.trim().is_empty() {
        return Err(errors::invalid_problem("problem is empty"));
    }
    if m.problem.len() > MAX_PROBLEM_BYTES_CAP {
        return Err(errors::problem_too_large(format!(
            "problem is {} bytes, above the cap of {MAX_PROBLEM_BYTES_CAP}",
            m.problem.len()
        )));
    }
    let (block_fee, reward) = (
        fee(&m.block_fee, "block_fee")?,
        fee(&m.solution_reward, "solution_reward")?,
    );
    let denom = match (&block_fee, &reward) {
        (None, None) => {
            return Err(errors::invalid_fee(
                "a job must pay something: block_fee and solution_reward are both zero",
            ))
        }
        (Some(f), Some(r)) if f.denom != r.denom => {
            return Err(errors::invalid_fee(format!(
                "block_fee is in {} and solution_reward in {}: a job pays in one denom",
                f.denom, r.denom
            )))
        }
        (Some(c), _) | (None, Some(c)) => c.denom.clone(),
    };
    let (block_fee, reward) = (
        block_fee.map_or(0, |c| c.amount),
        reward.map_or(0, |c| c.amount),
    );
    if m.max_blocks == 0 {
        return Err(errors::invalid_max_blocks("max_blocks must be at least 1"));
    }
    let target = match m.target_energy.trim() {
        "" => None,
        t if format == Format::Cnf => {
            return Err(errors::invalid_target(format!(
                "target_energy {t:?} given for a CNF job, whose target is always every clause"
            )))
        }
        t if t.len() > MAX_TARGET_BYTES => {
            return Err(errors::invalid_target("target_energy is over 64 bytes"))
        }
        t => Some(t.to_string()),
    };
    Ok(SubmitJob {
        creator,
        format,
        problem: m.problem,
        denom,
        block_fee,
        max_blocks: m.max_blocks,
        reward,
        target,
    })
}

fn check_submit_solution(m: MsgSubmitSolution) -> AppResult<SubmitSolution> {
    let solver = address(&m.solver, "solver")?;
    if m.assignment.is_empty() || m.assignment.len() > MAX_ASSIGNMENT_BYTES_CAP {
        return Err(errors::invalid_assignment(format!(
            "assignment is {} bytes: it must hold 1 to {MAX_ASSIGNMENT_BYTES_CAP} bytes",
            m.assignment.len()
        )));
    }
    if !SALT_BYTES.contains(&m.salt.len()) {
        return Err(errors::invalid_salt(format!(
            "salt is {} bytes: it must hold {} to {} bytes",
            m.salt.len(),
            SALT_BYTES.start(),
            SALT_BYTES.end()
        )));
    }
    Ok(SubmitSolution {
        solver,
        job_id: m.job_id,
        assignment: m.assignment,
        claimed_energy: m.claimed_energy,
        salt: m.salt,
    })
}

fn check_commit_solution(m: MsgCommitSolution) -> AppResult<CommitSolution> {
    let commitment = <[u8; 32]>::try_from(m.commitment.as_slice()).map_err(|_| {
        errors::invalid_commitment(format!(
            "commitment is {} bytes, not a 32-byte sha256",
            m.commitment.len()
        ))
    })?;
    Ok(CommitSolution {
        solver: address(&m.solver, "solver")?,
        job_id: m.job_id,
        commitment,
    })
}

fn check_review(m: MsgReviewJob) -> AppResult<ReviewJob> {
    if m.reason.len() > MAX_REASON_BYTES {
        return Err(errors::invalid_reason(format!(
            "reason is {} bytes, above {MAX_REASON_BYTES}",
            m.reason.len()
        )));
    }
    Ok(ReviewJob {
        reviewer: address(&m.reviewer, "reviewer")?,
        job_id: m.job_id,
        approve: m.approve,
        reason: m.reason,
    })
}

fn decode<M: Message + Name + Default, T>(
    any: &Any,
    check: impl FnOnce(M) -> AppResult<T>,
) -> AppResult<T> {
    M::decode(any.value.as_slice())
        .map_err(|e| AppError::tx_decode(format!("{}: {e}", M::NAME)))
        .and_then(check)
}

impl NeuroMsg {
    /// Decodes and checks an `Any` if it is a neuro message; `None` otherwise.
    pub fn decode(any: &Any) -> Option<AppResult<NeuroMsg>> {
        let t = any.type_url.as_str();
        Some(if t == MsgSubmitJob::type_url() {
            decode(any, check_submit_job).map(|m| NeuroMsg::SubmitJob(Box::new(m)))
        } else if t == MsgCommitSolution::type_url() {
            decode(any, check_commit_solution).map(NeuroMsg::CommitSolution)
        } else if t == MsgSubmitSolution::type_url() {
            decode(any, check_submit_solution).map(|m| NeuroMsg::SubmitSolution(Box::new(m)))
        } else if t == MsgCancelJob::type_url() {
            decode(any, |m: MsgCancelJob| {
                Ok(CancelJob {
                    creator: address(&m.creator, "creator")?,
                    job_id: m.job_id,
                })
            })
            .map(NeuroMsg::CancelJob)
        } else if t == MsgReviewJob::type_url() {
            decode(any, check_review).map(NeuroMsg::ReviewJob)
        } else {
            return None;
        })
    }

    pub fn signers(&self) -> Vec<Address> {
        match self {
            NeuroMsg::SubmitJob(m) => vec![m.creator.clone()],
            NeuroMsg::CommitSolution(m) => vec![m.solver.clone()],
            NeuroMsg::SubmitSolution(m) => vec![m.solver.clone()],
            NeuroMsg::CancelJob(m) => vec![m.creator.clone()],
            NeuroMsg::ReviewJob(m) => vec![m.reviewer.clone()],
        }
    }
}
