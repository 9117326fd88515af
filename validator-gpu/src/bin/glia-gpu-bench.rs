//! glia-gpu-bench: the validator's workloads timed on its devices, for the GPU benchmarks of
//! `validator-gpu/bench/gpu.sh` (which compares them with PyTorch) and for checking a GPU
//! build against the CPU one. Prints one JSON object per run.
//!
//!   glia-gpu-bench sd --family sd15 --width 512 --height 512 --steps 20 --device cuda --dtype f16
//!   glia-gpu-bench dmm --vars 100000 --device cuda:0 --time-limit 60
//!   glia-gpu-bench agree     # the tiny model and a small SAT instance, CPU against every GPU

use anyhow::{bail, Context, Result};
use candle_core::DType;
use clap::{Parser, Subcommand, ValueEnum};
use glia_problem::{Format, Limits, Problem};
use glia_validator_gpu::dmm::{self, generate, SolveOptions};
use glia_validator_gpu::sd::{
    DevicePool, Family, GenerateRequest, Pipeline, PooledPipeline, SamplerKind, SdConfig,
};
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum FamilyArg {
    Sd15,
    Sd21,
    SdxlTurbo,
    Tiny,
}

#[derive(Clone, Copy, ValueEnum)]
enum DtypeArg {
    F32,
    F16,
    Bf16,
}

#[derive(Clone, Copy, ValueEnum)]
enum SamplerArg {
    Ddim,
    EulerA,
}

#[derive(Subcommand)]
enum Cmd {
    /// Text-to-image with random weights of the family's real size: load time, per-image
    /// latency on one device, and images/s with the seeds dealt over every device.
    Sd {
        #[arg(long, value_enum, default_value = "sd15")]
        family: FamilyArg,
        #[arg(long, default_value_t = 512)]
        width: u32,
        #[arg(long, default_value_t = 512)]
        height: u32,
        #[arg(long, default_value_t = 20)]
        steps: u32,
        #[arg(long, default_value_t = 7.5)]
        guidance: f64,
        #[arg(long, value_enum, default_value = "ddim")]
        sampler: SamplerArg,
        /// Images timed (after one warm-up image per device).
        #[arg(long, default_value_t = 4)]
        seeds: u64,
        /// cpu, or cuda (every GPU).
        #[arg(long, default_value = "cuda")]
        device: String,
        #[arg(long, value_enum, default_value = "f16")]
        dtype: DtypeArg,
    },
    /// Planted 3-SAT (ratio 4.3, 2-hidden) or random Max-Cut, generated in memory and solved
    /// on one device: time to solution (SAT) or best cut within the time limit (Max-Cut).
    Dmm {
        #[arg(long, default_value_t = 10_000)]
        vars: u32,
        #[arg(long, default_value_t = 4.3)]
        ratio: f64,
        /// Max-Cut on G(vars, 12·vars) instead of 3-SAT.
        #[arg(long)]
        maxcut: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// cpu or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// CPU threads (0 = every core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Chips in the population (0 = the device's default).
        #[arg(long, default_value_t = 0)]
        chips: usize,
        #[arg(long, default_value_t = 60.0)]
        time_limit: f64,
    },
    /// Runs the tiny model and a small planted instance on the CPU and on every GPU: the
    /// images' perceptual hashes must agree within the tiny model's threshold and every device
    /// must solve the instance (exactly checked).
    Agree,
}

fn dtype(d: DtypeArg) -> DType {
    match d {
        DtypeArg::F32 => DType::F32,
        DtypeArg::F16 => DType::F16,
        DtypeArg::Bf16 => DType::BF16,
    }
}

fn pool(device: &str) -> Result<DevicePool> {
    match device {
        "cpu" => Ok(DevicePool::cpu()),
        "cuda" => DevicePool::cuda(),
        other => bail!("--device {other}: use cpu or cuda"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[allow(clippy::too_many_arguments)]
fn sd(
    family: FamilyArg,
    width: u32,
    height: u32,
    steps: u32,
    guidance: f64,
    sampler: SamplerArg,
    seeds: u64,
    device: &str,
    dt: DtypeArg,
) -> Result<serde_json::Value> {
    let (fam, name) = match family {
        FamilyArg::Sd15 => (Family::Sd15, "sd-1.5"),
        FamilyArg::Sd21 => (Family::Sd21, "sd-2.1"),
        FamilyArg::SdxlTurbo => (Family::SdxlTurbo, "sdxl-turbo"),
        FamilyArg::Tiny => (Family::Tiny, "tiny"),
    };
    let pool = pool(device)?;
    let loaded = Instant::now();
    let pipes = PooledPipeline::random(SdConfig::for_family(fam), &pool, dtype(dt))?;
    let load_s = loaded.elapsed().as_secs_f64();
    let req = GenerateRequest {
        prompt: "a lighthouse on a cliff at dusk, oil painting".into(),
        negative_prompt: String::new(),
        width,
        height,
        steps,
        guidance,
        sampler: match sampler {
            SamplerArg::Ddim => SamplerKind::Ddim,
            SamplerArg::EulerA => SamplerKind::EulerAncestral,
        },
    };
    // Warm-up: one image per device (kernel compilation, allocator growth).
    let n = pipes.devices();
    pipes.generate_all(&req, &(0..n as u64).map(|i| 1000 + i).collect::<Vec<_>>())?;
    let mut latencies = Vec::new();
    for seed in 0..seeds {
        let t = Instant::now();
        pipes.on_device(0).generate(&req, seed)?;
        latencies.push(t.elapsed().as_secs_f64());
    }
    let all: Vec<u64> = (0..seeds.max(n as u64)).map(|s| 2000 + s).collect();
    let t = Instant::now();
    pipes.generate_all(&req, &all)?;
    let spread_s = t.elapsed().as_secs_f64();
    let p50 = median(latencies.clone());
    Ok(json!({
        "bench": "sd", "impl": if cfg!(feature = "cudnn") { "candle+cudnn" } else { "candle" },
        "family": name, "width": width, "height": height,
        "steps": steps, "guidance": guidance, "dtype": format!("{:?}", dtype(dt)).to_lowercase(),
        "device": pool.devices[0].name, "devices": n, "load_s": load_s,
        "latency_p50_s": p50, "latencies_s": latencies, "images_per_s_one_device": 1.0 / p50,
        "images_per_s_all_devices": all.len() as f64 / spread_s, "images_all_devices": all.len(),
    }))
}

#[allow(clippy::too_many_arguments)]
fn dmm_bench(
    vars: u32,
    ratio: f64,
    maxcut: bool,
    seed: u64,
    device: &str,
    threads: usize,
    chips: usize,
    time_limit: f64,
) -> Result<serde_json::Value> {
    let made = Instant::now();
    let (problem, size) = if maxcut {
        let g = generate::maxcut(vars, 12 * u64::from(vars), generate::CutWeights::Unit, seed)
            .map_err(anyhow::Error::msg)?;
        let p = Problem::parse(Format::Qubo, &g.qubo, &Limits::LOCAL)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        (p, format!("G({vars}, {})", 12 * u64::from(vars)))
    } else {
        let p = generate::planted_3sat(vars, ratio, seed).map_err(anyhow::Error::msg)?;
        let m = p.clauses.num_clauses();
        (Problem::Sat(p.clauses), format!("{vars} vars, {m} clauses"))
    };
    let gen_s = made.elapsed().as_secs_f64();
    let opts = SolveOptions {
        time_limit: Duration::from_secs_f64(time_limit),
        threads,
        chips,
        seed,
        device: device.parse().map_err(anyhow::Error::msg)?,
        ..Default::default()
    };
    let stop = AtomicBool::new(false);
    let mut trace = Vec::new();
    let out = dmm::solve(&problem, &opts, &stop, |c| {
        trace.push((c.elapsed.as_secs_f64(), c.energy));
    })?;
    let best = out
        .best
        .as_ref()
        .context("the solver reported no assignment")?;
    // Every figure below is of an assignment checked exactly here, not the solver's word.
    let energy = problem.energy(&best.assignment)?;
    anyhow::ensure!(
        energy == best.energy,
        "solver reported energy {} but it is {energy}",
        best.energy
    );
    Ok(json!({
        "bench": "dmm", "problem": if maxcut { "maxcut" } else { "planted-3sat" }, "size": size,
        "vars": vars, "seed": seed, "device": device, "threads": out.threads, "chips": out.chips,
        "generate_s": gen_s, "solved": out.solved, "seconds": out.elapsed.as_secs_f64(),
        "time_to_best_s": best.elapsed.as_secs_f64(), "energy": energy,
        "cut": if maxcut { Some(-energy) } else { None }, "steps": out.steps,
        "improvements": trace.len(),
    }))
}

fn agree() -> Result<serde_json::Value> {
    let dir = std::env::temp_dir().join(format!("glia-agree-{}", std::process::id()));
    let sha = glia_validator_gpu::sd::weights::write_tiny(&dir)?;
    let req = GenerateRequest::tiny_default("a red bicycle");
    let cpu = Pipeline::load(&dir, SdConfig::tiny(), &sha, &candle_core::Device::Cpu)?;
    let gpus = DevicePool::cuda()?;
    let mut rows = Vec::new();
    let threshold = 10; // the localnet genesis's phash_threshold for the tiny model
    for seed in [1u64, 2, 3] {
        let want = cpu.generate(&req, seed)?.phash();
        for (i, d) in gpus.devices.iter().enumerate() {
            let gpu = Pipeline::load(&dir, SdConfig::tiny(), &sha, &d.device)?;
            let got = gpu.generate(&req, seed)?.phash();
            let distance = (want ^ got).count_ones();
            rows.push(json!({"seed": seed, "gpu": i, "phash_distance": distance}));
            anyhow::ensure!(
                distance <= threshold,
                "seed {seed}: GPU {i}'s image is {distance} bits from the CPU's (threshold {threshold})"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let mut solves = Vec::new();
    for (i, _) in gpus.devices.iter().enumerate() {
        for device in ["cpu".to_string(), format!("cuda:{i}")] {
            let r = dmm_bench(2000, 4.3, false, 7, &device, 0, 0, 60.0)?;
            anyhow::ensure!(
                r["solved"] == true,
                "{device} did not solve planted N = 2000: {r}"
            );
            solves.push(r);
        }
    }
    Ok(json!({"bench": "agree", "images": rows, "solves": solves}))
}

fn main() -> Result<()> {
    let out = match Cli::parse().cmd {
        Cmd::Sd {
            family,
            width,
            height,
            steps,
            guidance,
            sampler,
            seeds,
            device,
            dtype,
        } => sd(
            family, width, height, steps, guidance, sampler, seeds, &device, dtype,
        )?,
        Cmd::Dmm {
            vars,
            ratio,
            maxcut,
            seed,
            device,
            threads,
            chips,
            time_limit,
        } => dmm_bench(
            vars, ratio, maxcut, seed, &device, threads, chips, time_limit,
        )?,
        Cmd::Agree => agree()?,
    };
    println!("{out}");
    Ok(())
}
