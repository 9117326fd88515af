//! `cosmos.distribution.v1beta1.Query` (what cosmjs's `DistributionExtension` and Keplr's
//! staking screens read), over ABCI, gRPC and REST, and `glia.distribution.v1.Query` for the
//! useful-work pool.

use super::dec_coins::DecCoins;
use super::state::{self, WORK_POOL};
use super::{f1, work};
use crate::address::Address;
use crate::bank;
use crate::coins::BASE_DENOM;
use crate::component::{QueryRoute, RestRoute};
use crate::context::Kv;
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::rest::{self, param};
use crate::staking::state::{key_of, state_key as staking_keys};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::base::v1beta1::DecCoin as ProtoDecCoin;
use glia_proto::cosmos::cosmos::distribution::v1beta1::{
    DelegationDelegatorReward, QueryCommunityPoolRequest, QueryCommunityPoolResponse,
    QueryDelegationRewardsRequest, QueryDelegationRewardsResponse,
    QueryDelegationTotalRewardsRequest, QueryDelegationTotalRewardsResponse,
    QueryDelegatorValidatorsRequest, QueryDelegatorValidatorsResponse,
    QueryDelegatorWithdrawAddressRequest, QueryDelegatorWithdrawAddressResponse,
    QueryParamsRequest, QueryParamsResponse, QueryValidatorCommissionRequest,
    QueryValidatorCommissionResponse, QueryValidatorDistributionInfoRequest,
    QueryValidatorDistributionInfoResponse, QueryValidatorOutstandingRewardsRequest,
    QueryValidatorOutstandingRewardsResponse, QueryValidatorSlashesRequest,
    QueryValidatorSlashesResponse, ValidatorAccumulatedCommission, ValidatorOutstandingRewards,
    ValidatorSlashEvent,
};
use glia_proto::distribution::v1::{
    QueryUsefulWorkRequest, QueryUsefulWorkResponse, QueryWorkerRequest, QueryWorkerResponse,
    WorkScore,
};
use prost::Message;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::staking::query::{delegator, not_found, operator as validator};

fn existing_validator(kv: &mut impl Kv, s: &str) -> AppResult<Address> {
    let op = validator(s)?;
    if crate::staking::state::record(kv, &op)?.is_none() {
        return Err(not_found(format!("validator {s} does not exist")));
    }
    Ok(op)
}

fn dec_json(list: &[ProtoDecCoin]) -> AppResult<Value> {
    Ok(DecCoins::from_proto(list)?.to_json())
}

/// The validators `del` delegates to, in operator order.
fn delegated_to(kv: &mut impl Kv, del: &Address) -> AppResult<Vec<Address>> {
    let prefix = staking_keys::delegations_of(&key_of(del));
    kv.kv_scan_keys(&prefix)?
        .iter()
        .map(|k| crate::staking::state::address_of_key(&k[prefix.len()..]))
        .collect()
}

#[allow(deprecated)] // the proposer rewards: always zero, still in the SDK's JSON
fn params_json(b: &[u8]) -> AppResult<Value> {
    let p = rest::decode::<QueryParamsResponse>(b)?
        .params
        .unwrap_or_default();
    Ok(json!({"params": {
        "community_tax": Dec::from_proto(&p.community_tax)?.to_string(),
        "base_proposer_reward": Dec::from_proto(&p.base_proposer_reward)?.to_string(),
        "bonus_proposer_reward": Dec::from_proto(&p.bonus_proposer_reward)?.to_string(),
        "withdraw_addr_enabled": p.withdraw_addr_enabled,
    }}))
}

fn score_json(s: &WorkScore) -> Value {
    json!({
        "worker": s.worker, "fees": s.fees, "score": s.score, "items": s.items.to_string(),
        "requesters": s.requesters.to_string(), "self_dealt": s.self_dealt.to_string(),
        "self_dealt_fees": s.self_dealt_fees,
    })
}

pub fn useful_work(kv: &mut impl Kv) -> AppResult<QueryUsefulWorkResponse> {
    let p = state::work_params(kv)?;
    let epoch = work::current_epoch(kv)?;
    let pool = bank::api::balance(kv, &Address::module(WORK_POOL), BASE_DENOM)?;
    Ok(QueryUsefulWorkResponse {
        epoch,
        next_payout_height: epoch.saturating_mul(p.epoch_blocks),
        pool: vec![ProtoCoin {
            denom: BASE_DENOM.into(),
            amount: pool.to_string(),
        }],
        scores: work::scores(kv, epoch)?,
        last_payout: state::last_payout(kv)?,
        paying: work::paying(kv)?,
        params: Some(p),
    })
}

fn payout_json(p: &glia_proto::distribution::v1::Payout) -> Value {
    json!({"height": p.height.to_string(), "epoch": p.epoch.to_string(), "paid": p.paid,
        "workers": p.workers.to_string(), "carried": p.carried, "pot": p.pot,
        "total_score": p.total_score})
}

pub fn routes() -> Vec<QueryRoute> {
    vec![
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/Params",
            |kv, _: QueryParamsRequest| {
                Ok(QueryParamsResponse {
                    params: Some(state::params(kv)?),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/params",
            request: |_| Ok(QueryParamsRequest {}.encode_to_vec()),
            json: params_json,
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/ValidatorDistributionInfo",
            |kv, r: QueryValidatorDistributionInfoRequest| {
                let op = existing_validator(kv, &r.validator_address)?;
                let self_bond = if crate::staking::state::delegation(kv, &op, &op)?.is_some() {
                    f1::pending_rewards(kv, &op, &op)?
                } else {
                    DecCoins::default()
                };
                Ok(QueryValidatorDistributionInfoResponse {
                    operator_address: op.to_bech32(),
                    self_bond_rewards: self_bond.to_proto(),
                    commission: state::commission(kv, &key_of(&op))?.to_proto(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/validators/:validator_address",
            request: |m| {
                Ok(QueryValidatorDistributionInfoRequest {
                    validator_address: param(m, "validator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryValidatorDistributionInfoResponse = rest::decode(b)?;
                Ok(json!({"operator_address": r.operator_address,
                    "self_bond_rewards": dec_json(&r.self_bond_rewards)?,
                    "commission": dec_json(&r.commission)?}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
            |kv, r: QueryValidatorOutstandingRewardsRequest| {
                let op = existing_validator(kv, &r.validator_address)?;
                Ok(QueryValidatorOutstandingRewardsResponse {
                    rewards: Some(ValidatorOutstandingRewards {
                        rewards: state::outstanding(kv, &key_of(&op))?.to_proto(),
                    }),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/validators/:validator_address/outstanding_rewards",
            request: |m| {
                Ok(QueryValidatorOutstandingRewardsRequest {
                    validator_address: param(m, "validator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryValidatorOutstandingRewardsResponse = rest::decode(b)?;
                let list = r.rewards.unwrap_or_default().rewards;
                Ok(json!({"rewards": {"rewards": dec_json(&list)?}}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
            |kv, r: QueryValidatorCommissionRequest| {
                let op = existing_validator(kv, &r.validator_address)?;
                Ok(QueryValidatorCommissionResponse {
                    commission: Some(ValidatorAccumulatedCommission {
                        commission: state::commission(kv, &key_of(&op))?.to_proto(),
                    }),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/validators/:validator_address/commission",
            request: |m| {
                Ok(QueryValidatorCommissionRequest {
                    validator_address: param(m, "validator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryValidatorCommissionResponse = rest::decode(b)?;
                let list = r.commission.unwrap_or_default().commission;
                Ok(json!({"commission": {"commission": dec_json(&list)?}}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/ValidatorSlashes",
            |kv, r: QueryValidatorSlashesRequest| {
                let op = validator(&r.validator_address)?;
                if r.starting_height > r.ending_height {
                    return Err(AppError::invalid_request(
                        "starting height greater than ending height",
                    ));
                }
                let prefix = super::state::state_key::slashes_of(&key_of(&op));
                let (slashes, pagination) = crate::pagination::paginate_prefix(
                    kv,
                    &prefix,
                    prefix.len(),
                    r.pagination.as_ref(),
                    |kv, k| {
                        let height: u64 = k[prefix.len()..]
                            .split('/')
                            .next()
                            .and_then(|h| h.parse().ok())
                            .unwrap_or(0);
                        if height < r.starting_height || height > r.ending_height {
                            return Ok(None);
                        }
                        crate::value::get::<ValidatorSlashEvent>(kv, k, "slash event")
                    },
                )?;
                Ok(QueryValidatorSlashesResponse {
                    slashes,
                    pagination: Some(pagination),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/validators/:validator_address/slashes",
            request: |m| {
                let h = |name: &str| -> AppResult<u64> {
                    m.get(name).map_or(Ok(0), |v| {
                        v.parse().map_err(|_| {
                            AppError::invalid_request(format!("{name} {v:?} is not a number"))
                        })
                    })
                };
                Ok(QueryValidatorSlashesRequest {
                    validator_address: param(m, "validator_address")?.into(),
                    starting_height: h("starting_height")?,
                    ending_height: h("ending_height")?,
                    pagination: rest::page_request(m)?,
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryValidatorSlashesResponse = rest::decode(b)?;
                let slashes: AppResult<Vec<Value>> = r
                    .slashes
                    .iter()
                    .map(|s| {
                        Ok(json!({"validator_period": s.validator_period.to_string(),
                            "fraction": Dec::from_proto(&s.fraction)?.to_string()}))
                    })
                    .collect();
                Ok(json!({"slashes": slashes?, "pagination": rest::page_json(&r.pagination)}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/DelegationRewards",
            |kv, r: QueryDelegationRewardsRequest| {
                let del = delegator(&r.delegator_address)?;
                let op = existing_validator(kv, &r.validator_address)?;
                if crate::staking::state::delegation(kv, &del, &op)?.is_none() {
                    return Err(not_found(format!(
                        "delegation {} to {} does not exist",
                        r.delegator_address, r.validator_address
                    )));
                }
                Ok(QueryDelegationRewardsResponse {
                    rewards: f1::pending_rewards(kv, &op, &del)?.to_proto(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/delegators/:delegator_address/rewards/:validator_address",
            request: |m| {
                Ok(QueryDelegationRewardsRequest {
                    delegator_address: param(m, "delegator_address")?.into(),
                    validator_address: param(m, "validator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryDelegationRewardsResponse = rest::decode(b)?;
                Ok(json!({"rewards": dec_json(&r.rewards)?}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards",
            |kv, r: QueryDelegationTotalRewardsRequest| {
                let del = delegator(&r.delegator_address)?;
                let mut total = DecCoins::default();
                let mut rewards = Vec::new();
                for op in delegated_to(kv, &del)? {
                    let owed = f1::pending_rewards(kv, &op, &del)?;
                    total = total.add(&owed)?;
                    rewards.push(DelegationDelegatorReward {
                        validator_address: op.to_valoper(),
                        reward: owed.to_proto(),
                    });
                }
                Ok(QueryDelegationTotalRewardsResponse {
                    rewards,
                    total: total.to_proto(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/delegators/:delegator_address/rewards",
            request: |m| {
                Ok(QueryDelegationTotalRewardsRequest {
                    delegator_address: param(m, "delegator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryDelegationTotalRewardsResponse = rest::decode(b)?;
                let rewards: AppResult<Vec<Value>> = r
                    .rewards
                    .iter()
                    .map(|d| {
                        Ok(json!({"validator_address": d.validator_address,
                            "reward": dec_json(&d.reward)?}))
                    })
                    .collect();
                Ok(json!({"rewards": rewards?, "total": dec_json(&r.total)?}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
            |kv, r: QueryDelegatorValidatorsRequest| {
                let del = delegator(&r.delegator_address)?;
                Ok(QueryDelegatorValidatorsResponse {
                    validators: delegated_to(kv, &del)?
                        .iter()
                        .map(Address::to_valoper)
                        .collect(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/delegators/:delegator_address/validators",
            request: |m| {
                Ok(QueryDelegatorValidatorsRequest {
                    delegator_address: param(m, "delegator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryDelegatorValidatorsResponse = rest::decode(b)?;
                Ok(json!({"validators": r.validators}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress",
            |kv, r: QueryDelegatorWithdrawAddressRequest| {
                let del = delegator(&r.delegator_address)?;
                Ok(QueryDelegatorWithdrawAddressResponse {
                    withdraw_address: state::withdraw_address(kv, &del)?.to_bech32(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/delegators/:delegator_address/withdraw_address",
            request: |m| {
                Ok(QueryDelegatorWithdrawAddressRequest {
                    delegator_address: param(m, "delegator_address")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryDelegatorWithdrawAddressResponse = rest::decode(b)?;
                Ok(json!({"withdraw_address": r.withdraw_address}))
            },
        }),
        QueryRoute::new(
            "/cosmos.distribution.v1beta1.Query/CommunityPool",
            |kv, _: QueryCommunityPoolRequest| {
                Ok(QueryCommunityPoolResponse {
                    pool: state::community_pool(kv)?.to_proto(),
                })
            },
        )
        .with_rest(RestRoute {
            pattern: "/cosmos/distribution/v1beta1/community_pool",
            request: |_| Ok(QueryCommunityPoolRequest {}.encode_to_vec()),
            json: |b| {
                let r: QueryCommunityPoolResponse = rest::decode(b)?;
                Ok(json!({"pool": dec_json(&r.pool)?}))
            },
        }),
        QueryRoute::new(
            "/glia.distribution.v1.Query/UsefulWork",
            |kv, _: QueryUsefulWorkRequest| useful_work(kv),
        )
        .with_rest(RestRoute {
            pattern: "/glia/distribution/v1/useful_work",
            request: |_| Ok(QueryUsefulWorkRequest {}.encode_to_vec()),
            json: |b| {
                let r: QueryUsefulWorkResponse = rest::decode(b)?;
                let p = r.params.unwrap_or_default();

                Ok(json!({
                    "params": {
                        "useful_work_tax": Dec::from_proto(&p.useful_work_tax)?.to_string(),
                        "epoch_blocks": p.epoch_blocks.to_string(),
                        "max_reward_per_fee": Dec::from_proto(&p.max_reward_per_fee)?.to_string(),
                        "payout_records_per_block": p.payout_records_per_block,
                    },
                    "epoch": r.epoch.to_string(),
                    "next_payout_height": r.next_payout_height.to_string(),
                    "pool": r.pool.iter().map(rest::coin_json).collect::<Vec<_>>(),
                    "scores": r.scores.iter().map(score_json).collect::<Vec<_>>(),
                    "last_payout": r.last_payout.as_ref().map(payout_json),
                    "paying": r.paying.iter().map(payout_json).collect::<Vec<_>>(),
                }))
            },
        }),
        QueryRoute::new("/glia.distribution.v1.Query/Worker", |kv, r: QueryWorkerRequest| {
            let w = delegator(&r.worker)?;
            let (auto, withdrawn) = work::auto_withdraw_of(kv, &w)?;
            Ok(QueryWorkerResponse {
                current: work::current(kv, &w)?,
                total_earned: work::earned(kv, &w)?.to_string(),
                earned_images: work::earned_from(kv, "image", &w)?.to_string(),
                earned_jobs: work::earned_from(kv, "job", &w)?.to_string(),
                withdraw_address: work::payee(kv, &w)?.to_bech32(),
                auto_withdraw: auto,
                auto_withdrawn: withdrawn.to_string(),
            })
        })
        .with_rest(RestRoute {
            pattern: "/glia/distribution/v1/workers/:worker",
            request: |m: &BTreeMap<String, String>| {
                Ok(QueryWorkerRequest {
                    worker: param(m, "worker")?.into(),
                }
                .encode_to_vec())
            },
            json: |b| {
                let r: QueryWorkerResponse = rest::decode(b)?;
                Ok(json!({"current": r.current.as_ref().map(score_json),
                    "total_earned": r.total_earned, "earned_images": r.earned_images,
                    "earned_jobs": r.earned_jobs, "withdraw_address": r.withdraw_address,
                    "auto_withdraw": r.auto_withdraw, "auto_withdrawn": r.auto_withdrawn}))
            },
        }),
    ]
}
