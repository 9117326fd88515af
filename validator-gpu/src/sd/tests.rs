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

/// Colour families by channel: what the model's pictures can be held to. (Its reds come out
/// orange to yellow and its greens dark, so exact palette colours would be too strict.)
type Colour = fn(&[u8]) -> bool;
const WARM: Colour = |p| p[0] > 150 && p[2] < 110; // red, orange, yellow
const BLUE: Colour = |p| p[2] as i32 > p[0] as i32 + 60 && p[2] as i32 > p[1] as i32 + 25;
const GREEN: Colour =
    |p| p[0] < 150 && p[1] as i32 > p[0] as i32 + 10 && p[1] as i32 > p[2] as i32 + 10;
const WHITE: Colour = |p| p.iter().all(|&c| c > 190);
const YELLOW: Colour = |p| p[0] > 170 && p[1] > 140 && p[2] < 120;
const LIGHT: Colour = |p| p[0] > 180 && p[1] > 170; // white to cream
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

fn draw(p: &Pipeline, prompt: &str, seed: u64) -> RgbImage {
    // The localnet's request: 64×64, 8 DDIM steps, guidance 7.5, no negative prompt.
    let req = GenerateRequest {
        prompt: prompt.into(),
        negative_prompt: String::new(),
        width: 64,
        height: 64,
        steps: 8,
        guidance: 7.5,
        sampler: SamplerKind::Ddim,
    };
    p.generate(&req, seed).unwrap()
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
        let circle = looks(&img, WARM, BLUE);
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
        // A circle leaves the corners of its bounding box empty, a square fills them.
        assert!(
            circle.corners < 0.3 && swapped.corners < 0.3 && square.corners > 0.6,
            "seed {seed}: circles fill {:.2} and {:.2} of their boxes' corners, the square {:.2}",
            circle.corners,
            swapped.corners,
            square.corners
        );
        // The digit: dark ink on a light ground.
        let seven = looks(&draw(&p, "the digit 7", seed), INK, LIGHT);
        assert!(
            seven.border_bg > 0.85 && (0.05..0.4).contains(&seven.fg),
            "seed {seed}, the digit 7: {seven:?}"
        );
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
