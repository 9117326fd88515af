//! Inference genesis, the vote-extension results of each block, and end of block.

use super::{errors, settle, state, MODULE_ACCOUNT};
use crate::address::Address;
use crate::bank::Escrow;
use crate::coins::parse_amount;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use glia_proto::inference::v1::{Model, ModelFamily, Params, TaskStatus, VoteExtension};
use prost::Message;
use serde::{Deserialize, Serialize};

/// A model in `app_state.inference.models`; `family` is `sd-1.5`, `sd-2.1`, `sdxl-turbo` or
/// `tiny`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisModel {
    pub id: String,
    pub family: String,
    pub weights_sha256: String,
    pub phash_threshold: u32,
    pub price_per_step_megapixel: u64,
    pub max_steps: u32,
    pub max_width: u32,
    pub max_height: u32,
    /// Width and height must be multiples of this (default: `default_size_multiple`).
    #[serde(default)]
    pub size_multiple: Option<u32>,
    /// Fewest replicas a request may ask (default `DEFAULT_MIN_REPLICAS`).
    #[serde(default)]
    pub min_replicas: Option<u32>,
}

/// A model's minimum replicas when genesis names none: two, so no result is paid on one
/// executor's word alone unless the model's registration says so.
pub const DEFAULT_MIN_REPLICAS: u32 = 2;

/// `app_state.inference`; params left out keep their defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub params: Option<GenesisParams>,
    #[serde(default)]
    pub models: Vec<GenesisModel>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParams {
    pub max_prompt_bytes: Option<u32>,
    pub max_seeds: Option<u32>,
    pub max_replicas: Option<u32>,
    pub result_timeout_blocks: Option<u64>,
    pub max_timeout_blocks: Option<u64>,
    pub default_timeout_blocks: Option<u64>,
    pub max_vote_extension_bytes: Option<u32>,
    pub quality_recovery_bps_per_block: Option<u32>,
    pub max_queue_blocks: Option<u64>,
    pub default_work_per_block: Option<u64>,
    /// A penalty leaving an executor's quality below this jails it (0 = never; at most 10000).
    pub executor_jail_quality_bps: Option<u32>,
    /// Blocks a jailed executor is drawn for nothing (positive).
    pub executor_jail_blocks: Option<u64>,
    /// Vouchers requests may pay in besides uglia, each at a fixed rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_denoms: Option<Vec<crate::coins::GenesisFeeDenom>>,
}

/// The width/height multiple a model gets when genesis names none: the executor's pipeline
/// for the family accepts exactly these (the UNet halves the 1/8-scale latent at each level
/// but the last: 64 for SD 1.5/2.1's four levels, 32 for SDXL's three, 16 for the tiny
/// model's two).
pub fn default_size_multiple(family: ModelFamily) -> u32 {
    match family {
        ModelFamily::Tiny => 16,
        ModelFamily::SdxlTurbo => 32,
        _ => 64,
    }
}

pub fn family_from_str(s: &str) -> Option<ModelFamily> {
    Some(match s {
        "sd-1.5" => ModelFamily::Sd15,
        "sd-2.1" => ModelFamily::Sd21,
        "sdxl-turbo" => ModelFamily::SdxlTurbo,
        "tiny" => ModelFamily::Tiny,
        _ => return None,
    })
}

fn check_params(p: &Params) -> AppResult<()> {
    let bad = |m: &str| Err(AppError::invalid_request(format!("inference params: {m}")));
    if p.max_prompt_bytes == 0 || p.max_prompt_bytes as usize > super::msgs::MAX_PROMPT_BYTES_CAP {
        return bad("max_prompt_bytes must be 1 to 4096");
    }
    if p.max_seeds == 0 || p.max_seeds as usize > super::msgs::MAX_SEEDS_CAP {
        return bad("max_seeds must be 1 to 64");
    }
    if p.max_replicas == 0 || p.result_timeout_blocks == 0 {
        return bad("max_replicas and result_timeout_blocks must be positive");
    }
    if p.default_timeout_blocks <= p.result_timeout_blocks
        || p.max_timeout_blocks < p.default_timeout_blocks
    {
        return bad("need result_timeout_blocks < default_timeout_blocks <= max_timeout_blocks");
    }
    if !(MIN_VOTE_EXTENSION_BYTES..=MAX_VOTE_EXTENSION_BYTES)
        .contains(&(p.max_vote_extension_bytes as usize))
    {
        return bad("max_vote_extension_bytes must be 1024 to 65536");
    }
    if p.max_queue_blocks == 0 || p.default_work_per_block == 0 {
        return bad("max_queue_blocks and default_work_per_block must be positive");
    }
    if p.executor_jail_quality_bps > 10_000 {
        return bad("executor_jail_quality_bps must be 0 to 10000");
    }
    if p.executor_jail_blocks == 0 {
        return bad("executor_jail_blocks must be positive");
    }
    if let Err(e) = crate::coins::check_fee_denoms(&p.fee_denoms) {
        return bad(&e);
    }
    Ok(())
}

pub fn init_genesis(ctx: &mut Ctx<'_>, g: &Genesis) -> AppResult<()> {
    let mut p = state::default_params();
    if let Some(gp) = &g.params {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = gp.$f { p.$f = v; })* };
        }
        set!(
            max_prompt_bytes,
            max_seeds,
            max_replicas,
            result_timeout_blocks,
            max_timeout_blocks,
            default_timeout_blocks,
            max_vote_extension_bytes,
            quality_recovery_bps_per_block,
            max_queue_blocks,
            default_work_per_block,
            executor_jail_quality_bps,
            executor_jail_blocks
        );
        if let Some(fds) = &gp.fee_denoms {
            p.fee_denoms = crate::coins::fee_denoms_from_genesis(fds);
        }
    }
    check_params(&p)?;
    state::set_params(ctx, &p)?;
    for m in &g.models {
        let family = family_from_str(&m.family).ok_or_else(|| {
            AppError::invalid_request(format!("model {}: unknown family {:?}", m.id, m.family))
        })?;
        let hash_ok =
            m.weights_sha256.len() == 64 && m.weights_sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if m.id.is_empty()
            || m.id.len() > 64
            || !hash_ok
            || m.max_steps == 0
            || m.phash_threshold > 64
        {
            return Err(AppError::invalid_request(format!(
                "model {:?}: needs an id of 1-64 bytes, a hex sha256, max_steps > 0 and a threshold <= 64",
                m.id
            )));
        }
        let multiple = m
            .size_multiple
            .unwrap_or_else(|| default_size_multiple(family));
        if multiple == 0 || multiple % 8 != 0 {
            return Err(AppError::invalid_request(format!(
                "model {}: size_multiple {multiple} must be a positive multiple of 8",
                m.id
            )));
        }
        let min_replicas = m.min_replicas.unwrap_or(DEFAULT_MIN_REPLICAS);
        if min_replicas == 0 || min_replicas > p.max_replicas {
            return Err(AppError::invalid_request(format!(
                "model {}: min_replicas {min_replicas} must be 1 to max_replicas {}",
                m.id, p.max_replicas
            )));
        }
        if m.max_width == 0 || m.max_width % 8 != 0 || m.max_height == 0 || m.max_height % 8 != 0 {
            return Err(AppError::invalid_request(format!(
                "model {}: max_width and max_height must be positive multiples of 8",
                m.id
            )));
        }
        state::set_model(
            ctx,
            &Model {
                id: m.id.clone(),
                family: family as i32,
                weights_sha256: m.weights_sha256.to_ascii_lowercase(),
                phash_threshold: m.phash_threshold,
                price_per_step_megapixel: m.price_per_step_megapixel,
                max_steps: m.max_steps,
                max_width: m.max_width,
                max_height: m.max_height,
                size_multiple: multiple,
                min_replicas,
            },
        )?;
    }
    crate::auth::ensure_account(ctx, &Address::module(MODULE_ACCOUNT))?;
    Ok(())
}

/// The largest vote extension params may allow (CometBFT carries it in every precommit);
/// `Params::max_vote_extension_bytes` is the chain's limit, at most this.
pub const MAX_VOTE_EXTENSION_BYTES: usize = 64 * 1024;
/// The smallest limit params may set: room for a few results.
pub const MIN_VOTE_EXTENSION_BYTES: usize = 1024;
/// The most task results and commitments one extension may carry, together.
pub const MAX_RESULTS_PER_EXTENSION: usize = 256;
/// The longest salt a reveal may carry.
pub const MAX_SALT_BYTES: usize = 64;

/// Checks a vote extension's shape (VerifyVoteExtension): it decodes and stays within
/// `max_bytes` (the params' `max_vote_extension_bytes`) and the result count, each task at
/// most once.
pub fn check_vote_extension(bytes: &[u8], max_bytes: usize) -> AppResult<VoteExtension> {
    if bytes.len() > max_bytes {
        return Err(errors::invalid_vote_extension(format!(
            "vote extension of {} bytes exceeds {max_bytes}",
            bytes.len()
        )));
    }
    let ext = VoteExtension::decode(bytes).map_err(|e| {
        errors::invalid_vote_extension(format!("vote extension does not decode: {e}"))
    })?;
    // Checked before any state is read: each result costs FinalizeBlock a task read, so one
    // extension of thousands of tiny or repeated results must not get that far.
    let entries = ext.results.len().saturating_add(ext.commitments.len());
    if entries > MAX_RESULTS_PER_EXTENSION {
        return Err(errors::invalid_vote_extension(format!(
            "{entries} results and commitments in one extension, above \
             {MAX_RESULTS_PER_EXTENSION}"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &ext.commitments {
        if c.commitment.len() != 32 {
            return Err(errors::invalid_vote_extension(format!(
                "task {}: a commitment of {} bytes, not 32",
                c.task_id,
                c.commitment.len()
            )));
        }
        if !seen.insert(c.task_id) {
            return Err(errors::invalid_vote_extension(format!(
                "task {} is committed to twice",
                c.task_id
            )));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &ext.results {
        if r.images.len() > super::msgs::MAX_SEEDS_CAP {
            return Err(errors::invalid_vote_extension(format!(
                "task {} reports {} images",
                r.task_id,
                r.images.len()
            )));
        }
        if !seen.insert(r.task_id) {
            return Err(errors::invalid_vote_extension(format!(
                "task {} is reported twice",
                r.task_id
            )));
        }
        if r.salt.len() > MAX_SALT_BYTES {
            return Err(errors::invalid_vote_extension(format!(
                "task {}: a salt of {} bytes, above {MAX_SALT_BYTES}",
                r.task_id,
                r.salt.len()
            )));
        }
    }
    Ok(ext)
}

/// Applies the inference parts of the previous commit's vote extensions (their signatures
/// already checked): each validator's commitments and reveals are credited to the executor
/// registered for it.
pub fn apply_vote_extensions(ctx: &mut Ctx<'_>, parts: &[(String, Vec<u8>)]) -> AppResult<()> {
    let max_bytes = state::params(ctx)?.max_vote_extension_bytes as usize;
    for (hex_address, ext) in parts {
        if ext.is_empty() {
            continue;
        }
        let Ok(ext) = check_vote_extension(ext, max_bytes) else {
            continue;
        };
        let Some(operator) = state::operator_of_validator(ctx, hex_address)? else {
            continue;
        };
        for c in &ext.commitments {
            settle::record_commitment(ctx, &operator, c)?;
        }
        for r in &ext.results {
            settle::record(ctx, &operator, r)?;
        }
    }
    Ok(())
}

/// Start of a block: the inference parts of the last commit's extensions (`parts`, empty when
/// the block carries none), then the draw of every task requested in the previous block,
/// from the beacon the beacon component has just mixed.
pub fn begin_block(ctx: &mut Ctx<'_>, parts: &[(String, Vec<u8>)], bank: &Escrow) -> AppResult<()> {
    apply_vote_extensions(ctx, parts)?;
    for id in state::undrawn_task_ids(ctx)? {
        ctx.delete(state::state_key::undrawn(id))?;
        if let Some(mut task) = state::task(ctx, id)? {
            settle::draw(ctx, &mut task, bank)?;
            state::set_task(ctx, &task)?;
        }
    }
    Ok(())
}

/// End of a block: executors whose jail ends here are released first (so a fault settled in
/// this block counts against the released executor), then tasks are settled.
pub fn end_block(ctx: &mut Ctx<'_>, bank: &Escrow) -> AppResult<()> {
    settle::release_jailed(ctx)?;
    settle::end_block(ctx, bank)
}

/// The module account holds exactly the escrows of pending tasks, denom by denom.
pub fn check_invariants(ctx: &mut Ctx<'_>, bank: &Escrow) -> AppResult<()> {
    let mut owed = std::collections::BTreeMap::<String, u128>::new();
    for id in state::open_task_ids(ctx)? {
        let t = state::task(ctx, id)?
            .ok_or_else(|| AppError::internal(format!("open task {id} has no record")))?;
        if t.status != TaskStatus::Pending as i32 {
            return Err(AppError::internal(format!(
                "task {id} is indexed open but settled"
            )));
        }
        if let Some(c) = &t.escrow {
            let amount = parse_amount(&c.amount).map_err(AppError::internal)?;
            let sum = owed.entry(c.denom.clone()).or_default();
            *sum = sum
                .checked_add(amount)
                .ok_or_else(|| AppError::overflow("the escrows of open tasks"))?;
        }
    }
    bank.check_coins(ctx, &owed, "open tasks")
}
