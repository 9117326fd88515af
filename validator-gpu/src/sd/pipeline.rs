//! The text-to-image pipeline: config struct → load from a directory → `generate`.

use super::euler_ancestral::EulerAncestral;
use super::image::RgbImage;
use super::noise::SeededNormal;
use super::tokenizer::ClipTokenizer;
use super::weights;
use anyhow::{bail, ensure, Context, Result};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::clip::text_model::{
    Activation, ClipTextConfig, ClipTextTransformer,
};
use candle_transformers::models::stable_diffusion::{
    clip as sd_clip, ddim, schedulers::PredictionType, schedulers::Scheduler,
    schedulers::SchedulerConfig, unet_2d, vae,
};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Sd15,
    Sd21,
    SdxlTurbo,
    Tiny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplerKind {
    Ddim,
    EulerAncestral,
}

/// Which CLIP text transformer a family uses. SD 1.x's (quick-GELU) is candle's generic CLIP
/// text model, which the tiny model shares; SD 2.x's OpenCLIP (GELU) is candle's SD one.
#[derive(Clone, Debug)]
pub enum TextEncoderKind {
    Clip(ClipTextConfig),
    OpenClip(sd_clip::Config),
}

#[derive(Clone, Debug)]
pub struct SdConfig {
    pub family: Family,
    pub text_encoder: TextEncoderKind,
    /// Padding token (SD 2.x pads with "!"; SD 1.x with the end token).
    pub pad_with: Option<&'static str>,
    /// SDXL's second text encoder (OpenCLIP bigG, in `text_encoder_2/` with `tokenizer_2/`,
    /// padding with "!"): its hidden states are concatenated after the first's.
    pub text_encoder_2: Option<TextEncoderKind>,
    /// Condition on the penultimate encoder layer's hidden states, as SDXL does, instead of the
    /// final layer-normed ones (OpenCLIP-kind encoders only: candle's generic CLIP text model
    /// does not expose its layers).
    pub penultimate: bool,
    pub unet: unet_2d::UNet2DConditionModelConfig,
    pub vae: vae::AutoEncoderKLConfig,
    /// Latents are the VAE's output times this (0.18215 for every SD family).
    pub vae_scale: f64,
    pub prediction: PredictionType,
    /// Latent side = image side / this; images must be multiples of it times the UNet's
    /// total downsampling.
    pub align: u32,
}

fn bc(out_channels: usize, cross: Option<usize>, heads: usize) -> unet_2d::BlockConfig {
    unet_2d::BlockConfig {
        out_channels,
        use_cross_attn: cross,
        attention_head_dim: heads,
    }
}

fn unet(
    blocks: Vec<unet_2d::BlockConfig>,
    layers: usize,
    groups: usize,
    cross: usize,
    linear: bool,
) -> unet_2d::UNet2DConditionModelConfig {
    unet_2d::UNet2DConditionModelConfig {
        blocks,
        center_input_sample: false,
        cross_attention_dim: cross,
        downsample_padding: 1,
        flip_sin_to_cos: true,
        freq_shift: 0.,
        layers_per_block: layers,
        mid_block_scale_factor: 1.,
        norm_eps: 1e-5,
        norm_num_groups: groups,
        sliced_attention_size: None,
        use_linear_projection: linear,
    }
}

fn autoencoder(channels: Vec<usize>, layers: usize, groups: usize) -> vae::AutoEncoderKLConfig {
    vae::AutoEncoderKLConfig {
        block_out_channels: channels,
        layers_per_block: layers,
        latent_channels: 4,
        norm_num_groups: groups,
        use_quant_conv: true,
        use_post_quant_conv: true,
    }
}

impl SdConfig {
    /// Stable Diffusion 1.5 (values from runwayml/stable-diffusion-v1-5's config files).
    pub fn v1_5() -> Self {
        SdConfig {
            family: Family::Sd15,
            text_encoder: TextEncoderKind::Clip(ClipTextConfig {
                vocab_size: 49408,
                embed_dim: 768,
                activation: Activation::QuickGelu,
                intermediate_size: 3072,
                max_position_embeddings: 77,
                pad_with: None,
                num_hidden_layers: 12,
                num_attention_heads: 12,
                projection_dim: 768,
            }),
            pad_with: None,
            text_encoder_2: None,
            penultimate: false,
            unet: unet(
                vec![
                    bc(320, Some(1), 8),
                    bc(640, Some(1), 8),
                    bc(1280, Some(1), 8),
                    bc(1280, None, 8),
                ],
                2,
                32,
                768,
                false,
            ),
            vae: autoencoder(vec![128, 256, 512, 512], 2, 32),
            vae_scale: 0.18215,
            prediction: PredictionType::Epsilon,
            align: 64,
        }
    }

    /// Stable Diffusion 2.1 (stabilityai/stable-diffusion-2-1): OpenCLIP text encoder,
    /// v-prediction.
    pub fn v2_1() -> Self {
        SdConfig {
            family: Family::Sd21,
            text_encoder: TextEncoderKind::OpenClip(sd_clip::Config::v2_1()),
            pad_with: Some("!"),
            text_encoder_2: None,
            penultimate: false,
            unet: unet(
                vec![
                    bc(320, Some(1), 5),
                    bc(640, Some(1), 10),
                    bc(1280, Some(1), 20),
                    bc(1280, None, 20),
                ],
                2,
                32,
                1024,
                true,
            ),
            vae: autoencoder(vec![128, 256, 512, 512], 2, 32),
            vae_scale: 0.18215,
            prediction: PredictionType::VPrediction,
            align: 64,
        }
    }

    /// The embedded model: SD 1.5's architecture with every width cut down (a byte-level
    /// vocabulary, 2 text layers of width 32, a two-level UNet of 32/64 channels, a four-level
    /// VAE of 16–48 channels), trained by `validator-gpu/train/train.py` on drawn shapes and
    /// digits (`validator-gpu/models/tiny/`). Same modules, same code path, about 4 MB of
    /// weights.
    ///
    /// The VAE's widths (16, 24, 24, 48) keep clear of a bug in candle 0.9's CPU convolution
    /// (huggingface/candle#3404, fixed upstream in 0.10): a 3×3 convolution whose input has as
    /// many channels as rows and columns (C == H == W) reads it in the wrong layout. With 32
    /// channels at 32×32 the decoder hit it on every 64×64 image; with these widths no
    /// power-of-two square size does. In candle's UNet, the resnets of the down and up blocks
    /// normalise with 32 groups whatever `norm_num_groups` says (the mid block's use 8); the
    /// training script builds the same.
    pub fn tiny() -> Self {
        SdConfig {
            family: Family::Tiny,
            text_encoder: TextEncoderKind::Clip(ClipTextConfig {
                vocab_size: 514,
                embed_dim: 32,
                activation: Activation::QuickGelu,
                intermediate_size: 64,
                max_position_embeddings: 77,
                pad_with: None,
                num_hidden_layers: 2,
                num_attention_heads: 2,
                projection_dim: 32,
            }),
            pad_with: None,
            text_encoder_2: None,
            penultimate: false,
            unet: unet(vec![bc(32, Some(1), 2), bc(64, None, 2)], 1, 8, 32, false),
            vae: autoencoder(vec![16, 24, 24, 48], 1, 8),
            vae_scale: 0.18215,
            prediction: PredictionType::Epsilon,
            align: 16,
        }
    }

    /// SDXL-Turbo (stabilityai/sdxl-turbo): two text encoders whose penultimate hidden states
    /// are concatenated (768 + 1280 = 2048 wide), a three-level UNet with 2 and 10 transformer
    /// layers, SDXL's VAE scale; 1–4 Euler-ancestral steps without guidance. The UNet's pooled
    /// text and size conditioning (`add_embedding`) is not in candle's UNet and is not read.
    pub fn sdxl_turbo() -> Self {
        SdConfig {
            family: Family::SdxlTurbo,
            text_encoder: TextEncoderKind::OpenClip(sd_clip::Config::sdxl()),
            pad_with: None,
            text_encoder_2: Some(TextEncoderKind::OpenClip(sd_clip::Config::sdxl2())),
            penultimate: true,
            unet: unet(
                vec![
                    bc(320, None, 5),
                    bc(640, Some(2), 10),
                    bc(1280, Some(10), 20),
                ],
                2,
                32,
                2048,
                true,
            ),
            vae: autoencoder(vec![128, 256, 512, 512], 2, 32),
            vae_scale: 0.13025,
            prediction: PredictionType::Epsilon,
            align: 32,
        }
    }

    /// SDXL-Turbo's architecture cut down like [`SdConfig::tiny`]: two tokenizers and two
    /// 2-layer text encoders (widths 32 and 48) whose outputs are concatenated 80 wide, a UNet
    /// whose first level has no attention and whose second has 2 transformer layers with linear
    /// projections, SDXL's VAE scale. The tests run the SDXL code path with it. Its encoders are
    /// candle's generic CLIP (the SD-specific one's widths cannot be set from outside candle),
    /// so they condition on final rather than penultimate hidden states.
    pub fn tiny_xl() -> Self {
        let clip = |embed_dim| {
            TextEncoderKind::Clip(ClipTextConfig {
                vocab_size: 514,
                embed_dim,
                activation: Activation::QuickGelu,
                intermediate_size: 2 * embed_dim,
                max_position_embeddings: 77,
                pad_with: None,
                num_hidden_layers: 2,
                num_attention_heads: 2,
                projection_dim: embed_dim,
            })
        };
        SdConfig {
            family: Family::SdxlTurbo,
            text_encoder: clip(32),
            pad_with: None,
            text_encoder_2: Some(clip(48)),
            penultimate: false,
            unet: unet(vec![bc(32, None, 2), bc(64, Some(2), 2)], 1, 8, 80, true),
            vae: autoencoder(vec![16, 32, 32, 32], 1, 8),
            vae_scale: 0.13025,
            prediction: PredictionType::Epsilon,
            align: 16,
        }
    }

    pub fn for_family(f: Family) -> Self {
        match f {
            Family::Sd15 => Self::v1_5(),
            Family::Sd21 => Self::v2_1(),
            Family::SdxlTurbo => Self::sdxl_turbo(),
            Family::Tiny => Self::tiny(),
        }
    }
}

/// One image request (the chain's task fields, as the executor reads them).
#[derive(Clone, Debug)]
pub struct GenerateRequest {
    pub prompt: String,
    pub negative_prompt: String,
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub guidance: f64,
    pub sampler: SamplerKind,
}

impl GenerateRequest {
    /// What the CLI and the page ask the tiny model for by default: 64×64, 8 DDIM steps,
    /// guidance 7.5, no negative prompt.
    pub fn tiny_default(prompt: &str) -> Self {
        GenerateRequest {
            prompt: prompt.into(),
            negative_prompt: String::new(),
            width: 64,
            height: 64,
            steps: 8,
            guidance: 7.5,
            sampler: SamplerKind::Ddim,
        }
    }
}

enum TextEncoder {
    Clip(ClipTextTransformer),
    OpenClip(sd_clip::ClipTextTransformer),
}

pub struct Pipeline {
    pub config: SdConfig,
    tokenizer: ClipTokenizer,
    text: TextEncoder,
    /// SDXL's second tokenizer and encoder.
    second: Option<(ClipTokenizer, TextEncoder)>,
    unet: unet_2d::UNet2DConditionModel,
    vae: vae::AutoEncoderKL,
    device: Device,
    /// What the networks compute in.
    dtype: DType,
    /// The registry hash of the loaded weights.
    pub weights_sha256: String,
}

/// Weights for benchmarks: every tensor a model asks for, of its real shape, drawn from
/// N(0, 0.02²) on the device itself. Timing a network needs its shapes, not trained values.
struct RandomWeights;

impl candle_nn::var_builder::SimpleBackend for RandomWeights {
    fn get(
        &self,
        s: candle_core::Shape,
        _name: &str,
        _h: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        Tensor::randn(0f32, 0.02, s, dev)?.to_dtype(dtype)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("random weights have no shape for {name}")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}

impl Pipeline {
    /// Loads weights from `dir`, refusing them unless they hash to `expected_sha256`.
    pub fn load(
        dir: &Path,
        config: SdConfig,
        expected_sha256: &str,
        device: &Device,
    ) -> Result<Self> {
        Self::load_as(dir, config, expected_sha256, device, DType::F32)
    }

    /// [`Pipeline::load`] computing in `dtype` (F16 or BF16 suit GPUs; the CPU wants F32).
    pub fn load_as(
        dir: &Path,
        config: SdConfig,
        expected_sha256: &str,
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        let hash = weights::model_sha256(dir)
            .with_context(|| format!("hashing the weights in {}", dir.display()))?;
        if !hash.eq_ignore_ascii_case(expected_sha256) {
            bail!(
                "weights in {} hash to {hash}, the registry says {expected_sha256}: refusing them",
                dir.display()
            );
        }
        let tokenizer = ClipTokenizer::from_dir(&dir.join("tokenizer"), config.pad_with, 77)?;
        let second = match config.text_encoder_2 {
            None => None,
            Some(_) => Some(ClipTokenizer::from_dir(
                &dir.join("tokenizer_2"),
                Some("!"),
                77,
            )?),
        };
        let mmap = |f: &str| -> Result<VarBuilder<'static>> {
            // Safety: the files are not modified while the pipeline holds them (the hash
            // check above read them whole).
            Ok(unsafe { VarBuilder::from_mmaped_safetensors(&[dir.join(f)], dtype, device)? })
        };
        Self::build(config, tokenizer, second, &mmap, device, dtype, hash)
    }

    /// A pipeline of `config`'s architecture with random weights of the real size, made on
    /// `device` (benchmarks: nothing to download). Its tokenizers are the byte-level ones of
    /// the tiny model, whose ids are valid in every family's vocabulary.
    pub fn random(config: SdConfig, device: &Device, dtype: DType) -> Result<Self> {
        let (vocab, merges) = super::tokenizer::byte_level_files();
        let tokenizer = ClipTokenizer::from_files(&vocab, &merges, None, 77)?;
        let second = config.text_encoder_2.as_ref().map(|_| tokenizer.clone());
        let random = |_: &str| -> Result<VarBuilder<'static>> {
            Ok(VarBuilder::from_backend(
                Box::new(RandomWeights),
                dtype,
                device.clone(),
            ))
        };
        Self::build(
            config,
            tokenizer,
            second,
            &random,
            device,
            dtype,
            "random".into(),
        )
    }

    fn build(
        config: SdConfig,
        tokenizer: ClipTokenizer,
        second_tokenizer: Option<ClipTokenizer>,
        weights_of: &dyn Fn(&str) -> Result<VarBuilder<'static>>,
        device: &Device,
        dtype: DType,
        hash: String,
    ) -> Result<Self> {
        let encoder = |kind: &TextEncoderKind, file: &str| -> Result<TextEncoder> {
            Ok(match kind {
                TextEncoderKind::Clip(c) => TextEncoder::Clip(ClipTextTransformer::new(
                    weights_of(file)?.pp("text_model"),
                    c,
                )?),
                TextEncoderKind::OpenClip(c) => {
                    TextEncoder::OpenClip(sd_clip::ClipTextTransformer::new(weights_of(file)?, c)?)
                }
            })
        };
        let text = encoder(&config.text_encoder, weights::TEXT_ENCODER)?;
        let second = match (&config.text_encoder_2, second_tokenizer) {
            (Some(kind), Some(tok)) => Some((tok, encoder(kind, weights::TEXT_ENCODER_2)?)),
            _ => None,
        };
        let unet = unet_2d::UNet2DConditionModel::new(
            weights_of(weights::UNET)?,
            4,
            4,
            false,
            config.unet.clone(),
        )?;
        let vae = vae::AutoEncoderKL::new(weights_of(weights::VAE)?, 3, 3, config.vae.clone())?;
        Ok(Pipeline {
            config,
            tokenizer,
            text,
            second,
            unet,
            vae,
            device: device.clone(),
            dtype,
            weights_sha256: hash,
        })
    }

    fn embed(&self, text: &str) -> Result<Tensor> {
        let run = |tok: &ClipTokenizer, m: &TextEncoder| -> Result<Tensor> {
            let ids = Tensor::new(tok.encode(text).as_slice(), &self.device)?.unsqueeze(0)?;
            Ok(match m {
                TextEncoder::Clip(m) => m.forward_with_mask(&ids, usize::MAX)?,
                TextEncoder::OpenClip(m) if self.config.penultimate => {
                    m.forward_until_encoder_layer(&ids, usize::MAX, -2)?.1
                }
                TextEncoder::OpenClip(m) => m.forward(&ids)?,
            })
        };
        let first = run(&self.tokenizer, &self.text)?;
        Ok(match &self.second {
            None => first,
            Some((tok, m)) => Tensor::cat(&[first, run(tok, m)?], 2)?,
        })
    }

    /// Makes the image for one seed.
    pub fn generate(&self, req: &GenerateRequest, seed: u64) -> Result<RgbImage> {
        let align = self.config.align;
        ensure!(
            req.width.is_multiple_of(align)
                && req.height.is_multiple_of(align)
                && req.width > 0
                && req.height > 0,
            "{}x{} is not a multiple of {align} for this model",
            req.width,
            req.height
        );
        ensure!(req.steps > 0, "steps must be positive");
        let guided = req.guidance > 1.0;
        let cond = self.embed(&req.prompt)?;
        let context = if guided {
            Tensor::cat(&[self.embed(&req.negative_prompt)?, cond], 0)?
        } else {
            cond
        };
        let steps = req.steps as usize;
        let mut scheduler: Box<dyn Scheduler> = match req.sampler {
            SamplerKind::Ddim => ddim::DDIMSchedulerConfig {
                prediction_type: self.config.prediction,
                ..Default::default()
            }
            .build(steps)?,
            SamplerKind::EulerAncestral => {
                Box::new(EulerAncestral::new(steps, seed, self.config.prediction))
            }
        };
        let (lh, lw) = (req.height as usize / 8, req.width as usize / 8);
        let noise = SeededNormal::new(seed, 0).vec_f32(4 * lh * lw);
        let mut latents = (Tensor::from_vec(noise, (1, 4, lh, lw), &self.device)?
            .to_dtype(self.dtype)?
            * scheduler.init_noise_sigma())?;
        let timesteps = scheduler.timesteps().to_vec();
        for t in timesteps {
            let input = if guided {
                Tensor::cat(&[&latents, &latents], 0)?
            } else {
                latents.clone()
            };
            let input = scheduler.scale_model_input(input, t)?;
            let pred = self.unet.forward(&input, t as f64, &context)?;
            let pred = if guided {
                let (u, c) = (pred.i(0..1)?, pred.i(1..2)?);
                (&u + ((c - &u)? * req.guidance)?)?
            } else {
                pred
            };
            latents = scheduler.step(&pred, t, &latents)?;
        }
        let image = self
            .vae
            .decode(&(latents / self.config.vae_scale)?)?
            .to_dtype(DType::F32)?;
        let image = ((image / 2.)? + 0.5)?.clamp(0f32, 1f32)?;
        let image = (image * 255.)?.round()?.to_dtype(DType::U8)?.i(0)?;
        let (c, h, w) = image.dims3()?;
        ensure!(c == 3, "VAE produced {c} channels");
        let pixels = image.permute((1, 2, 0))?.flatten_all()?.to_vec1::<u8>()?;
        RgbImage::new(w as u32, h as u32, pixels)
    }
}
