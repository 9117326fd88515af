//! Inference messages and their stateless checks (those that need no params or state).

use super::errors;
use crate::address::Address;
use crate::coins::{parse_coins, Coin};
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::Any;
use glia_proto::inference::v1::{MsgGenerateImage, MsgRegisterExecutor, Scheduler};
use prost::{Message, Name};

/// Hard caps that hold whatever the params say, so a decoder never holds absurd input.
pub const MAX_PROMPT_BYTES_CAP: usize = 4096;
pub const MAX_SEEDS_CAP: usize = 64;
pub const MAX_DEVICES: usize = 16;
pub const MAX_HELD_MODELS: usize = 32;
pub const MAX_URL_BYTES: usize = 256;

#[derive(Clone, Debug)]
pub struct GenerateImage {
    pub creator: Address,
    pub max_fee: Coin,
    /// Guidance scale × 1000 (the chain never computes with floats).
    pub guidance_milli: u32,
    pub msg: MsgGenerateImage,
}

#[derive(Clone, Debug)]
pub struct RegisterExecutor {
    pub operator: Address,
    pub msg: MsgRegisterExecutor,
}

#[derive(Clone, Debug)]
pub enum InferenceMsg {
    GenerateImage(Box<GenerateImage>),
    RegisterExecutor(Box<RegisterExecutor>),
}

/// Parses a decimal like "7.5" into thousandths, refusing more than 3 decimals or values
/// above 30.
pub fn parse_guidance(s: &str) -> Result<u32, String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) || (s.contains('.') && frac.is_empty()) {
        return Err(format!(
            "guidance_scale {s:?} is not a decimal like \"7.5\" (at most 3 decimals)"
        ));
    }
    let whole: u32 = int.parse().map_err(|_| format!("guidance_scale {s:?}"))?;
    // At most 3 digits each side (checked above): at most 999_999.
    let mut milli = whole.saturating_mul(1000);
    for (b, place) in frac.bytes().zip([100u32, 10, 1]) {
        milli = milli.saturating_add(u32::from(b.saturating_sub(b'0')).saturating_mul(place));
    }
    if milli > 30_000 {
        return Err(format!("guidance_scale {s} is above the maximum 30"));
    }
    Ok(milli)
}

fn check_generate(m: MsgGenerateImage) -> AppResult<GenerateImage> {
    let creator = Address::parse(&m.creator)
        .map_err(|e| AppError::invalid_address(format!("invalid creator address: {e}")))?;
    if m.model_id.is_empty() {
        return Err(errors::unknown_model("model_id is empty"));
    }
    if m.prompt.trim().is_empty() {
        return Err(errors::invalid_prompt("prompt is empty"));
    }
    for (name, p) in [
        ("prompt", &m.prompt),
        ("negative_prompt", &m.negative_prompt),
    ] {
        if p.len() > MAX_PROMPT_BYTES_CAP {
            return Err(errors::invalid_prompt(format!(
                "{name} is {} bytes, above the cap of {MAX_PROMPT_BYTES_CAP}",
                p.len()
            )));
        }
    }
    if m.steps == 0 {
        return Err(errors::invalid_steps("steps must be at least 1, got 0"));
    }
    for (name, v) in [("width", m.width), ("height", m.height)] {
        if v == 0 || v % 8 != 0 {
            return Err(errors::invalid_size(format!(
                "{name} {v} must be a positive multiple of 8"
            )));
        }
    }
    if m.seeds.is_empty() {
        return Err(errors::invalid_seeds(
            "no seeds: one image is made per seed",
        ));
    }
    if m.seeds.len() > MAX_SEEDS_CAP {
        return Err(errors::invalid_seeds(format!(
            "{} seeds, above the cap of {MAX_SEEDS_CAP}",
            m.seeds.len()
        )));
    }
    let mut sorted = m.seeds.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(errors::invalid_seeds(format!(
            "seed {} appears twice; each seed is one image",
            w[0]
        )));
    }
    if m.replicas == 0 {
        return Err(errors::invalid_replicas(
            "replicas must be at least 1, got 0",
        ));
    }
    if Scheduler::try_from(m.scheduler).map_or(true, |s| s == Scheduler::Unspecified) {
        return Err(errors::invalid_scheduler(format!(
            "scheduler {} is not DDIM (1) or Euler ancestral (2)",
            m.scheduler
        )));
    }
    let guidance = if m.guidance_scale.is_empty() {
        "7.5"
    } else {
        &m.guidance_scale
    };
    let guidance_milli = parse_guidance(guidance).map_err(errors::invalid_guidance)?;
    let max_fee = match &m.max_fee {
        Some(c) => parse_coins(std::slice::from_ref(c), false)?
            .pop()
            .ok_or_else(|| AppError::invalid_coins("max_fee is empty"))?,
        None => return Err(AppError::invalid_coins("max_fee is missing")),
    };
    Ok(GenerateImage {
        creator,
        max_fee,
        guidance_milli,
        msg: m,
    })
}

fn check_register(m: MsgRegisterExecutor) -> AppResult<RegisterExecutor> {
    let operator = Address::parse(&m.operator)
        .map_err(|e| AppError::invalid_address(format!("invalid operator address: {e}")))?;
    if m.validator_pubkey.len() != 32 {
        return Err(AppError::invalid_pubkey(format!(
            "validator_pubkey must be a 32-byte ed25519 key, got {} bytes",
            m.validator_pubkey.len()
        )));
    }
    if m.validator_signature.len() != 64 {
        return Err(errors::invalid_validator_signature(format!(
            "validator_signature must be 64 bytes, got {}",
            m.validator_signature.len()
        )));
    }
    if m.devices.len() > MAX_DEVICES || m.models.len() > MAX_HELD_MODELS {
        return Err(errors::invalid_executor(format!(
            "{} devices and {} models; at most {MAX_DEVICES} and {MAX_HELD_MODELS}",
            m.devices.len(),
            m.models.len()
        )));
    }
    if m.devices
        .iter()
        .any(|d| d.name.is_empty() || d.name.len() > 64)
    {
        return Err(errors::invalid_executor(
            "device names must be 1 to 64 bytes",
        ));
    }
    if !(m.blob_url.starts_with("http://") || m.blob_url.starts_with("https://"))
        || m.blob_url.len() > MAX_URL_BYTES
    {
        return Err(errors::invalid_executor(format!(
            "blob_url {:?} must be an http(s) URL of at most {MAX_URL_BYTES} bytes",
            m.blob_url
        )));
    }
    Ok(RegisterExecutor { operator, msg: m })
}

impl InferenceMsg {
    /// Decodes and checks an `Any` if it is an inference message; `None` otherwise.
    pub fn decode(any: &Any) -> Option<AppResult<InferenceMsg>> {
        if any.type_url == MsgGenerateImage::type_url() {
            Some(
                MsgGenerateImage::decode(any.value.as_slice())
                    .map_err(|e| AppError::tx_decode(format!("MsgGenerateImage: {e}")))
                    .and_then(check_generate)
                    .map(|m| InferenceMsg::GenerateImage(Box::new(m))),
            )
        } else if any.type_url == MsgRegisterExecutor::type_url() {
            Some(
                MsgRegisterExecutor::decode(any.value.as_slice())
                    .map_err(|e| AppError::tx_decode(format!("MsgRegisterExecutor: {e}")))
                    .and_then(check_register)
                    .map(|m| InferenceMsg::RegisterExecutor(Box::new(m))),
            )
        } else {
            None
        }
    }

    pub fn signers(&self) -> Vec<Address> {
        match self {
            InferenceMsg::GenerateImage(m) => vec![m.creator.clone()],
            InferenceMsg::RegisterExecutor(m) => vec![m.operator.clone()],
        }
    }

    pub fn type_url(&self) -> String {
        match self {
            InferenceMsg::GenerateImage(_) => MsgGenerateImage::type_url(),
            InferenceMsg::RegisterExecutor(_) => MsgRegisterExecutor::type_url(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_is_parsed_to_thousandths() {
        assert_eq!(parse_guidance("7.5"), Ok(7500));
        assert_eq!(parse_guidance("0"), Ok(0));
        assert_eq!(parse_guidance("12.345"), Ok(12345));
        assert_eq!(parse_guidance("30"), Ok(30000));
        for bad in [
            "", ".5", "7.", "7.5555", "-1", "1e3", "30.001", "abc", "7,5",
        ] {
            assert!(parse_guidance(bad).is_err(), "{bad:?} accepted");
        }
    }
}
