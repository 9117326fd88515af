//! The executor's devices: every GPU the machine has (found through cudarc, run through
//! candle's CUDA backend) or the CPU, one pipeline per device, and the seeds of one request
//! dealt over them and run in parallel.

use super::pipeline::{GenerateRequest, Pipeline, SdConfig};
use super::RgbImage;
use anyhow::{bail, Result};
use candle_core::Device;
use std::path::Path;
use std::time::Instant;

impl std::str::FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(format!(
                "unknown device choice {s:?}: use auto, cpu or cuda"
            )),
        }
    }
}

/// Which devices an executor uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// Every CUDA GPU when this build and machine have any, else the CPU.
    Auto,
    Cpu,
    /// Every CUDA GPU; an error when there is none.
    Cuda,
}

/// A device and how it is advertised on chain.
#[derive(Clone, Debug)]
pub struct PoolDevice {
    pub device: Device,
    pub name: String,
    pub memory_bytes: u64,
}

/// The devices one executor runs on.
#[derive(Clone, Debug)]
pub struct DevicePool {
    pub devices: Vec<PoolDevice>,
    /// Why `Auto` settled for the CPU, when it did.
    pub why_cpu: Option<String>,
}

impl DevicePool {
    /// The CPU alone (candle spreads each operation over the cores itself).
    pub fn cpu() -> DevicePool {
        DevicePool {
            devices: vec![PoolDevice {
                device: Device::Cpu,
                name: "cpu".into(),
                memory_bytes: 0,
            }],
            why_cpu: None,
        }
    }

    /// The devices `choice` asks for; `Auto` falls back to the CPU, saying why.
    pub fn open(choice: DeviceChoice) -> Result<DevicePool> {
        match choice {
            DeviceChoice::Cpu => Ok(Self::cpu()),
            DeviceChoice::Cuda => Self::cuda(),
            DeviceChoice::Auto => Ok(Self::cuda().unwrap_or_else(|e| DevicePool {
                why_cpu: Some(format!("{e:#}")),
                ..Self::cpu()
            })),
        }
    }

    /// Every CUDA GPU: discovered through cudarc, each opened through candle.
    #[cfg(feature = "gpu")]
    pub fn cuda() -> Result<DevicePool> {
        let found = crate::dmm::cuda::devices()?;
        if found.is_empty() {
            bail!("no CUDA device on this machine");
        }
        let devices = found
            .into_iter()
            .map(|d| {
                Ok(PoolDevice {
                    device: Device::new_cuda(d.ordinal).map_err(|e| {
                        anyhow::anyhow!(
                            "CUDA device {} ({}) found, but candle cannot use it: {e} (build \
                             with the glia-validator-gpu feature \"cuda\")",
                            d.ordinal,
                            d.name
                        )
                    })?,
                    name: d.name,
                    memory_bytes: d.total_memory as u64,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DevicePool {
            devices,
            why_cpu: None,
        })
    }

    #[cfg(not(feature = "gpu"))]
    pub fn cuda() -> Result<DevicePool> {
        bail!("this build has no CUDA support (build with the glia-validator-gpu feature \"cuda\")")
    }

    /// (name, memory, count) per kind of device, for `MsgRegisterExecutor`.
    pub fn describe(&self) -> Vec<(String, u64, u32)> {
        let mut out: Vec<(String, u64, u32)> = Vec::new();
        for d in &self.devices {
            match out
                .iter_mut()
                .find(|(n, m, _)| *n == d.name && *m == d.memory_bytes)
            {
                Some(e) => e.2 += 1,
                None => out.push((d.name.clone(), d.memory_bytes, 1)),
            }
        }
        if out.len() == 1 && out[0].0 == "cpu" {
            // The CPU counts its cores: what the executor's work spreads over.
            out[0].2 = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        }
        out
    }
}

/// One image of a request: its seed, the device index that made it and its device time.
pub struct PooledImage {
    pub seed: u64,
    pub image: RgbImage,
    pub device: usize,
    pub device_time_ms: u64,
}

/// One model loaded on every device of a pool.
pub struct PooledPipeline {
    pipelines: Vec<Pipeline>,
}

impl PooledPipeline {
    /// Loads (and hash-checks) the weights in `dir` onto every device.
    pub fn load(
        dir: &Path,
        config: SdConfig,
        expected_sha256: &str,
        pool: &DevicePool,
    ) -> Result<PooledPipeline> {
        let pipelines = pool
            .devices
            .iter()
            .map(|d| Pipeline::load(dir, config.clone(), expected_sha256, &d.device))
            .collect::<Result<Vec<_>>>()?;
        Ok(PooledPipeline { pipelines })
    }

    /// `config`'s architecture with random weights of the real size on every device, computing
    /// in `dtype` (benchmarks; see [`Pipeline::random`]).
    pub fn random(
        config: SdConfig,
        pool: &DevicePool,
        dtype: candle_core::DType,
    ) -> Result<PooledPipeline> {
        let pipelines = pool
            .devices
            .iter()
            .map(|d| Pipeline::random(config.clone(), &d.device, dtype))
            .collect::<Result<Vec<_>>>()?;
        Ok(PooledPipeline { pipelines })
    }

    /// The pipeline of device `i`.
    pub fn on_device(&self, i: usize) -> &Pipeline {
        &self.pipelines[i]
    }

    pub fn devices(&self) -> usize {
        self.pipelines.len()
    }

    /// One image per seed, in the seeds' order: seed i runs on device i mod n, each device
    /// working through its share while the others work through theirs. An image depends only
    /// on its seed, so the split changes nothing but the time.
    pub fn generate_all(&self, req: &GenerateRequest, seeds: &[u64]) -> Result<Vec<PooledImage>> {
        let n = self.pipelines.len();
        let mut out: Vec<(usize, PooledImage)> = std::thread::scope(|s| {
            let workers: Vec<_> = self
                .pipelines
                .iter()
                .enumerate()
                .map(|(device, p)| {
                    s.spawn(move || -> Result<Vec<(usize, PooledImage)>> {
                        seeds
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| i % n == device)
                            .map(|(i, &seed)| {
                                let started = Instant::now();
                                let image = p.generate(req, seed)?;
                                let device_time_ms = started.elapsed().as_millis() as u64;
                                Ok((
                                    i,
                                    PooledImage {
                                        seed,
                                        image,
                                        device,
                                        device_time_ms,
                                    },
                                ))
                            })
                            .collect()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(seeds.len());
            for w in workers {
                match w.join() {
                    Ok(r) => all.extend(r?),
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
            Ok::<_, anyhow::Error>(all)
        })?;
        out.sort_by_key(|(i, _)| *i);
        Ok(out.into_iter().map(|(_, img)| img).collect())
    }
}
