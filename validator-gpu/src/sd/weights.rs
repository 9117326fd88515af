//! Weight files: the diffusers layout, the hash the registry records, the embedded tiny model
//! (trained by `validator-gpu/train/train.py`, shipped in `validator-gpu/models/tiny/`) and the
//! SDXL-path test model whose weights are generated from a fixed seed.
//!
//! The registry hash of a model directory is sha256 over, for each file of [`FILES`] in that
//! order (then [`FILES_2`] when the directory has SDXL's second text encoder),
//! `"<relative path>\n<hex sha256 of the file>\n"`. It covers every byte the pipeline loads,
//! and an operator can compute it with `sha256sum`.

use super::noise::SeededNormal;
use super::pipeline::{SdConfig, TextEncoderKind};
use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

pub const TEXT_ENCODER: &str = "text_encoder/model.safetensors";
pub const UNET: &str = "unet/diffusion_pytorch_model.safetensors";
pub const VAE: &str = "vae/diffusion_pytorch_model.safetensors";
pub const VOCAB: &str = "tokenizer/vocab.json";
pub const MERGES: &str = "tokenizer/merges.txt";
pub const FILES: [&str; 5] = [TEXT_ENCODER, UNET, VAE, VOCAB, MERGES];
pub const TEXT_ENCODER_2: &str = "text_encoder_2/model.safetensors";
pub const VOCAB_2: &str = "tokenizer_2/vocab.json";
pub const MERGES_2: &str = "tokenizer_2/merges.txt";
/// SDXL's second encoder and tokenizer, hashed after [`FILES`] when present.
pub const FILES_2: [&str; 3] = [TEXT_ENCODER_2, VOCAB_2, MERGES_2];

/// The seed the generated test models' weights ([`write_tiny_xl`]) come from.
pub const TINY_SEED: u64 = 0x611A_5D00;

/// The embedded tiny model, file by file (diffusers layout), as `validator-gpu/train/train.py`
/// wrote it: SD 1.5's architecture cut down ([`SdConfig::tiny`]), trained on drawn shapes and
/// digits ("a red circle on a blue background", "the digit 7").
pub const TINY_FILES: [(&str, &[u8]); 6] = [
    (
        TEXT_ENCODER,
        include_bytes!("../../models/tiny/text_encoder/model.safetensors"),
    ),
    (
        UNET,
        include_bytes!("../../models/tiny/unet/diffusion_pytorch_model.safetensors"),
    ),
    (
        VAE,
        include_bytes!("../../models/tiny/vae/diffusion_pytorch_model.safetensors"),
    ),
    (
        VOCAB,
        include_bytes!("../../models/tiny/tokenizer/vocab.json"),
    ),
    (
        MERGES,
        include_bytes!("../../models/tiny/tokenizer/merges.txt"),
    ),
    (
        "model_index.json",
        include_bytes!("../../models/tiny/model_index.json"),
    ),
];

/// The registry hash of the embedded tiny model ([`model_sha256`] of what [`write_tiny`]
/// writes): what `gliad tiny-model` prints and the localnet's genesis registers.
pub const TINY_SHA256: &str = "f36ed703af52d5c116c7e570985a4b33ab280669d29700d6a6043018a258d481";

pub fn file_sha256(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The registry hash of a model directory.
pub fn model_sha256(dir: &Path) -> Result<String> {
    let mut h = Sha256::new();
    let second = dir.join(TEXT_ENCODER_2).exists();
    for f in FILES.iter().chain(FILES_2.iter().filter(|_| second)) {
        h.update(format!("{f}\n{}\n", file_sha256(&dir.join(f))?));
    }
    Ok(hex::encode(h.finalize()))
}

/// Gives every variable of `map` a value that depends only on `seed` and its name: norm
/// scales 1, biases 0, other weights normal with variance 1/fan-in.
fn fill(map: &VarMap, seed: u64) -> Result<HashMap<String, Tensor>> {
    let data = map.data().lock().expect("varmap lock");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut out = HashMap::new();
    for name in names {
        let var = &data[name];
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let stream = u64::from_be_bytes(Sha256::digest(name.as_bytes())[..8].try_into()?);
        let values: Vec<f32> = if name.ends_with("bias") {
            vec![0.0; n]
        } else if shape.rank() == 1 {
            vec![1.0; n]
        } else {
            let fan_in = (n / shape.dims()[0]).max(1) as f32;
            let scale = fan_in.sqrt().recip();
            SeededNormal::new(seed, stream)
                .vec_f32(n)
                .into_iter()
                .map(|v| v * scale)
                .collect()
        };
        let t = Tensor::from_vec(values, shape, &Device::Cpu)?;
        var.set(&t)?;
        out.insert(name.clone(), t);
    }
    Ok(out)
}

/// Writes the embedded tiny model into `dir` (diffusers layout), byte for byte as shipped,
/// and returns its registry hash ([`TINY_SHA256`]).
pub fn write_tiny(dir: &Path) -> Result<String> {
    for (file, bytes) in TINY_FILES {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().context("weight file in a folder")?)?;
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    model_sha256(dir)
}

/// Writes [`SdConfig::tiny_xl`] (the SDXL code path, cut down) like [`write_tiny`].
pub fn write_tiny_xl(dir: &Path) -> Result<String> {
    write_generated(dir, &SdConfig::tiny_xl(), "tiny-xl")
}

/// Writes generated weights of `cfg`'s architecture into `dir`, a byte-level tokenizer for each
/// text encoder, and returns the registry hash.
fn write_generated(dir: &Path, cfg: &SdConfig, name: &str) -> Result<String> {
    let dev = Device::Cpu;
    let build = |file: &str, f: &dyn Fn(VarBuilder) -> Result<()>| -> Result<()> {
        std::fs::create_dir_all(dir.join(file).parent().context("weight file in a folder")?)?;
        let map = VarMap::new();
        f(VarBuilder::from_varmap(&map, DType::F32, &dev))?;
        let tensors = fill(&map, TINY_SEED)?;
        candle_core::safetensors::save(&tensors, dir.join(file))?;
        Ok(())
    };
    let encoder = |kind: &TextEncoderKind, vb: VarBuilder| -> Result<()> {
        use candle_transformers::models::{clip::text_model, stable_diffusion::clip};
        match kind {
            TextEncoderKind::Clip(c) => {
                text_model::ClipTextTransformer::new(vb.pp("text_model"), c)?;
            }
            TextEncoderKind::OpenClip(c) => {
                clip::ClipTextTransformer::new(vb, c)?;
            }
        }
        Ok(())
    };
    let (vocab, merges) = super::tokenizer::byte_level_files();
    build(TEXT_ENCODER, &|vb| encoder(&cfg.text_encoder, vb))?;
    std::fs::create_dir_all(dir.join("tokenizer"))?;
    std::fs::write(dir.join(VOCAB), &vocab)?;
    std::fs::write(dir.join(MERGES), &merges)?;
    if let Some(second) = &cfg.text_encoder_2 {
        build(TEXT_ENCODER_2, &|vb| encoder(second, vb))?;
        std::fs::create_dir_all(dir.join("tokenizer_2"))?;
        std::fs::write(dir.join(VOCAB_2), &vocab)?;
        std::fs::write(dir.join(MERGES_2), &merges)?;
    }
    build(UNET, &|vb| {
        candle_transformers::models::stable_diffusion::unet_2d::UNet2DConditionModel::new(
            vb,
            4,
            4,
            false,
            cfg.unet.clone(),
        )?;
        Ok(())
    })?;
    build(VAE, &|vb| {
        candle_transformers::models::stable_diffusion::vae::AutoEncoderKL::new(
            vb,
            3,
            3,
            cfg.vae.clone(),
        )?;
        Ok(())
    })?;
    std::fs::write(
        dir.join("model_index.json"),
        format!("{{\"_class_name\": \"StableDiffusionPipeline\", \"_glia_family\": \"{name}\"}}\n"),
    )?;
    model_sha256(dir)
}
