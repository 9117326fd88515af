//! The tiny model end to end: generated weights are reproducible, load through the same code
//! as real weights, refuse a wrong hash, and give the same image for the same seed.

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
