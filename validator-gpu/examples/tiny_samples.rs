//! Writes sample images of the embedded tiny model through the candle pipeline (DDIM, guidance
//! 7.5, 64×64), one PNG per prompt and a grid of them, and prints the time per image.
//!
//!     cargo run -p glia-validator-gpu --example tiny_samples -- docs/img
//!     cargo run -p glia-validator-gpu --example tiny_samples -- OUT --model DIR
//!
//! `--model DIR` reads a model directory (diffusers layout, e.g. what
//! `validator-gpu/train/train.py` exports) instead of the embedded one; `--write DIR` keeps the
//! embedded model written out in DIR; `--steps N` (default 8); `--seeds N` columns (default 4);
//! `--half` also draws each image in f16 and prints the pHash distance to the f32 one.

use anyhow::{Context, Result};
use glia_validator_gpu::sd::{weights, Device, GenerateRequest, Pipeline, RgbImage, SdConfig};
use std::path::PathBuf;
use std::time::Instant;

/// (file stem, prompt) of the samples.
const SAMPLES: [(&str, &str); 8] = [
    ("tiny-red-circle", "a red circle on a blue background"),
    ("tiny-green-square", "a green square on a white background"),
    (
        "tiny-yellow-triangle",
        "a yellow triangle on a black background",
    ),
    ("tiny-white-cross", "a white cross on a purple background"),
    ("tiny-orange-ring", "an orange ring on a green background"),
    ("tiny-blue-circle", "a blue circle on a yellow background"),
    ("tiny-digit-7", "the digit 7"),
    ("tiny-digit-3", "a red digit 3 on a white background"),
];

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .context("usage: tiny_samples OUT [--model DIR] [--steps N] [--seeds N]")?,
    );
    let (mut model, mut steps, mut seeds, mut keep, mut half) = (None, 8u32, 4u64, None, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--model" => model = Some(PathBuf::from(args.next().context("--model DIR")?)),
            "--steps" => steps = args.next().context("--steps N")?.parse()?,
            "--seeds" => seeds = args.next().context("--seeds N")?.parse()?,
            "--half" => half = true,
            "--write" => keep = Some(PathBuf::from(args.next().context("--write DIR")?)),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let tmp = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("glia-tiny-samples-{}", std::process::id()))
    });
    let (dir, hash) = match model {
        Some(d) => {
            let h = weights::model_sha256(&d)?;
            (d, h)
        }
        None => {
            let h = weights::write_tiny(&tmp)?;
            (tmp.clone(), h)
        }
    };
    println!("model {} sha256 {hash}", dir.display());
    let p = Pipeline::load(&dir, SdConfig::tiny(), &hash, &Device::Cpu)?;
    // A stand-in for a replica that computes differently (another CPU, a GPU): the same
    // weights in half precision, whose images must stay within the chain's pHash threshold.
    let p16 = if half {
        Some(Pipeline::load_as(
            &dir,
            SdConfig::tiny(),
            &hash,
            &Device::Cpu,
            candle_core::DType::F16,
        )?)
    } else {
        None
    };
    let mut worst = 0;
    std::fs::create_dir_all(&out)?;
    let mut grid: Vec<Vec<RgbImage>> = Vec::new();
    let mut total = 0.0;
    let mut n = 0;
    for (stem, prompt) in SAMPLES {
        let req = GenerateRequest {
            steps,
            ..GenerateRequest::tiny_default(prompt)
        };
        let mut row = Vec::new();
        for seed in 0..seeds {
            let t = Instant::now();
            let img = p.generate(&req, seed)?;
            total += t.elapsed().as_secs_f64();
            n += 1;
            if let Some(p16) = &p16 {
                let d = (img.phash() ^ p16.generate(&req, seed)?.phash()).count_ones();
                worst = worst.max(d);
                println!("{prompt:?} seed {seed}: pHash distance f32 vs f16 {d}");
            }
            if seed == 0 {
                std::fs::write(out.join(format!("{stem}.png")), img.to_png()?)?;
            }
            row.push(img);
        }
        grid.push(row);
    }
    // The grid: one row per prompt, one column per seed (0, 1, ...), 4-pixel white gutters.
    let (cw, ch, gap) = (64usize, 64usize, 4usize);
    let cols = seeds as usize;
    let (w, h) = (cols * (cw + gap) + gap, grid.len() * (ch + gap) + gap);
    let mut pixels = vec![255u8; w * h * 3];
    for (r, row) in grid.iter().enumerate() {
        for (c, img) in row.iter().enumerate() {
            for y in 0..ch {
                let dst = ((gap + r * (ch + gap) + y) * w + gap + c * (cw + gap)) * 3;
                pixels[dst..dst + cw * 3]
                    .copy_from_slice(&img.pixels[y * cw * 3..(y + 1) * cw * 3]);
            }
        }
    }
    let grid_img = RgbImage::new(w as u32, h as u32, pixels)?;
    std::fs::write(out.join("tiny-grid.png"), grid_img.to_png()?)?;
    println!(
        "{n} images at {steps} DDIM steps, {:.1} ms per 64x64 image (one thread: RAYON_NUM_THREADS=1)",
        1000.0 * total / n as f64
    );
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if half {
        println!("largest pHash distance between f32 and f16 images: {worst}");
    }
    Ok(())
}
