//! Image generation on the 4-validator localnet, whose test fixtures make node 3's executor
//! invert its images and give nodes 2 and 3 alone the model "tiny-unserved".

use anyhow::{ensure, Context, Result};
use glia_client::tx::any;
use glia_e2e::gliad_bin as gliad;
use glia_e2e::*;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::inference::v1::*;
use glia_validator_gpu::sd::RgbImage;
use prost::Message;
use sha2::{Digest, Sha256};
use std::process::Command;
use std::time::{Duration, Instant};

const DENOM: &str = "uglia";

fn executors(rpc: &Rpc) -> Result<Vec<Executor>> {
    let r: QueryExecutorsResponse = rpc.query(
        "/glia.inference.v1.Query/Executors",
        &QueryExecutorsRequest::default(),
    )?;
    Ok(r.executors)
}

/// Executors register themselves after start; wait for all four.
fn wait_executors(rpc: &Rpc) -> Result<Vec<Executor>> {
    let start = Instant::now();
    loop {
        let e = executors(rpc)?;
        if e.len() == 4 {
            return Ok(e);
        }
        ensure!(
            start.elapsed() < Duration::from_secs(60),
            "only {} executors registered",
            e.len()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn executor(rpc: &Rpc, operator: &str) -> Result<Executor> {
    executors(rpc)?
        .into_iter()
        .find(|e| e.operator == operator)
        .with_context(|| format!("no executor {operator}"))
}

fn task(rpc: &Rpc, id: u64) -> Result<Task> {
    let r: QueryTaskResponse =
        rpc.query("/glia.inference.v1.Query/Task", &QueryTaskRequest { id })?;
    r.task.context("no task")
}

fn wait_settled(rpc: &Rpc, id: u64, timeout: Duration) -> Result<Task> {
    let start = Instant::now();
    loop {
        let t = task(rpc, id)?;
        if t.status != TaskStatus::Pending as i32 {
            return Ok(t);
        }
        ensure!(
            start.elapsed() < timeout,
            "task {id} still pending after {timeout:?}: {t:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn amount(c: &Option<ProtoCoin>) -> u128 {
    c.as_ref().map_or(0, |c| c.amount.parse().unwrap_or(0))
}

fn request(creator: &str, model: &str, seeds: Vec<u64>, replicas: u32) -> MsgGenerateImage {
    MsgGenerateImage {
        creator: creator.into(),
        model_id: model.into(),
        prompt: "a lighthouse at dusk".into(),
        negative_prompt: "blurry".into(),
        width: 64,
        height: 64,
        steps: 4,
        guidance_scale: "7.5".into(),
        scheduler: Scheduler::Ddim as i32,
        seeds,
        replicas,
        max_fee: Some(ProtoCoin {
            denom: DENOM.into(),
            amount: "10000000".into(),
        }),
        timeout_blocks: 0,
    }
}

/// Submits a request and returns its task id and the fee paid.
fn submit(net: &Network, w: &Wallet, msg: &MsgGenerateImage) -> Result<(u64, u128)> {
    let rpc = net.node(0);
    let mut p = w.params(net, &rpc)?;
    p.gas_limit = 400_000;
    p.fee = vec![glia_modules::coins::Coin::new(DENOM, 10_000)];
    let r = deliver(&rpc, &w.sign(vec![any(msg)], &p))?;
    ensure!(
        r["tx_result"]["code"].as_u64() == Some(0),
        "tx failed: {}",
        r["tx_result"]["log"]
    );
    let id = event_attr(&r, "generate_image", "task_id")
        .first()
        .context("no task id event")?
        .parse()?;
    Ok((id, 10_000))
}

#[test]
fn inference_a_cli_request_settles_and_images_match_their_hashes() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    wait_executors(&rpc)?;
    // The creator is node 3's operator: node 3 (which perturbs) is never assigned its own task.
    let creator = net.wallet("operator3")?;
    let dir = std::env::temp_dir().join(format!("glia-e2e-images-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mnemonic = dir.join("mnemonic");
    let m = &net
        .operators
        .iter()
        .find(|a| a.name == "operator3")
        .context("operator3")?
        .mnemonic;
    std::fs::write(&mnemonic, m)?;
    let before = rpc.balance(&creator.address(), DENOM)?;
    let out = Command::new(gliad())
        .args([
            "tx",
            "inference",
            "generate-image",
            "a lighthouse at dusk",
            "--seeds",
            "2",
            "--seed",
            "11",
        ])
        .args([
            "--replicas",
            "2",
            "--steps",
            "4",
            "--width",
            "64",
            "--height",
            "64",
            "--wait",
            "-o",
            "json",
        ])
        .arg("--mnemonic-file")
        .arg(&mnemonic)
        .args(["--node", &net.rpc[0], "--out"])
        .arg(dir.join("out"))
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "generate-image failed: {stderr}");
    println!("{stderr}");
    // -o json: one object on stdout, the progress on stderr.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value =
        serde_json::from_str(stdout.trim()).with_context(|| format!("-o json printed {stdout}"))?;
    let id: u64 = j["task_id"].as_str().context("task_id")?.parse()?;
    assert_eq!(j["status"], "TASK_STATUS_COMPLETED", "{j}");
    let images = j["images"].as_array().context("images")?;
    let files: Vec<&str> = images.iter().filter_map(|i| i["path"].as_str()).collect();
    assert_eq!(files.len(), 2, "{stdout}");
    let t = task(&rpc, id)?;
    assert_eq!(t.status, TaskStatus::Completed as i32, "{t:?}");
    for ((o, f), i) in t.outcomes.iter().zip(&files).zip(images) {
        assert_eq!(i["sha256"], hex::encode(&o.output_sha256));
        let bytes = std::fs::read(f)?;
        assert_eq!(Sha256::digest(&bytes).to_vec(), o.output_sha256, "{f}");
        let img = RgbImage::from_png(&bytes)?;
        assert_eq!((img.width, img.height), (64, 64));
        assert_eq!(o.agreeing.len(), 2);
        assert!(!o.agreeing.contains(&creator.address()), "self-dealing");
    }
    // Escrow arithmetic, to the unit: 1e6 uglia per step-megapixel × 4 steps × 64×64 px.
    let per = (1_000_000u128 * 4 * 64 * 64).div_ceil(1_000_000);
    assert_eq!(amount(&t.price_per_result), per);
    assert_eq!(amount(&t.escrow), per * 4);
    assert_eq!(amount(&t.paid), per * 4);
    assert_eq!(amount(&t.refunded), 0);
    let hash = j["txhash"].as_str().context("txhash")?;
    assert_eq!(j["paid"], format!("{}{DENOM}", per * 4));
    let tx = rpc.wait_tx(hash, Duration::from_secs(5))?;
    let fee: u128 = event_attr(&tx, "tx", "fee")[0]
        .trim_end_matches(DENOM)
        .parse()?;
    assert_eq!(
        rpc.balance(&creator.address(), DENOM)?,
        before - per * 4 - fee
    );
    // The inference queries answer the same over gRPC as over ABCI, at a pinned height both
    // nodes have committed (node 1 may be a block behind node 0).
    let h = rpc.height()?.min(net.node(1).height()?);
    let via_abci = rpc.abci_query(
        "/glia.inference.v1.Query/Task",
        &QueryTaskRequest { id }.encode_to_vec(),
        h,
    )?;
    let via_grpc: QueryTaskResponse = glia_e2e::grpc::call(
        &net.grpc[1],
        "/glia.inference.v1.Query/Task",
        &QueryTaskRequest { id },
        Some(h),
    )?;
    assert_eq!(via_grpc.encode_to_vec(), via_abci.value);
    let mine: QueryTasksResponse = glia_e2e::grpc::call(
        &net.grpc[1],
        "/glia.inference.v1.Query/Tasks",
        &QueryTasksRequest {
            creator: creator.address(),
            ..Default::default()
        },
        None,
    )?;
    assert!(
        mine.tasks.iter().any(|t| t.id == id)
            && mine.tasks.iter().all(|t| t.creator == creator.address())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn inference_b_a_perturbing_executor_is_outvoted_and_penalised() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    wait_executors(&rpc)?;
    let w = net.wallet("dev9")?;
    let op3 = net.operators[3].address.clone();
    let q_before = executor(&rpc, &op3)?;
    let bal3 = rpc.balance(&op3, DENOM)?;
    let before = rpc.balance(&w.address(), DENOM)?;
    let (id, fee) = submit(&net, &w, &request(&w.address(), "tiny", vec![5], 4))?;
    let t = wait_settled(&rpc, id, Duration::from_secs(60))?;
    assert_eq!(t.status, TaskStatus::Completed as i32, "{t:?}");
    let per = amount(&t.price_per_result);
    let o = &t.outcomes[0];
    assert_eq!(o.agreeing.len(), 3, "{o:?}");
    assert!(
        !o.agreeing.contains(&op3),
        "the perturbed image was accepted"
    );
    let bad = t
        .assignments
        .iter()
        .find(|a| a.executor == op3)
        .context("node 3 not assigned")?;
    assert!(
        (bad.results[0].phash ^ o.phash).count_ones() > 10,
        "perturbation too small to test"
    );
    let q_after = executor(&rpc, &op3)?;
    assert_eq!(q_after.results_outvoted, q_before.results_outvoted + 1);
    assert!(q_after.quality_bps < q_before.quality_bps);
    assert_eq!(rpc.balance(&op3, DENOM)?, bal3, "node 3 was paid");
    assert_eq!(amount(&t.paid), 3 * per);
    assert_eq!(amount(&t.refunded), per);
    assert_eq!(rpc.balance(&w.address(), DENOM)?, before - fee - 3 * per);
    Ok(())
}

#[test]
fn inference_c_silent_executors_are_replaced_then_the_task_refunded() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    wait_executors(&rpc)?;
    // Nodes 2 and 3 registered "tiny-unserved"; removing their weights leaves them unable
    // to answer, as an operator who deleted a model would be.
    for i in [2, 3] {
        let d = net
            .run_dir()
            .join(format!("node{i}/glia/models/tiny-unserved"));
        let _ = std::fs::remove_dir_all(&d);
    }
    let w = net.wallet("dev10")?;
    let before = rpc.balance(&w.address(), DENOM)?;
    let (id, fee) = submit(
        &net,
        &w,
        &request(&w.address(), "tiny-unserved", vec![9], 1),
    )?;
    let t = wait_settled(&rpc, id, Duration::from_secs(120))?;
    assert_eq!(t.status, TaskStatus::Refunded as i32, "{t:?}");
    assert_eq!(t.assignments.len(), 2, "replaced exactly once: {t:?}");
    assert!(t.assignments[1].replacement);
    assert_ne!(t.assignments[0].executor, t.assignments[1].executor);
    for a in &t.assignments {
        assert!(a.results.is_empty());
        assert!(executor(&rpc, &a.executor)?.results_missed >= 1);
    }
    assert_eq!(amount(&t.refunded), amount(&t.escrow));
    assert_eq!(
        rpc.balance(&w.address(), DENOM)?,
        before - fee,
        "escrow not fully refunded"
    );
    Ok(())
}

#[test]
fn inference_d_bad_requests_are_refused_in_check_tx() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    wait_executors(&rpc)?;
    let w = net.wallet("dev11")?;
    let before = rpc.balance(&w.address(), DENOM)?;
    let base = request(&w.address(), "tiny", vec![1], 2);
    type Edit = fn(&mut MsgGenerateImage);
    let cases: [(&str, Edit, u32, &str); 11] = [
        (
            "unknown model",
            |m| m.model_id = "sd-9".into(),
            2,
            "not registered",
        ),
        ("zero steps", |m| m.steps = 0, 3, "at least 1"),
        (
            "too many steps",
            |m| m.steps = 51,
            3,
            "above the maximum 50",
        ),
        (
            "width not a multiple of 8",
            |m| m.width = 60,
            4,
            "multiple of 8",
        ),
        (
            "height too large",
            |m| m.height = 1024,
            4,
            "above the maximum",
        ),
        ("empty prompt", |m| m.prompt.clear(), 5, "empty"),
        (
            "prompt too long",
            |m| m.prompt = "x".repeat(1025),
            5,
            "above the maximum 1024",
        ),
        (
            "fee below price",
            |m| m.max_fee.as_mut().unwrap().amount = "16383".into(),
            6,
            "below the price",
        ),
        (
            "more replicas than executors",
            |m| m.replicas = 5,
            7,
            "only 4 executors",
        ),
        ("zero seeds", |m| m.seeds.clear(), 8, "no seeds"),
        (
            "fewer replicas than the model's minimum",
            |m| m.replicas = 1,
            9,
            "below model tiny's minimum of 2",
        ),
    ];
    for (name, edit, code, log) in cases {
        let mut m = base.clone();
        edit(&mut m);
        let mut p = w.params(&net, &rpc)?;
        p.gas_limit = 400_000;
        p.fee = vec![glia_modules::coins::Coin::new(DENOM, 10_000)];
        let b = rpc.broadcast(&w.sign(vec![any(&m)], &p))?;
        assert_eq!(
            (b.code, b.codespace.as_str()),
            (code, "inference"),
            "{name}: {}",
            b.log
        );
        assert!(b.log.contains(log), "{name}: log {:?} lacks {log:?}", b.log);
    }
    assert_eq!(
        rpc.balance(&w.address(), DENOM)?,
        before,
        "a refused request cost something"
    );
    Ok(())
}
