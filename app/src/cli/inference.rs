//! `gliad tx inference generate-image`: a user's path from prompt to PNG files. It prices
//! the request from the registry, signs and broadcasts `MsgGenerateImage`, follows the task
//! until it settles (printing progress), downloads each accepted image from the executors'
//! blob stores and saves it only if its sha256 matches the chain's record.

use crate::cli::keys::Output;
use crate::cli::signer::SignerArgs;
use anyhow::{bail, Context, Result};
use glia_client::keys::Key;
use glia_client::rpc::Rpc;
use glia_client::tx::any;
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::inference::handler::price_in;
use glia_proto::inference::v1::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, clap::Args)]
pub struct GenerateImageArgs {
    /// What to draw.
    pub prompt: String,
    /// What the image should not show.
    #[arg(long, default_value = "")]
    pub negative_prompt: String,
    /// A model id registered on chain (the localnet registers `tiny`).
    #[arg(long, default_value = "tiny")]
    pub model: String,
    /// Number of images (seeds start at --seed).
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// First seed (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Image width in pixels (a multiple of the model's size multiple).
    #[arg(long, default_value_t = 64)]
    pub width: u32,
    /// Image height in pixels (a multiple of the model's size multiple).
    #[arg(long, default_value_t = 64)]
    pub height: u32,
    /// Denoising steps (the price grows with them).
    #[arg(long, default_value_t = 8)]
    pub steps: u32,
    /// Classifier-free guidance scale, a decimal up to 30.
    #[arg(long, default_value = "7.5")]
    pub guidance: String,
    /// ddim or euler-a.
    #[arg(long, default_value = "ddim")]
    pub scheduler: String,
    /// Executors that independently make each image (the verification level paid for; at
    /// least the model's min_replicas, 2 unless its registration says otherwise).
    #[arg(long, default_value_t = 2)]
    pub replicas: u32,
    /// Blocks before unsettled images are refunded (0: the chain's default).
    #[arg(long, default_value_t = 0)]
    pub timeout_blocks: u64,
    /// Pay in this denom: uglia, or an IBC voucher the chain accepts (`gliad query inference
    /// params` lists them), by its `ibc/<hash>` or its trace (`transfer/channel-0/uatom`).
    #[arg(long, default_value = BASE_DENOM)]
    pub fee_denom: String,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Wait for settlement and download the images.
    #[arg(long)]
    pub wait: bool,
    /// Where to save the images (with --wait).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

fn status_name(s: i32) -> &'static str {
    TaskStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

/// Prices, signs and sends the request; with `--wait`, follows it and saves the images. With
/// `-o json`, one object at the end: the tx, the task id and, with `--wait`, the outcome.
pub fn generate_image(a: GenerateImageArgs) -> Result<()> {
    let signer = a.signer.resolve()?;
    let json = signer.output == Output::Json;
    let (key, rpc) = (&signer.key, &signer.rpc);
    let denom = glia_modules::coins::bank_denom_of(&a.fee_denom);
    let mut msg = build_request(&a, key, Coin::new(&denom, 0))?;
    let price = escrow_for(rpc, &msg)?;
    msg.max_fee = Some(price.to_proto());
    let sent = signer.send(vec![any(&msg)])?;
    eprintln!("broadcast {} (escrow {price}, fee {})", sent.0, sent.2);
    let resp: MsgGenerateImageResponse = glia_client::rpc::msg_response(&sent.1)?;
    let id = resp.task_id;
    let mut extra = serde_json::json!({
        "task_id": id.to_string(), "escrow": price.to_string(),
    });
    if !json {
        println!("task {id}");
    }
    if a.wait {
        let task = wait_for_settlement(rpc, id)?;
        let saved = save_images(&a.out, id, &task, !json)?;
        print_summary(id, &task, saved.len());
        extra["status"] = status_name(task.status).into();
        extra["paid"] = coin_text(&task.paid).into();
        extra["refunded"] = coin_text(&task.refunded).into();
        extra["images"] = saved
            .iter()
            .map(|(seed, sha, path)| {
                serde_json::json!({"seed": seed.to_string(), "sha256": sha, "path": path})
            })
            .collect();
    }
    if json {
        println!("{}", crate::cli::signer::tx_json(&sent, extra));
    }
    Ok(())
}

fn coin_text(c: &Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin>) -> String {
    c.as_ref()
        .map_or(String::new(), |c| format!("{}{}", c.amount, c.denom))
}

/// What request `m` costs at the registered model's price in its max_fee's denom (uglia, or a
/// voucher at the rate params give it): the escrow it offers. The chain's own pricing, so the
/// two never disagree.
fn escrow_for(rpc: &Rpc, m: &MsgGenerateImage) -> Result<Coin> {
    let models: QueryModelsResponse =
        rpc.query("/glia.inference.v1.Query/Models", &QueryModelsRequest {})?;
    let model = models
        .models
        .iter()
        .find(|x| x.id == m.model_id)
        .with_context(|| {
            let ids: Vec<&str> = models.models.iter().map(|x| x.id.as_str()).collect();
            format!(
                "model {} is not registered; this chain offers: {} (--model picks one)",
                m.model_id,
                ids.join(", ")
            )
        })?;
    let params: QueryParamsResponse =
        rpc.query("/glia.inference.v1.Query/Params", &QueryParamsRequest {})?;
    let params = params.params.unwrap_or_default();
    let denom = m.max_fee.as_ref().map_or(BASE_DENOM, |c| c.denom.as_str());
    let per = price_in(&params, model, m, denom).map_err(|e| anyhow::anyhow!("{}", e.log))?;
    let total = per
        .checked_mul(m.seeds.len() as u128)
        .and_then(|t| t.checked_mul(u128::from(m.replicas)))
        .context("the price overflows")?;
    Ok(Coin::new(denom, total))
}

/// The request message, with its seeds from `--seed` (else the clock) and `max_fee`.
fn build_request(a: &GenerateImageArgs, key: &Key, max_fee: Coin) -> Result<MsgGenerateImage> {
    let first = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 % 1_000_000_007)
    });
    let scheduler = match a.scheduler.as_str() {
        "ddim" => Scheduler::Ddim,
        "euler-a" | "euler_ancestral" => Scheduler::EulerAncestral,
        s => bail!("unknown scheduler {s:?}: use ddim or euler-a"),
    };
    Ok(MsgGenerateImage {
        creator: key.address.to_bech32(),
        model_id: a.model.clone(),
        prompt: a.prompt.clone(),
        negative_prompt: a.negative_prompt.clone(),
        width: a.width,
        height: a.height,
        steps: a.steps,
        guidance_scale: a.guidance.clone(),
        scheduler: scheduler as i32,
        seeds: (0..a.seeds).map(|i| first + i).collect(),
        replicas: a.replicas,
        max_fee: Some(max_fee.to_proto()),
        timeout_blocks: a.timeout_blocks,
    })
}

/// Follows the task, printing its progress, until it is no longer pending (10 minutes at most).
fn wait_for_settlement(rpc: &Rpc, id: u64) -> Result<Task> {
    glia_client::rpc::poll_with_progress(
        Duration::from_secs(600),
        || format!("task {id} did not settle in 10 minutes"),
        || {
            let t: QueryTaskResponse =
                rpc.query("/glia.inference.v1.Query/Task", &QueryTaskRequest { id })?;
            let t = t.task.context("no task")?;
            let answered = t
                .assignments
                .iter()
                .filter(|a| !a.results.is_empty())
                .count();
            let line = format!(
                "task {id}: {} — {answered}/{} executors answered",
                status_name(t.status),
                t.replicas
            );
            let settled = t.status != TaskStatus::Pending as i32;
            Ok((line, settled.then_some(t)))
        },
    )
}

/// Saves each agreed image under `out` (printing its path when `print`); returns each saved
/// image's seed, sha256 (hex) and path.
fn save_images(
    out: &Path,
    id: u64,
    task: &Task,
    print: bool,
) -> Result<Vec<(u64, String, String)>> {
    std::fs::create_dir_all(out)?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut saved = Vec::new();
    for o in &task.outcomes {
        if o.output_sha256.is_empty() {
            eprintln!("seed {}: no agreement; refunded", o.seed);
            continue;
        }
        let bytes = download_verified(&agent, o)?;
        let path = out.join(format!("task{id}-seed{}.png", o.seed));
        std::fs::write(&path, bytes)?;
        if print {
            println!("{}", path.display());
        }
        saved.push((
            o.seed,
            hex::encode(&o.output_sha256),
            path.display().to_string(),
        ));
    }
    Ok(saved)
}

/// The image from the first executor whose bytes hash to the chain's record: a blob store is
/// not trusted, the chain's hash is.
fn download_verified(agent: &ureq::Agent, o: &ImageOutcome) -> Result<Vec<u8>> {
    let want = hex::encode(&o.output_sha256);
    for url in &o.urls {
        let mut bytes = Vec::new();
        match agent.get(url).call() {
            Ok(r) => {
                std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes)?;
            }
            Err(e) => {
                eprintln!("seed {}: {url}: {e}", o.seed);
                continue;
            }
        }
        if hex::encode(Sha256::digest(&bytes)) == want {
            return Ok(bytes);
        }
        eprintln!(
            "seed {}: {url} served bytes that do not match the chain's hash",
            o.seed
        );
    }
    bail!("seed {}: no executor served the image {want}", o.seed)
}

/// The task's end on stderr: its status, what was paid and refunded, and images saved.
fn print_summary(id: u64, task: &Task, saved: usize) {
    eprintln!(
        "task {id} {}: paid {}, refunded {}, {saved} image(s) saved",
        status_name(task.status),
        coin_text(&task.paid),
        coin_text(&task.refunded),
    );
}
