//! Distribution's error codes (codespace `distribution`), with the Cosmos SDK's numbers.

use super::component::NAME;

crate::error::error_codes! {
    NAME;
    empty_delegator_addr = 2;
    empty_withdraw_addr = 3;
    empty_validator_addr = 4;
    empty_delegation_dist_info = 5;
    no_validator_dist_info = 6;
    no_validator_commission = 7;
    set_withdraw_addr_disabled = 8;
    no_validator_exists = 12;
    no_delegation_exists = 13;
}
