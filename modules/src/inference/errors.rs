//! The inference module's error codes (codespace `inference`). Each bad request has its own
//! code so clients can tell them apart; logs name the values.

use super::CODESPACE;

crate::error::error_codes! {
    CODESPACE;
    unknown_model = 2;
    invalid_steps = 3;
    invalid_size = 4;
    invalid_prompt = 5;
    fee_below_price = 6;
    not_enough_executors = 7;
    invalid_seeds = 8;
    invalid_replicas = 9;
    invalid_guidance = 10;
    invalid_scheduler = 11;
    unknown_task = 12;
    not_a_validator = 13;
    invalid_validator_signature = 14;
    model_hash_mismatch = 15;
    invalid_executor = 16;
    invalid_timeout = 17;
    invalid_vote_extension = 18;
    fee_denom_not_accepted = 19;
}
