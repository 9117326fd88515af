//! Stable Diffusion on candle: the text encoder (CLIP), the UNet, the VAE decoder and two
//! samplers (DDIM, Euler ancestral), configured per registered family, loaded from a
//! directory in the Hugging Face diffusers layout and refused unless the weights hash to the
//! registry's value.

pub mod euler_ancestral;
pub mod image;
pub mod noise;
pub mod pipeline;
pub mod pool;
#[cfg(test)]
mod tests;
pub mod tokenizer;
pub mod weights;

pub use candle_core::Device;
pub use image::RgbImage;
pub use pipeline::{Family, GenerateRequest, Pipeline, SamplerKind, SdConfig};
pub use pool::{DeviceChoice, DevicePool, PooledPipeline};
