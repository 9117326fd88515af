//! Staking's error codes (codespace `staking`), with the Cosmos SDK's numbers: wallets and
//! explorers that know x/staking's errors read them the same here. Logs name the values.

use super::component::NAME;

crate::error::error_codes! {
    NAME;
    empty_validator_addr = 2;
    no_validator_found = 3;
    validator_owner_exists = 4;
    validator_pubkey_exists = 5;
    validator_pubkey_type_not_supported = 6;
    validator_jailed = 7;
    commission_negative = 9;
    commission_huge = 10;
    commission_gt_max_rate = 11;
    commission_update_time = 12;
    commission_change_rate_gt_max_rate = 14;
    commission_gt_max_change_rate = 15;
    self_delegation_below_minimum = 16;
    min_self_delegation_decreased = 17;
    no_delegation = 19;
    not_enough_delegation_shares = 24;
    no_unbonding_delegation = 26;
    max_unbonding_delegation_entries = 27;
    self_redelegation = 29;
    tiny_redelegation_amount = 30;
    bad_redelegation_dst = 31;
    transitive_redelegation = 32;
    max_redelegation_entries = 33;
    delegator_share_ex_rate_invalid = 34;
    empty_validator_pubkey = 39;
    commission_lt_min_rate = 40;
    unbonding_not_found = 41;
}
