//! The tiny model end to end: the embedded weights are written reproducibly, load through the
//! same code as real weights, refuse a wrong hash, give the same image for the same seed, and
//! draw what the prompt names.

use super::*;
use candle_core::Device;
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("glia-sd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn request(sampler: SamplerKind) -> GenerateRequest {
    GenerateRequest {
        prompt: "a lighthouse at dusk".into(),
        negative_prompt: String::new(),
        width: 64,
        height: 48,
        steps: 4,
        guidance: 7.5,
        sampler,
    }
}

#[test]
fn tiny_model_generates_reproducibly_and_refuses_wrong_weights() {
    let (a, b) = (temp("a"), temp("b"));
    let hash = weights::write_tiny(&a).unwrap();
    assert_eq!(
        hash,
        weights::write_tiny(&b).unwrap(),
        "weights not reproducible"
    );
    assert_eq!(hash, weights::model_sha256(&a).unwrap());

    let dev = Device::Cpu;
    let wrong = "00".repeat(32);
    let err = Pipeline::load(&a, SdConfig::tiny(), &wrong, &dev)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("refusing"), "{err:#}");

    let p = Pipeline::load(&a, SdConfig::tiny(), &hash, &dev).unwrap();
    for sampler in [SamplerKind::Ddim, SamplerKind::EulerAncestral] {
        let req = request(sampler);
        let one = p.generate(&req, 1).unwrap();
        assert_eq!((one.width, one.height), (64, 48));
        assert_eq!(
            one,
            p.generate(&req, 1).unwrap(),
            "{sampler:?} not deterministic"
        );
        let two = p.generate(&req, 2).unwrap();
        assert_ne!(
            one.pixels, two.pixels,
            "{sampler:?}: seeds give the same image"
        );
        let png = one.to_png().unwrap();
        assert_eq!(RgbImage::from_png(&png).unwrap(), one);
    }
    let err = p
        .generate(
            &GenerateRequest {
                width: 40,
                ..request(SamplerKind::Ddim)
            },
            1,
        )
        .unwrap_err();
    assert!(format!("{err}").contains("multiple of 16"), "{err}");

    // A tampered weight file no longer matches the registry.
    let f = b.join(weights::UNET);
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    assert!(Pipeline::load(&b, SdConfig::tiny(), &hash, &dev).is_err());
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

/// SDXL's code path (two tokenizers and encoders concatenated, a UNet level without attention,
/// multi-layer transformers with linear projections, SDXL's VAE scale) on the cut-down model,
/// in SDXL-Turbo's usual setting (2 Euler-ancestral steps, no guidance) and guided DDIM.
#[test]
fn tiny_xl_runs_the_sdxl_path_and_hashes_both_encoders() {
    let dir = temp("xl");
    let hash = weights::write_tiny_xl(&dir).unwrap();
    let plain = temp("xl-plain");
    assert_ne!(hash, weights::write_tiny(&plain).unwrap());
    let _ = std::fs::remove_dir_all(&plain);
    let dev = Device::Cpu;
    let p = Pipeline::load(&dir, SdConfig::tiny_xl(), &hash, &dev).unwrap();
    let turbo = GenerateRequest {
        steps: 2,
        guidance: 0.0,
        ..request(SamplerKind::EulerAncestral)
    };
    for req in [turbo, request(SamplerKind::Ddim)] {
        let one = p.generate(&req, 7).unwrap();
        assert_eq!((one.width, one.height), (64, 48));
        assert_eq!(
            one,
            p.generate(&req, 7).unwrap(),
            "{req:?} not deterministic"
        );
        assert_ne!(one.pixels, p.generate(&req, 8).unwrap().pixels);
    }
    // The UNet is conditioned 80 wide: both encoders' outputs (32 + 48), or it would refuse the
    // context; and the prompt reaches the image.
    let other = GenerateRequest {
        prompt: "a lighthouse at dawn".into(),
        ..request(SamplerKind::Ddim)
    };
    assert_ne!(
        p.generate(&other, 7).unwrap().pixels,
        p.generate(&request(SamplerKind::Ddim), 7).unwrap().pixels
    );
    // A tampered second encoder no longer matches the registry hash.
    let f = dir.join(weights::TEXT_ENCODER_2);
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let err = Pipeline::load(&dir, SdConfig::tiny_xl(), &hash, &dev)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("refusing"), "{err:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Seeds dealt over two devices (both the CPU here; the dealing is the same for GPUs) come back
/// in the request's order, identical to one device's images, and both devices did work.
#[test]
fn pool_spreads_seeds_over_devices_and_keeps_their_order() {
    let dir = temp("pool");
    let hash = weights::write_tiny(&dir).unwrap();
    let one = DevicePool::cpu();
    let two = DevicePool {
        devices: [one.devices.clone(), one.devices.clone()].concat(),
        why_cpu: None,
    };
    let single = Pipeline::load(&dir, SdConfig::tiny(), &hash, &Device::Cpu).unwrap();
    let pooled = PooledPipeline::load(&dir, SdConfig::tiny(), &hash, &two).unwrap();
    assert_eq!(pooled.devices(), 2);
    let req = request(SamplerKind::Ddim);
    let seeds = [5, 9, 6, 7, 5];
    let out = pooled.generate_all(&req, &seeds).unwrap();
    assert_eq!(out.iter().map(|o| o.seed).collect::<Vec<_>>(), seeds);
    for o in &out {
        assert_eq!(
            o.image,
            single.generate(&req, o.seed).unwrap(),
            "seed {}",
            o.seed
        );
    }
    let used: std::collections::BTreeSet<usize> = out.iter().map(|o| o.device).collect();
    assert_eq!(used.into_iter().collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(
        two.describe(),
        vec![(
            "cpu".to_string(),
            0,
            std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
        )]
    );
    // A bad request fails as a whole, whichever device met it.
    let bad = GenerateRequest { width: 40, ..req };
    assert!(pooled.generate_all(&bad, &seeds).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn random_weights_build_every_family_and_run_in_half_precision() {
    // The benchmark's pipelines: each family's real architecture is built from random weights
    // (the shapes must match what candle's models ask for), and one runs end to end.
    let dev = Device::Cpu;
    for cfg in [SdConfig::tiny(), SdConfig::tiny_xl()] {
        let p = Pipeline::random(cfg, &dev, candle_core::DType::F32).unwrap();
        assert_eq!(p.weights_sha256, "random");
        let img = p.generate(&request(SamplerKind::Ddim), 3).unwrap();
        assert_eq!((img.width, img.height), (64, 48));
    }
    // Half precision goes through the same code: latents, guidance and sampler in F16, the
    // image converted back before it is quantised.
    let half = Pipeline::random(SdConfig::tiny(), &dev, candle_core::DType::F16).unwrap();
    let img = half
        .generate(&request(SamplerKind::EulerAncestral), 3)
        .unwrap();
    assert_eq!(img.pixels.len(), 64 * 48 * 3);
}

/// The embedded model is the shipped trained one: `write_tiny` writes the files of
/// `validator-gpu/models/tiny/` byte for byte, they hash to the pinned registry value, and the
/// tokenizer is the byte-level one whose ids the training script reproduces.
#[test]
fn tiny_model_is_the_shipped_trained_one() {
    let dir = temp("shipped");
    assert_eq!(weights::write_tiny(&dir).unwrap(), weights::TINY_SHA256);
    for (file, bytes) in weights::TINY_FILES {
        assert_eq!(std::fs::read(dir.join(file)).unwrap(), bytes, "{file}");
    }
    let (vocab, merges) = tokenizer::byte_level_files();
    assert_eq!(
        std::fs::read_to_string(dir.join(weights::VOCAB)).unwrap(),
        vocab
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(weights::MERGES)).unwrap(),
        merges
    );
    // train.py asserts the same ids for the same prompt: "the" = t h e</w>, "digit" =
    // d i g i t</w>, "7" = 7</w> (a word's last byte + 256), then the end token as padding.
    let tok = tokenizer::ClipTokenizer::from_dir(&dir.join("tokenizer"), None, 77).unwrap();
    let ids = tok.encode("the digit 7");
    assert_eq!(
        ids[..12],
        [512, 116, 104, 357, 100, 105, 103, 105, 372, 311, 513, 513]
    );
    assert!(ids[12..].iter().all(|&i| i == 513));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Colour families by channel: what the model's pictures can be held to. train.py's palette:
/// red (225, 30, 30), orange (245, 135, 20), yellow (245, 215, 35); the VAE gives back a red
/// with green ~50–70 and a yellow with green ~185–195, so RED (green under 105) and YELLOW
/// (green over 150, blue under 110) each leave out orange, and YELLOW white.
type Colour = fn(&[u8]) -> bool;
const RED: Colour = |p| p[0] > 180 && p[1] < 105 && p[2] < 90;
const BLUE: Colour = |p| p[2] as i32 > p[0] as i32 + 60 && p[2] as i32 > p[1] as i32 + 25;
const GREEN: Colour =
    |p| p[0] < 150 && p[1] as i32 > p[0] as i32 + 10 && p[1] as i32 > p[2] as i32 + 10;
const WHITE: Colour = |p| p.iter().all(|&c| c > 190);
const YELLOW: Colour = |p| p[0] > 180 && p[1] > 150 && p[2] < 110;
const BLACK: Colour = |p| p.iter().all(|&c| c < 60);
const INK: Colour = |p| p.iter().all(|&c| c < 90);

/// What a 64×64 picture shows, by pixel counts: the share of the 4-pixel border in the
/// background colour, of the central 8×8 in the shape's colour, of the whole image in the
/// shape's colour, and how much of the 4×4 corners of the shape's bounding box it fills (a
/// circle leaves them empty, a square fills them).
#[derive(Debug)]
struct Looks {
    border_bg: f64,
    centre_fg: f64,
    fg: f64,
    corners: f64,
}

fn looks(img: &RgbImage, fg: Colour, bg: Colour) -> Looks {
    assert_eq!((img.width, img.height), (64, 64));
    let at = |x: usize, y: usize| &img.pixels[(y * 64 + x) * 3..][..3];
    let (mut border, mut border_bg, mut centre_fg, mut fg_n) = (0, 0, 0, 0);
    let (mut x0, mut y0, mut x1, mut y1) = (64, 64, 0, 0);
    for y in 0..64 {
        for x in 0..64 {
            let p = at(x, y);
            if !(4..60).contains(&x) || !(4..60).contains(&y) {
                border += 1;
                border_bg += bg(p) as u32;
            }
            if (28..36).contains(&x) && (28..36).contains(&y) {
                centre_fg += fg(p) as u32;
            }
            if fg(p) {
                fg_n += 1;
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    let mut corners = 0;
    if x1 >= x0 + 8 && y1 >= y0 + 8 {
        for (cx, cy) in [(x0, y0), (x1 - 3, y0), (x0, y1 - 3), (x1 - 3, y1 - 3)] {
            for y in cy..cy + 4 {
                for x in cx..cx + 4 {
                    corners += fg(at(x, y)) as u32;
                }
            }
        }
    }
    Looks {
        border_bg: border_bg as f64 / border as f64,
        centre_fg: centre_fg as f64 / 64.0,
        fg: fg_n as f64 / 4096.0,
        corners: corners as f64 / 64.0,
    }
}

/// scikit-learn's 8×8 handwritten digits (the ones train.py draws from) averaged per class,
/// 0–16: the templates [`read_digit`] matches a picture against.
#[rustfmt::skip]
const DIGIT_TEMPLATES: [[u8; 64]; 10] = [
    // 0
    [
        0, 0, 4, 13, 11, 3, 0, 0,
        0, 1, 13, 13, 11, 11, 1, 0,
        0, 4, 14, 5, 2, 12, 4, 0,
        0, 5, 13, 2, 0, 9, 6, 0,
        0, 6, 12, 1, 0, 9, 7, 0,
        0, 3, 13, 2, 2, 11, 6, 0,
        0, 1, 13, 10, 10, 13, 2, 0,
        0, 0, 4, 14, 13, 5, 0, 0,
    ],
    // 1
    [
        0, 0, 2, 9, 10, 6, 1, 0,
        0, 0, 4, 13, 14, 8, 1, 0,
        0, 1, 7, 15, 14, 7, 1, 0,
        0, 2, 9, 14, 14, 6, 0, 0,
        0, 1, 7, 12, 14, 6, 0, 0,
        0, 0, 5, 10, 13, 6, 0, 0,
        0, 0, 5, 11, 14, 8, 2, 1,
        0, 0, 2, 9, 13, 9, 3, 1,
    ],
    // 2
    [
        0, 1, 10, 14, 10, 2, 0, 0,
        0, 5, 14, 12, 13, 6, 0, 0,
        0, 5, 8, 5, 12, 6, 0, 0,
        0, 1, 2, 5, 12, 4, 0, 0,
        0, 0, 1, 9, 10, 2, 0, 0,
        0, 1, 5, 12, 7, 2, 1, 0,
        0, 1, 11, 14, 12, 11, 7, 1,
        0, 1, 10, 14, 13, 12, 8, 2,
    ],
    // 3
    [
        0, 1, 8, 14, 14, 7, 1, 0,
        0, 4, 13, 9, 11, 12, 2, 0,
        0, 2, 4, 3, 12, 9, 1, 0,
        0, 0, 1, 9, 14, 6, 0, 0,
        0, 0, 1, 6, 12, 11, 2, 0,
        0, 0, 1, 1, 4, 12, 6, 0,
        0, 1, 7, 6, 8, 13, 6, 0,
        0, 1, 9, 15, 14, 9, 1, 0,
    ],
    // 4
    [
        0, 0, 0, 7, 11, 2, 0, 0,
        0, 0, 3, 13, 8, 2, 1, 0,
        0, 1, 10, 11, 5, 6, 4, 0,
        0, 5, 14, 6, 7, 11, 6, 0,
        0, 9, 15, 10, 13, 14, 5, 0,
        0, 6, 11, 12, 15, 10, 2, 0,
        0, 1, 3, 8, 13, 4, 0, 0,
        0, 0, 1, 8, 12, 2, 0, 0,
    ],
    // 5
    [
        0, 1, 10, 13, 14, 12, 4, 0,
        0, 4, 15, 12, 8, 6, 2, 0,
        0, 6, 14, 6, 2, 1, 0, 0,
        0, 5, 14, 12, 9, 4, 0, 0,
        0, 2, 8, 8, 9, 8, 2, 0,
        0, 0, 1, 4, 7, 8, 2, 0,
        0, 1, 6, 8, 11, 7, 1, 0,
        0, 1, 11, 15, 9, 3, 0, 0,
    ],
    // 6
    [
        0, 0, 1, 11, 10, 1, 0, 0,
        0, 0, 7, 15, 6, 1, 0, 0,
        0, 1, 13, 10, 1, 0, 0, 0,
        0, 2, 14, 8, 4, 2, 0, 0,
        0, 4, 15, 13, 12, 10, 3, 0,
        0, 2, 15, 11, 6, 10, 9, 0,
        0, 0, 10, 13, 6, 11, 11, 1,
        0, 0, 1, 11, 15, 13, 4, 0,
    ],
    // 7
    [
        0, 0, 5, 13, 14, 11, 5, 1,
        0, 1, 11, 12, 11, 12, 5, 1,
        0, 1, 5, 2, 7, 11, 3, 0,
        0, 1, 4, 6, 12, 12, 5, 0,
        0, 1, 9, 13, 15, 11, 4, 0,
        0, 1, 5, 12, 11, 4, 1, 0,
        0, 0, 3, 12, 6, 0, 0, 0,
        0, 0, 6, 12, 2, 0, 0, 0,
    ],
    // 8
    [
        0, 0, 5, 12, 12, 6, 1, 0,
        0, 2, 12, 11, 9, 12, 3, 0,
        0, 3, 12, 7, 8, 12, 2, 0,
        0, 1, 9, 13, 13, 7, 1, 0,
        0, 0, 7, 14, 13, 4, 0, 0,
        0, 1, 11, 9, 9, 8, 1, 0,
        0, 1, 11, 8, 8, 10, 2, 0,
        0, 0, 5, 13, 13, 7, 1, 0,
    ],
    // 9
    [
        0, 0, 6, 12, 11, 6, 2, 0,
        0, 2, 13, 10, 10, 11, 3, 0,
        0, 4, 12, 6, 8, 14, 3, 0,
        0, 2, 10, 12, 13, 14, 4, 0,
        0, 0, 3, 5, 5, 12, 5, 0,
        0, 0, 1, 1, 2, 10, 6, 0,
        0, 1, 6, 5, 6, 11, 5, 0,
        0, 0, 6, 12, 13, 9, 2, 0,
    ],
];

/// Which digit a picture shows, and how sure: its ink (each pixel's distance from the border's
/// median colour over the 97th percentile of those distances, at most 1), the square around
/// the ink above one half, averaged down to 8×8 and correlated with each of
/// [`DIGIT_TEMPLATES`]. Returns the best digit, its correlation and the runner-up's. (On
/// train.py's own pictures it reads 91% of the digits right.)
fn read_digit(img: &RgbImage) -> (usize, f64, f64) {
    assert_eq!((img.width, img.height), (64, 64));
    let at = |x: usize, y: usize| &img.pixels[(y * 64 + x) * 3..][..3];
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let border: Vec<(usize, usize)> = (0..64)
        .flat_map(|y| (0..64).map(move |x| (x, y)))
        .filter(|&(x, y)| !(3..61).contains(&x) || !(3..61).contains(&y))
        .collect();
    let bg: Vec<f64> = (0..3)
        .map(|c| median(border.iter().map(|&(x, y)| at(x, y)[c] as f64).collect()))
        .collect();
    let dist: Vec<f64> = (0..64 * 64)
        .map(|i| {
            let p = at(i % 64, i / 64);
            (0..3)
                .map(|c| (p[c] as f64 - bg[c]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mut sorted = dist.clone();
    sorted.sort_by(f64::total_cmp);
    let scale = sorted[(0.97 * (sorted.len() - 1) as f64) as usize].max(1e-3);
    let ink: Vec<f64> = dist.iter().map(|d| (d / scale).min(1.0)).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (64, 64, 0, 0);
    for (i, &v) in ink.iter().enumerate() {
        if v > 0.5 {
            let (x, y) = (i % 64, i / 64);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        }
    }
    if x1 <= x0 {
        return (0, 0.0, 0.0);
    }
    let s = (x1 - x0).max(y1 - y0);
    let (ox, oy) = (
        ((x0 + x1) as f64 / 2.0 - s as f64 / 2.0).round() as i64,
        ((y0 + y1) as f64 / 2.0 - s as f64 / 2.0).round() as i64,
    );
    let ink_at = |x: i64, y: i64| {
        if (0..64).contains(&x) && (0..64).contains(&y) {
            ink[(y * 64 + x) as usize]
        } else {
            0.0
        }
    };
    // PyTorch's adaptive average pooling: cell i covers [floor(i s / 8), ceil((i + 1) s / 8)).
    let span = |i: usize| (i * s / 8, ((i + 1) * s).div_ceil(8));
    let mut cells = [0.0f64; 64];
    for (k, cell) in cells.iter_mut().enumerate() {
        let ((r0, r1), (c0, c1)) = (span(k / 8), span(k % 8));
        let mut sum = 0.0;
        for y in r0..r1 {
            for x in c0..c1 {
                sum += ink_at(ox + x as i64, oy + y as i64);
            }
        }
        *cell = sum / ((r1 - r0) * (c1 - c0)) as f64;
    }
    let centred = |v: Vec<f64>| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let v: Vec<f64> = v.iter().map(|x| x - m).collect();
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
        v.into_iter().map(|x| x / n).collect::<Vec<f64>>()
    };
    let cells = centred(cells.to_vec());
    let mut scores: Vec<(f64, usize)> = DIGIT_TEMPLATES
        .iter()
        .enumerate()
        .map(|(d, t)| {
            let t = centred(t.iter().map(|&v| v as f64).collect());
            (t.iter().zip(&cells).map(|(a, b)| a * b).sum(), d)
        })
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    (scores[0].1, scores[0].0, scores[1].0)
}

fn draw(p: &Pipeline, prompt: &str, seed: u64) -> RgbImage {
    p.generate(&GenerateRequest::tiny_default(prompt), seed)
        .unwrap()
}

/// The digit reader tells the ten templates apart when they are drawn as train.py draws its
/// digits (black on white, scaled up to 48×48, off centre), so a picture of one digit cannot
/// pass for another.
#[test]
fn read_digit_tells_the_templates_apart() {
    for (d, t) in DIGIT_TEMPLATES.iter().enumerate() {
        let mut pixels = vec![245u8; 64 * 64 * 3];
        for y in 0..48 {
            for x in 0..48 {
                // Nearest-neighbour scaling, then train.py's soft threshold into ink.
                let v = t[(y / 6) * 8 + x / 6] as f64 / 16.0;
                let ink = ((v - 0.3) / 0.3).clamp(0.0, 1.0);
                let c = (245.0 - ink * 230.0).round() as u8;
                let i = ((y + 10) * 64 + x + 6) * 3;
                pixels[i..i + 3].copy_from_slice(&[c, c, c]);
            }
        }
        let img = RgbImage::new(64, 64, pixels).unwrap();
        let (got, best, next) = read_digit(&img);
        assert_eq!(
            got, d,
            "template {d} reads as {got} ({best:.2} vs {next:.2})"
        );
    }
}

/// The trained model draws what the prompt names, at the localnet's settings, for several
/// seeds; the same seed gives the same bytes. (The random weights it replaced fail every one
/// of these checks.)
#[test]
fn tiny_model_draws_what_the_prompt_says() {
    let dir = temp("draws");
    let hash = weights::write_tiny(&dir).unwrap();
    let p = Pipeline::load(&dir, SdConfig::tiny(), &hash, &Device::Cpu).unwrap();
    for seed in [0, 1] {
        let img = draw(&p, "a red circle on a blue background", seed);
        assert_eq!(img, draw(&p, "a red circle on a blue background", seed));
        let circle = looks(&img, RED, BLUE);
        let square = looks(
            &draw(&p, "a green square on a white background", seed),
            GREEN,
            WHITE,
        );
        let swapped = looks(
            &draw(&p, "a blue circle on a yellow background", seed),
            BLUE,
            YELLOW,
        );
        for (what, l) in [
            ("red circle on blue", &circle),
            ("green square on white", &square),
            ("blue circle on yellow", &swapped),
        ] {
            assert!(
                l.border_bg > 0.85 && l.centre_fg > 0.85 && (0.1..0.6).contains(&l.fg),
                "seed {seed}, {what}: {l:?}"
            );
        }
        // A circle leaves the corners of its bounding box empty (0.0 for seeds 0–5), a square
        // fills most of them (0.55–0.77: the VAE rounds its corners a little).
        assert!(
            circle.corners < 0.3 && swapped.corners < 0.3 && square.corners > 0.45,
            "seed {seed}: circles fill {:.2} and {:.2} of their boxes' corners, the square {:.2}",
            circle.corners,
            swapped.corners,
            square.corners
        );
        // Yellow, not orange or white, on black.
        let triangle = looks(
            &draw(&p, "a yellow triangle on a black background", seed),
            YELLOW,
            BLACK,
        );
        assert!(
            triangle.border_bg > 0.85
                && triangle.centre_fg > 0.85
                && (0.05..0.4).contains(&triangle.fg),
            "seed {seed}, yellow triangle on black: {triangle:?}"
        );
        // The digits: dark ink on white, and the digit the prompt names, in black or in colour.
        let seven = draw(&p, "the digit 7", seed);
        let ink = looks(&seven, INK, WHITE);
        assert!(
            ink.border_bg > 0.85 && (0.05..0.4).contains(&ink.fg),
            "seed {seed}, the digit 7: {ink:?}"
        );
        for (prompt, img, want) in [
            ("the digit 7", seven, 7),
            ("the digit 3", draw(&p, "the digit 3", seed), 3),
            (
                "a red digit 3 on a white background",
                draw(&p, "a red digit 3 on a white background", seed),
                3,
            ),
        ] {
            let (got, best, next) = read_digit(&img);
            assert!(
                got == want && best > 0.5 && best > next + 0.03,
                "seed {seed}, {prompt:?} reads as {got} (correlation {best:.2}, next {next:.2})"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Replicas whose arithmetic differs (another CPU, a GPU) must land within the chain's pHash
/// threshold (10 bits in the localnet's genesis). Half precision is a far larger perturbation
/// than any two f32 implementations: its pictures stay within a few bits of the f32 ones,
/// while pictures of different prompts are far apart.
#[test]
fn tiny_model_pictures_survive_other_arithmetic() {
    let dir = temp("half");
    let hash = weights::write_tiny(&dir).unwrap();
    let full = Pipeline::load(&dir, SdConfig::tiny(), &hash, &Device::Cpu).unwrap();
    let half = Pipeline::load_as(
        &dir,
        SdConfig::tiny(),
        &hash,
        &Device::Cpu,
        candle_core::DType::F16,
    )
    .unwrap();
    let mut hashes = Vec::new();
    for prompt in [
        "a red circle on a blue background",
        "a green square on a white background",
        "the digit 7",
    ] {
        let (a, b) = (
            draw(&full, prompt, 3).phash(),
            draw(&half, prompt, 3).phash(),
        );
        let d = (a ^ b).count_ones();
        assert!(d <= 6, "{prompt}: f16 is {d} bits from f32");
        hashes.push(a);
    }
    for i in 0..hashes.len() {
        for j in 0..i {
            let d = (hashes[i] ^ hashes[j]).count_ones();
            assert!(d > 10, "prompts {i} and {j} give pictures {d} bits apart");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
