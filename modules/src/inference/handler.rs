//! Inference execution: every check that reads state runs before the first write.

use super::msgs::{GenerateImage, InferenceMsg, RegisterExecutor};
use super::{assign, capacity, errors, events, state};
use crate::address::Address;
use crate::bank::Escrow;
use crate::beacon;
use crate::coins::{Coin, BASE_DENOM};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::staking;
use glia_proto::cosmos::Any;
use glia_proto::inference::v1::{
    BeaconChain, Executor, Model, MsgGenerateImageResponse, MsgRegisterExecutor,
    MsgRegisterExecutorResponse, RegisterExecutorSignDoc, Task, TaskStatus,
};
use prost::{Message, Name};

/// Executes a checked message; task escrows go through `bank` (the component's own).
pub fn execute(ctx: &mut Ctx<'_>, msg: &InferenceMsg, bank: &Escrow) -> AppResult<Any> {
    match msg {
        InferenceMsg::GenerateImage(m) => generate_image(ctx, m, bank),
        InferenceMsg::RegisterExecutor(m) => register_executor(ctx, m),
    }
}

/// What one image from one replica costs: price × steps × megapixels, rounded up.
pub fn price_per_result(model: &Model, steps: u32, width: u32, height: u32) -> u128 {
    // u64 × three u32 fit u128 (64 + 96 bits); saturating all the same.
    let units = u128::from(model.price_per_step_megapixel)
        .saturating_mul(u128::from(steps))
        .saturating_mul(u128::from(width))
        .saturating_mul(u128::from(height));
    units.div_ceil(1_000_000)
}

/// What one image from one replica of request `m` costs in `denom`: the uglia price at the
/// denom's rate, rounded up. An error names the denoms requests may pay in when `denom` is
/// none of them.
pub fn price_in(
    params: &glia_proto::inference::v1::Params,
    model: &Model,
    m: &glia_proto::inference::v1::MsgGenerateImage,
    denom: &str,
) -> AppResult<u128> {
    let rate = state::fee_rate(params, denom).ok_or_else(|| {
        errors::fee_denom_not_accepted(format!(
            "max_fee is in {denom}, which requests cannot pay in; accepted: {}",
            crate::coins::accepted_denoms(&params.fee_denoms)
        ))
    })?;
    let uglia = price_per_result(model, m.steps, m.width, m.height);
    rate.price(uglia).ok_or_else(|| {
        errors::fee_below_price(format!(
            "the price of {uglia}{BASE_DENOM} per image does not fit 128 bits in {denom}"
        ))
    })
}

fn generate_image(ctx: &mut Ctx<'_>, g: &GenerateImage, bank: &Escrow) -> AppResult<Any> {
    let m = &g.msg;
    let params = state::params(ctx)?;
    let model = state::model(ctx, &m.model_id)?.ok_or_else(|| {
        errors::unknown_model(format!(
            "model {:?} is not registered (query inference models lists those that are)",
            m.model_id
        ))
    })?;
    if m.steps > model.max_steps {
        return Err(errors::invalid_steps(format!(
            "steps {} above the maximum {} for model {}",
            m.steps, model.max_steps, model.id
        )));
    }
    if m.width > model.max_width || m.height > model.max_height {
        return Err(errors::invalid_size(format!(
            "{}x{} above the maximum {}x{} for model {}",
            m.width, m.height, model.max_width, model.max_height, model.id
        )));
    }
    let multiple =
        std::num::NonZeroU32::new(model.size_multiple.max(8)).unwrap_or(std::num::NonZeroU32::MIN);
    for (name, v) in [("width", m.width), ("height", m.height)] {
        if v % multiple != 0 {
            return Err(errors::invalid_size(format!(
                "{name} {v} is not a multiple of {multiple}, which model {} needs",
                model.id
            )));
        }
    }
    for (name, p) in [
        ("prompt", &m.prompt),
        ("negative_prompt", &m.negative_prompt),
    ] {
        if p.len() > params.max_prompt_bytes as usize {
            return Err(errors::invalid_prompt(format!(
                "{name} is {} bytes, above the maximum {}",
                p.len(),
                params.max_prompt_bytes
            )));
        }
    }
    if m.seeds.len() > params.max_seeds as usize {
        return Err(errors::invalid_seeds(format!(
            "{} seeds, above the maximum {}",
            m.seeds.len(),
            params.max_seeds
        )));
    }
    // Stored before the field existed: the default.
    let min_replicas = match model.min_replicas {
        0 => super::lifecycle::DEFAULT_MIN_REPLICAS,
        n => n,
    };
    if m.replicas < min_replicas {
        return Err(errors::invalid_replicas(format!(
            "replicas {} below model {}'s minimum of {min_replicas}: fewer would pay one \
             executor's result unchecked",
            m.replicas, model.id
        )));
    }
    if m.replicas > params.max_replicas {
        return Err(errors::invalid_replicas(format!(
            "replicas {} above the maximum {}",
            m.replicas, params.max_replicas
        )));
    }
    let timeout = match m.timeout_blocks {
        0 => params.default_timeout_blocks,
        t if t > params.max_timeout_blocks => {
            return Err(errors::invalid_timeout(format!(
                "timeout_blocks {t} above the maximum {}",
                params.max_timeout_blocks
            )))
        }
        t if t <= params.result_timeout_blocks => {
            return Err(errors::invalid_timeout(format!(
                "timeout_blocks {t} leaves executors no time: it must exceed the result timeout of {} blocks",
                params.result_timeout_blocks
            )))
        }
        t => t,
    };
    let per_result = price_in(&params, &model, m, &g.max_fee.denom)?;
    let denom = g.max_fee.denom.as_str();
    let total = per_result
        .checked_mul(m.seeds.len() as u128)
        .and_then(|t| t.checked_mul(u128::from(m.replicas)))
        .ok_or_else(|| {
            errors::fee_below_price(format!(
                "the price of {} seeds × {} replicas overflows",
                m.seeds.len(),
                m.replicas
            ))
        })?;
    if g.max_fee.amount < total {
        return Err(errors::fee_below_price(format!(
            "max_fee {} is below the price {total}{denom} ({per_result}{denom} per image per replica × {} seeds × {} replicas)",
            g.max_fee,
            m.seeds.len(),
            m.replicas
        )));
    }
    let work = capacity::work_of(m.seeds.len(), m.width, m.height, m.steps);
    let pool = assign::candidates(ctx, &model, &g.creator, work, ctx.block.height)?;
    if pool.len() < m.replicas as usize {
        return Err(errors::not_enough_executors(format!(
            "{} replicas requested but only {} executors (other than the creator, not jailed) hold model {} \
             and have room in their queues for {work} kilo pixel-steps",
            m.replicas,
            pool.len(),
            model.id
        )));
    }
    // Checks done; from here on only writes (and the escrow, whose failure rolls back the tx).
    let escrow = Coin::new(denom, total);
    bank.hold_coin(ctx, &g.creator, &escrow, "an image task")?;
    let id = state::next_task_id(ctx)?;
    let height = ctx.block.height;
    let task = Task {
        id,
        creator: m.creator.clone(),
        model_id: m.model_id.clone(),
        prompt: m.prompt.clone(),
        negative_prompt: m.negative_prompt.clone(),
        width: m.width,
        height: m.height,
        steps: m.steps,
        guidance_scale: format!("{}.{:03}", g.guidance_milli / 1000, g.guidance_milli % 1000),
        scheduler: m.scheduler,
        seeds: m.seeds.clone(),
        replicas: m.replicas,
        escrow: Some(escrow.to_proto()),
        price_per_result: Some(Coin::new(denom, per_result).to_proto()),
        created_height: height,
        timeout_height: height.saturating_add(timeout),
        status: TaskStatus::Pending as i32,
        ..Default::default()
    };
    state::set_task(ctx, &task)?;
    // Executors are drawn in the next block, from randomness that does not exist yet.
    ctx.put(state::state_key::undrawn(id), vec![])?;
    events::task_created(ctx, id, &m.creator, &model.id, &escrow.to_string());
    Ok(Any {
        type_url: MsgGenerateImageResponse::type_url(),
        value: MsgGenerateImageResponse { task_id: id }.encode_to_vec(),
    })
}

/// The bytes a validator's consensus key signs to register `operator` as its executor, with
/// its beacon chain (see `beacon`).
pub fn register_sign_bytes(chain_id: &str, m: &MsgRegisterExecutor) -> Vec<u8> {
    RegisterExecutorSignDoc {
        chain_id: chain_id.into(),
        operator: m.operator.clone(),
        beacon_anchor: m.beacon_anchor.clone(),
        beacon_anchor_height: m.beacon_anchor_height,
        beacon_end_height: m.beacon_end_height,
    }
    .encode_to_vec()
}

/// Open tasks with a slot of `operator`'s, answered or not. A rotation must wait for them:
/// an unanswered slot could no longer be recorded, and while an answered one stands, a
/// replacement drawn for another slot could be the same validator under its new operator.
fn open_tasks_of(ctx: &mut Ctx<'_>, operator: &str) -> AppResult<usize> {
    let mut n = 0usize;
    for id in state::open_task_ids(ctx)? {
        if let Some(t) = state::task(ctx, id)? {
            if t.assignments.iter().any(|a| a.executor == operator) {
                n = n.saturating_add(1);
            }
        }
    }
    Ok(n)
}

/// The beacon chain a registration declares, checked: 32 bytes, anchored no later than this
/// block, ending after it and within `beacon::MAX_CHAIN_LENGTH`. None when it declares none
/// (the validator then stays last in every draw).
fn beacon_chain_of(
    ctx: &mut Ctx<'_>,
    m: &MsgRegisterExecutor,
    hex_addr: &str,
) -> AppResult<Option<BeaconChain>> {
    if m.beacon_anchor.is_empty() {
        return Ok(None);
    }
    let height = ctx.block.height;
    let length = m.beacon_end_height.saturating_sub(m.beacon_anchor_height);
    if m.beacon_anchor.len() != 32
        || m.beacon_anchor_height > height
        || m.beacon_end_height <= height
        || length > beacon::MAX_CHAIN_LENGTH
    {
        return Err(errors::invalid_executor(format!(
            "beacon chain: a 32-byte anchor (got {} bytes) at a height up to {height} (got {}) \
             ending after it (got {}), at most {} long",
            m.beacon_anchor.len(),
            m.beacon_anchor_height,
            m.beacon_end_height,
            beacon::MAX_CHAIN_LENGTH
        )));
    }
    Ok(Some(BeaconChain {
        validator_address: hex_addr.to_string(),
        anchor: m.beacon_anchor.clone(),
        anchor_height: m.beacon_anchor_height,
        last_value: m.beacon_anchor.clone(),
        last_height: m.beacon_anchor_height,
        end_height: m.beacon_end_height,
    }))
}

fn register_executor(ctx: &mut Ctx<'_>, r: &RegisterExecutor) -> AppResult<Any> {
    let m = &r.msg;
    let address = staking::consensus_address(&m.validator_pubkey);
    let hex_addr = hex::encode_upper(address);
    let v = staking::validator(ctx, &address)?.ok_or_else(|| {
        errors::not_a_validator(format!("{hex_addr} is not in the validator set"))
    })?;
    if v.pubkey != m.validator_pubkey {
        return Err(errors::not_a_validator(format!(
            "key does not match validator {hex_addr}"
        )));
    }
    let key = ed25519_consensus::VerificationKey::try_from(m.validator_pubkey.as_slice())
        .map_err(|e| AppError::invalid_pubkey(format!("validator key: {e}")))?;
    let sig: [u8; 64] = m
        .validator_signature
        .as_slice()
        .try_into()
        .expect("checked length");
    key.verify(
        &ed25519_consensus::Signature::from(sig),
        &register_sign_bytes(&ctx.block.chain_id, m),
    )
    .map_err(|_| {
        errors::invalid_validator_signature(format!(
            "the signature is not validator {hex_addr}'s over (chain {}, operator {}, its \
             beacon chain)",
            ctx.block.chain_id, m.operator
        ))
    })?;
    let chain = beacon_chain_of(ctx, m, &hex_addr)?;
    // A validator may move its executor to another operator account (a lost or compromised
    // operator key need not retire it). The record, quality, counts and jail included, moves
    // with it, so rotating never escapes a penalty; and not while an open task holds a slot of
    // the old operator's (see `open_tasks_of`).
    let mut rotated = None;
    if let Some(op) = state::operator_of_validator(ctx, &hex_addr)? {
        if op != m.operator {
            let waiting = open_tasks_of(ctx, &op)?;
            if waiting > 0 {
                return Err(errors::invalid_executor(format!(
                    "validator {hex_addr}'s executor {op} holds slots in {waiting} open task(s): rotate to {} once they settle",
                    m.operator
                )));
            }
            rotated = Some(Address::parse(&op).map_err(AppError::internal)?);
        }
    }
    for h in &m.models {
        let model = state::model(ctx, &h.model_id)?.ok_or_else(|| {
            errors::unknown_model(format!("model {:?} is not registered", h.model_id))
        })?;
        if !model.weights_sha256.eq_ignore_ascii_case(&h.weights_sha256) {
            return Err(errors::model_hash_mismatch(format!(
                "weights of {} hash to {}, the registry says {}",
                h.model_id, h.weights_sha256, model.weights_sha256
            )));
        }
    }
    let prev = state::executor(ctx, &r.operator)?;
    if let Some(p) = prev.as_ref().filter(|p| p.validator_address != hex_addr) {
        return Err(errors::invalid_executor(format!(
            "{} is already the executor of validator {}",
            m.operator, p.validator_address
        )));
    }
    let prev = match &rotated {
        Some(old) => {
            let record = state::executor(ctx, old)?;
            state::delete_executor(ctx, old)?;
            if let Some(j) = record.as_ref().filter(|j| capacity::jailed(j)) {
                // The jail's release entry follows the record to the new operator.
                state::unindex_jailed(ctx, j.jailed_until, old.as_str())?;
            }
            record
        }
        None => prev,
    };
    let e = Executor {
        operator: m.operator.clone(),
        validator_address: hex_addr.clone(),
        devices: m.devices.clone(),
        models: m.models.clone(),
        blob_url: m.blob_url.trim_end_matches('/').to_string(),
        quality_bps: prev.as_ref().map_or(10_000, |p| p.quality_bps),
        results_accepted: prev.as_ref().map_or(0, |p| p.results_accepted),
        results_outvoted: prev.as_ref().map_or(0, |p| p.results_outvoted),
        results_missed: prev.as_ref().map_or(0, |p| p.results_missed),
        work_per_block: m.work_per_block,
        queued_work: prev.as_ref().map_or(0, |p| p.queued_work),
        quality_height: prev.as_ref().map_or(ctx.block.height, |p| p.quality_height),
        jailed_until: prev.as_ref().map_or(0, |p| p.jailed_until),
        times_jailed: prev.as_ref().map_or(0, |p| p.times_jailed),
    };
    state::set_executor(ctx, &e)?;
    if rotated.is_some() && capacity::jailed(&e) {
        state::index_jailed(ctx, &e)?;
    }
    if let Some(c) = chain {
        beacon::register(ctx, &c)?;
    }
    events::executor_registered(ctx, &m.operator, &hex_addr);
    Ok(Any {
        type_url: MsgRegisterExecutorResponse::type_url(),
        value: vec![],
    })
}
