//! Neuro keys and typed state access. Records are stored as their protobuf encoding.

use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value::decode;
use glia_proto::neuro::v1::{Job, Params, Solution, SolutionCommitment};
use prost::Message;

/// Every key the module writes.
pub mod state_key {
    pub const PARAMS: &str = "neuro/params";
    pub const NEXT_JOB_ID: &str = "neuro/next_job_id";
    pub const JOBS_PREFIX: &str = "neuro/jobs/";
    pub const PROBLEMS_PREFIX: &str = "neuro/problems/";
    pub const OPEN_PREFIX: &str = "neuro/open/";
    pub const BY_CREATOR_PREFIX: &str = "neuro/jobs_by_creator/";
    pub const DEADLINE_PREFIX: &str = "neuro/deadline/";
    pub const REVIEW_DEADLINE_PREFIX: &str = "neuro/review_deadline/";
    pub const SOLUTIONS_PREFIX: &str = "neuro/solutions/";
    /// Pending solution commitments, by job then solver.
    pub const COMMITMENTS_PREFIX: &str = "neuro/commitments/";
    /// Jobs that closed during the block being executed, refunded and cleared at its end.
    pub const CLOSING_PREFIX: &str = "neuro/closing/";
    /// Open jobs, best paying first: the board listings and the workers read from the top.
    pub const BOARD_PREFIX: &str = "neuro/board/";

    /// Ids and heights are zero-padded so key order is numeric order.
    pub fn n(v: u64) -> String {
        format!("{v:020}")
    }
    pub fn job(id: u64) -> String {
        format!("{JOBS_PREFIX}{}", n(id))
    }
    pub fn problem(id: u64) -> String {
        format!("{PROBLEMS_PREFIX}{}", n(id))
    }
    pub fn open(id: u64) -> String {
        format!("{OPEN_PREFIX}{}", n(id))
    }
    pub fn by_creator_prefix(creator: &str) -> String {
        format!("{BY_CREATOR_PREFIX}{creator}/")
    }
    pub fn by_creator(creator: &str, id: u64) -> String {
        format!("{BY_CREATOR_PREFIX}{creator}/{}", n(id))
    }
    pub fn deadline_prefix(height: u64) -> String {
        format!("{DEADLINE_PREFIX}{}/", n(height))
    }
    pub fn deadline(height: u64, id: u64) -> String {
        format!("{DEADLINE_PREFIX}{}/{}", n(height), n(id))
    }
    pub fn review_deadline_prefix(height: u64) -> String {
        format!("{REVIEW_DEADLINE_PREFIX}{}/", n(height))
    }
    pub fn review_deadline(height: u64, id: u64) -> String {
        format!("{REVIEW_DEADLINE_PREFIX}{}/{}", n(height), n(id))
    }
    pub fn solutions_prefix(job: u64) -> String {
        format!("{SOLUTIONS_PREFIX}{}/", n(job))
    }
    pub fn solution(job: u64, index: u64) -> String {
        format!("{SOLUTIONS_PREFIX}{}/{}", n(job), n(index))
    }
    pub fn commitments_prefix(job: u64) -> String {
        format!("{COMMITMENTS_PREFIX}{}/", n(job))
    }
    pub fn commitment(job: u64, solver: &str) -> String {
        format!("{COMMITMENTS_PREFIX}{}/{solver}", n(job))
    }
    /// Ordered by pay per unit of size, highest first (inverted), then by id.
    pub fn board(pay_per_unit_micro: u64, id: u64) -> String {
        format!(
            "{BOARD_PREFIX}{}/{}",
            n(u64::MAX.saturating_sub(pay_per_unit_micro)),
            n(id)
        )
    }
    pub fn closing(id: u64) -> String {
        format!("{CLOSING_PREFIX}{}", n(id))
    }
}

/// The trailing zero-padded number of a key.
pub fn trailing_id(key: &str) -> AppResult<u64> {
    key.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::internal(format!("malformed neuro key {key:?}")))
}

pub fn default_params() -> Params {
    Params {
        // A job travels in one tx (64 KiB at most by default).
        max_problem_bytes: 60_000,
        max_vars: 100_000,
        max_clauses: 1_000_000,
        max_blocks: 100_000,
        review_size_threshold: 20_000,
        committee: Vec::new(),
        quorum: 1,
        review_timeout_blocks: 100,
        verify_gas_per_unit: 10,
        reveal_blocks: 3,
        fee_denoms: Vec::new(),
    }
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    match kv.kv_get(state_key::PARAMS)? {
        Some(b) => {
            let mut p: Params = decode("neuro params", &b)?;
            // Stored before reveal_blocks existed (genesis never allows 0).
            if p.reveal_blocks == 0 {
                p.reveal_blocks = default_params().reveal_blocks;
            }
            Ok(p)
        }
        None => Ok(default_params()),
    }
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

pub fn next_job_id(ctx: &mut Ctx<'_>) -> AppResult<u64> {
    crate::value::next_id(ctx, state_key::NEXT_JOB_ID, 1, "job ids")
}

pub fn job(kv: &mut impl Kv, id: u64) -> AppResult<Option<Job>> {
    kv.kv_get(&state_key::job(id))?
        .map(|b| decode("job", &b))
        .transpose()
}

pub fn set_job(ctx: &mut Ctx<'_>, j: &Job) -> AppResult<()> {
    ctx.put(state_key::job(j.id), j.encode_to_vec())
}

pub fn problem(kv: &mut impl Kv, id: u64) -> AppResult<String> {
    crate::value::text(kv, &state_key::problem(id), "problem")?
        .ok_or_else(|| AppError::internal(format!("job {id} has no stored problem")))
}

pub fn set_problem(ctx: &mut Ctx<'_>, id: u64, text: &str) -> AppResult<()> {
    ctx.put(state_key::problem(id), crate::value::encode_text(text))
}

/// Ids under a prefix whose keys end in a zero-padded id, in order.
pub fn ids(kv: &mut impl Kv, prefix: &str) -> AppResult<Vec<u64>> {
    kv.kv_scan(prefix)?
        .iter()
        .map(|(k, _)| trailing_id(k))
        .collect()
}

pub fn open_job_ids(kv: &mut impl Kv) -> AppResult<Vec<u64>> {
    ids(kv, state_key::OPEN_PREFIX)
}

pub fn all_job_ids(kv: &mut impl Kv, creator: Option<&str>) -> AppResult<Vec<u64>> {
    let prefix = match creator {
        Some(c) => state_key::by_creator_prefix(c),
        None => state_key::JOBS_PREFIX.to_string(),
    };
    kv.kv_scan_keys(&prefix)?
        .iter()
        .map(|k| trailing_id(k))
        .collect()
}

/// Open jobs' ids, best paying first, read from the board's keys alone.
pub fn board_ids(kv: &mut impl Kv) -> AppResult<Vec<u64>> {
    kv.kv_scan_keys(state_key::BOARD_PREFIX)?
        .iter()
        .map(|k| trailing_id(k))
        .collect()
}

pub fn set_solution(ctx: &mut Ctx<'_>, s: &Solution) -> AppResult<()> {
    ctx.put(state_key::solution(s.job_id, s.index), s.encode_to_vec())
}

pub fn solution(kv: &mut impl Kv, job: u64, index: u64) -> AppResult<Option<Solution>> {
    kv.kv_get(&state_key::solution(job, index))?
        .map(|b| decode("solution", &b))
        .transpose()
}

pub fn solutions(kv: &mut impl Kv, job: u64) -> AppResult<Vec<(Vec<u8>, Solution)>> {
    kv.kv_scan(&state_key::solutions_prefix(job))?
        .into_iter()
        .map(|(k, b)| Ok((k.into_bytes(), decode("solution", &b)?)))
        .collect()
}

pub fn commitment(
    kv: &mut impl Kv,
    job: u64,
    solver: &str,
) -> AppResult<Option<SolutionCommitment>> {
    kv.kv_get(&state_key::commitment(job, solver))?
        .map(|b| decode("solution commitment", &b))
        .transpose()
}

pub fn set_commitment(ctx: &mut Ctx<'_>, c: &SolutionCommitment) -> AppResult<()> {
    ctx.put(
        state_key::commitment(c.job_id, &c.solver),
        c.encode_to_vec(),
    )
}
