//! The neuro module's error codes (codespace `neuro`); logs name the values at fault.

use super::CODESPACE;

crate::error::error_codes! {
    CODESPACE;
    invalid_format = 2;
    invalid_problem = 3;
    problem_too_large = 4;
    invalid_fee = 5;
    invalid_max_blocks = 6;
    invalid_target = 7;
    unknown_job = 8;
    job_not_open = 9;
    invalid_assignment = 10;
    energy_mismatch = 11;
    not_improving = 12;
    not_creator = 13;
    solution_accepted = 14;
    not_committee = 15;
    already_reviewed = 16;
    not_awaiting_review = 17;
    review_unavailable = 18;
    invalid_reason = 19;
    invalid_commitment = 20;
    no_commitment = 21;
    commitment_mismatch = 22;
    reveal_too_early = 23;
    invalid_salt = 24;
    fee_denom_not_accepted = 25;
}
