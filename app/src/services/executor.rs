//! The validator's workload executor, beside consensus: it watches committed state for
//! tasks assigned to this validator's executor, runs them on the local devices, stores the
//! PNGs in the blob store and leaves the results for the next vote extension. It also
//! registers the executor on chain when it is not (yet) registered.

use super::ChainView;
use crate::results::ResultBook;
use anyhow::{bail, Context, Result};
use base64::Engine;
use glia_client::keys::Key;
use glia_client::tx::any;
use glia_modules::beacon::{self, LocalChain};
use glia_modules::inference::{handler::register_sign_bytes, state};
use glia_modules::{auth, ReadOnly};
use glia_proto::inference::v1::{
    Device as DeviceInfo, HeldModel, ImageResult, ModelFamily, MsgRegisterExecutor, Scheduler, Task,
};
use glia_validator_gpu::blobstore::BlobStore;
use glia_validator_gpu::sd::{self, GenerateRequest, PooledPipeline, SamplerKind, SdConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Misbehaviour for tests of the chain's defences (never set in production).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Report images with inverted colours: a different perceptual hash.
    Perturb,
    /// Never report.
    Silent,
}

pub struct ExecutorConfig {
    /// CometBFT's `priv_validator_key.json`: whose assignments to run, and the key that
    /// signs the registration.
    pub priv_validator_key: PathBuf,
    /// One sub-directory per model id, in the diffusers layout.
    pub models_dir: PathBuf,
    /// The account that registers (and is paid); without it the executor only runs work.
    pub operator: Option<Key>,
    /// Public base URL of this node's HTTP API (where `/blobs/<sha256>` is served).
    pub blob_url: String,
    /// CometBFT RPC for broadcasting the registration.
    pub rpc: String,
    pub fault: Option<Fault>,
    /// Which devices generate images (`auto`: every CUDA GPU, else the CPU).
    pub device: sd::DeviceChoice,
    /// Declared throughput, kilo pixel-steps per block (0: the chain's default).
    pub work_per_block: u64,
    /// Where finished work waits for its reveal across restarts.
    pub results_dir: PathBuf,
}

struct ValidatorKey {
    address: String,
    pubkey: Vec<u8>,
    signing: ed25519_consensus::SigningKey,
    /// The private key's seed: the root of the beacon chain's secret.
    secret: [u8; 32],
}

fn read_validator_key(path: &PathBuf) -> Result<ValidatorKey> {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let b64 = |p: &str| -> Result<Vec<u8>> {
        let s = v
            .pointer(p)
            .and_then(|x| x.as_str())
            .with_context(|| format!("{} lacks {p}", path.display()))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
    };
    let pubkey = b64("/pub_key/value")?;
    let priv_key = b64("/priv_key/value")?;
    if priv_key.len() != 64 || pubkey.len() != 32 {
        bail!("{} is not an ed25519 validator key", path.display());
    }
    let seed: [u8; 32] = priv_key[..32].try_into()?;
    let signing = ed25519_consensus::SigningKey::from(seed);
    if signing.verification_key().to_bytes().as_slice() != pubkey.as_slice() {
        bail!("{}: private and public keys do not match", path.display());
    }
    Ok(ValidatorKey {
        address: hex::encode_upper(glia_modules::staking::state::consensus_address(&pubkey)),
        pubkey,
        signing,
        secret: seed,
    })
}

impl ValidatorKey {
    /// The beacon chain anchored at `anchor_height`: its seed is secret (derived from the
    /// validator's private key), so its values are known to nobody else before they are
    /// revealed, and the node rebuilds the same chain after a restart.
    fn beacon_chain(&self, anchor_height: u64, end_height: u64) -> LocalChain {
        use sha2::{Digest, Sha256};
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"glia/beacon-seed/v1")
            .chain_update(self.secret)
            .chain_update(anchor_height.to_be_bytes())
            .finalize()
            .into();
        LocalChain::new(seed, anchor_height, end_height)
    }
}

/// Re-register a chain this many heights before it runs out.
const BEACON_RENEW_BEFORE: u64 = 1 << 14;

fn family(f: i32) -> Option<sd::Family> {
    match ModelFamily::try_from(f).ok()? {
        ModelFamily::Sd15 => Some(sd::Family::Sd15),
        ModelFamily::Sd21 => Some(sd::Family::Sd21),
        ModelFamily::SdxlTurbo => Some(sd::Family::SdxlTurbo),
        ModelFamily::Tiny => Some(sd::Family::Tiny),
        _ => None,
    }
}

pub struct Executor {
    chain: ChainView,
    /// Where finished work waits for this validator's votes to carry it.
    results: Arc<ResultBook>,
    blobs: BlobStore,
    cfg: ExecutorConfig,
    key: ValidatorKey,
    pipelines: BTreeMap<String, PooledPipeline>,
    failed: BTreeSet<u64>,
    last_registration: Option<Instant>,
    pool: sd::DevicePool,
}

impl Executor {
    pub fn new(
        chain: ChainView,
        results: Arc<ResultBook>,
        blobs: BlobStore,
        cfg: ExecutorConfig,
    ) -> Result<Self> {
        let key = read_validator_key(&cfg.priv_validator_key)?;
        results.set_validator(key.address.clone());
        results
            .persist_in(cfg.results_dir.clone())
            .with_context(|| format!("results directory {}", cfg.results_dir.display()))?;
        let pool = sd::DevicePool::open(cfg.device)?;
        let devices: Vec<String> = pool.devices.iter().map(|d| d.name.clone()).collect();
        tracing::info!(
            validator = %key.address,
            models = %cfg.models_dir.display(),
            devices = ?devices,
            why_cpu = ?pool.why_cpu,
            "executor ready"
        );
        Ok(Executor {
            chain,
            results,
            blobs,
            cfg,
            key,
            pipelines: BTreeMap::new(),
            failed: BTreeSet::new(),
            last_registration: None,
            pool,
        })
    }

    pub fn run(mut self) {
        loop {
            if let Err(e) = self.tick() {
                tracing::warn!("executor: {e:#}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Models in the registry whose weights we hold (hash checked).
    fn held_models(&self) -> Result<Vec<HeldModel>> {
        let latest = self.chain.latest();
        let mut out = vec![];
        for m in state::models(&mut ReadOnly(&latest))? {
            let dir = self.cfg.models_dir.join(&m.id);
            if !dir.is_dir() {
                continue;
            }
            match sd::weights::model_sha256(&dir) {
                Ok(h) if h == m.weights_sha256 => out.push(HeldModel {
                    model_id: m.id.clone(),
                    weights_sha256: h,
                }),
                Ok(h) => {
                    tracing::warn!(model = %m.id, "weights hash to {h}, registry says {}: not offered", m.weights_sha256)
                }
                Err(e) => tracing::warn!(model = %m.id, "cannot hash weights: {e:#}"),
            }
        }
        Ok(out)
    }

    fn register(&mut self) -> Result<()> {
        let Some(op) = &self.cfg.operator else {
            return Ok(());
        };
        let latest = self.chain.latest();
        if latest.height() == 0 {
            return Ok(());
        }
        let kv = &mut ReadOnly(&latest);
        let height = latest.height();
        let chain_ok = self.sync_beacon(kv, height)?;
        if chain_ok
            && state::operator_of_validator(kv, &self.key.address)?.as_deref()
                == Some(op.address.as_str())
        {
            return Ok(());
        }
        if self
            .last_registration
            .is_some_and(|t| t.elapsed() < Duration::from_secs(6))
        {
            return Ok(());
        }
        self.last_registration = Some(Instant::now());
        let acc = auth::get_account(kv, &op.address)?
            .with_context(|| format!("operator {} has no account (fund it first)", op.address))?;
        let operator = op.address.to_bech32();
        let params = self.chain.params()?;
        let beacon = if chain_ok {
            self.results
                .beacon_chain()
                .context("a synced beacon chain")?
        } else {
            let b = self
                .key
                .beacon_chain(height, height.saturating_add(beacon::DEFAULT_CHAIN_LENGTH));
            self.results.set_beacon_chain(b.clone());
            b
        };
        let mut msg = MsgRegisterExecutor {
            operator: operator.clone(),
            validator_pubkey: self.key.pubkey.clone(),
            devices: self
                .pool
                .describe()
                .into_iter()
                .map(|(name, memory_bytes, count)| DeviceInfo {
                    name,
                    memory_bytes,
                    count,
                })
                .collect(),
            models: self.held_models()?,
            blob_url: self.cfg.blob_url.clone(),
            beacon_anchor: beacon.anchor().to_vec(),
            beacon_anchor_height: beacon.anchor_height,
            beacon_end_height: beacon.end_height,
            work_per_block: self.cfg.work_per_block,
            validator_signature: vec![],
        };
        msg.validator_signature = self
            .key
            .signing
            .sign(&register_sign_bytes(&params.chain_id, &msg))
            .to_bytes()
            .to_vec();
        let (tx, _) = self
            .chain
            .sign(op, vec![any(&msg)], acc.account_number, acc.sequence)?;
        let b = glia_client::rpc::Rpc::new(&self.cfg.rpc).broadcast(&tx)?;
        if b.code != 0 {
            bail!(
                "registering executor: code {} ({}): {}",
                b.code,
                b.codespace,
                b.log
            );
        }
        tracing::info!(%operator, models = msg.models.len(), "executor registration sent");
        Ok(())
    }

    /// Whether state holds a beacon chain of this validator's that this node holds too (built
    /// again from the key after a restart) with room left; false when one must be registered.
    fn sync_beacon(&self, kv: &mut impl glia_modules::Kv, height: u64) -> Result<bool> {
        let Some(rec) = glia_modules::beacon::chain(kv, &self.key.address)? else {
            return Ok(false);
        };
        if rec.end_height.saturating_sub(height) < BEACON_RENEW_BEFORE {
            return Ok(false);
        }
        let held = self
            .results
            .beacon_chain()
            .is_some_and(|b| b.anchor_height == rec.anchor_height);
        if !held {
            let b = self.key.beacon_chain(rec.anchor_height, rec.end_height);
            if b.anchor()[..] != rec.anchor[..] {
                return Ok(false);
            }
            self.results.set_beacon_chain(b);
        }
        Ok(true)
    }

    fn tick(&mut self) -> Result<()> {
        self.register()?;
        let chain = self.chain.clone();
        let latest = chain.latest();
        let height = latest.height();
        let kv = &mut ReadOnly(&latest);
        let Some(operator) = state::operator_of_validator(kv, &self.key.address)? else {
            return Ok(());
        };
        let mut queue = Vec::new();
        for id in state::open_task_ids(kv)? {
            if self.results.has(id) || self.failed.contains(&id) {
                continue;
            }
            let Some(task) = state::task(kv, id)? else {
                continue;
            };
            let mine = task.assignments.iter().any(|a| {
                a.executor == operator && a.commitment.is_empty() && height <= a.deadline_height
            });
            if mine {
                queue.push(task);
            }
        }
        let metrics = crate::metrics::global();
        metrics.queue_depth(queue.len());
        let queued = queue.len();
        for (done, task) in queue.into_iter().enumerate() {
            let id = task.id;
            let left = queued.saturating_sub(done + 1);
            if self.cfg.fault == Some(Fault::Silent) {
                self.failed.insert(id);
                tracing::warn!(task = id, "fault injection: staying silent");
                continue;
            }
            match self.execute(&task) {
                Ok(images) => {
                    tracing::info!(task = id, images = images.len(), "task executed");
                    self.results.finish(id, images);
                }
                Err(e) => {
                    tracing::warn!(task = id, "task failed: {e:#}");
                    metrics.task_failed();
                    self.failed.insert(id);
                }
            }
            metrics.queue_depth(left);
        }
        Ok(())
    }

    fn pipeline(&mut self, model_id: &str) -> Result<&PooledPipeline> {
        if !self.pipelines.contains_key(model_id) {
            let latest = self.chain.latest();
            let m = state::model(&mut ReadOnly(&latest), model_id)?
                .with_context(|| format!("model {model_id} is not registered"))?;
            let fam = family(m.family).with_context(|| {
                format!(
                    "model family {} is not supported by this executor",
                    m.family
                )
            })?;
            let p = PooledPipeline::load(
                &self.cfg.models_dir.join(model_id),
                SdConfig::for_family(fam),
                &m.weights_sha256,
                &self.pool,
            )?;
            self.pipelines.insert(model_id.to_string(), p);
        }
        Ok(&self.pipelines[model_id])
    }

    fn execute(&mut self, task: &Task) -> Result<Vec<ImageResult>> {
        let req = GenerateRequest {
            prompt: task.prompt.clone(),
            negative_prompt: task.negative_prompt.clone(),
            width: task.width,
            height: task.height,
            steps: task.steps,
            guidance: task.guidance_scale.parse().unwrap_or(7.5),
            sampler: if task.scheduler == Scheduler::EulerAncestral as i32 {
                SamplerKind::EulerAncestral
            } else {
                SamplerKind::Ddim
            },
        };
        let fault = self.cfg.fault;
        let pipeline = self.pipeline(&task.model_id)?;
        // The seeds go over every device at once; each image depends only on its seed.
        let mut made = pipeline.generate_all(&req, &task.seeds)?;
        if fault == Some(Fault::Perturb) {
            for m in &mut made {
                m.image.pixels.iter_mut().for_each(|p| *p = 255 - *p);
            }
        }
        let mut out = Vec::with_capacity(made.len());
        for m in made {
            let device = self
                .pool
                .devices
                .get(m.device)
                .map_or("unknown", |d| d.name.as_str());
            crate::metrics::global().image(device, m.device_time_ms as f64 / 1000.0);
            let hash = self.blobs.put(&m.image.to_png()?)?;
            out.push(ImageResult {
                seed: m.seed,
                output_sha256: hex::decode(&hash)?,
                phash: m.image.phash(),
                device_time_ms: m.device_time_ms,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model registered without `size_multiple` accepts exactly the sizes the executor's
    /// pipeline for its family can make.
    #[test]
    fn default_size_multiple_is_the_pipelines_alignment() {
        for f in [
            ModelFamily::Sd15,
            ModelFamily::Sd21,
            ModelFamily::SdxlTurbo,
            ModelFamily::Tiny,
        ] {
            let pipeline = sd::SdConfig::for_family(family(f as i32).unwrap());
            assert_eq!(
                glia_modules::inference::lifecycle::default_size_multiple(f),
                pipeline.align,
                "{f:?}"
            );
        }
    }
}
