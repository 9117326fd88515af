//! `gliad tx neuro …`: a customer's path for neuromorphic jobs. `submit-job` reads a DIMACS
//! CNF, WCNF or `p qubo` file, checks it locally with the chain's own parser, escrows the
//! pay, and with `--wait` follows the job until it closes and prints the winning assignment
//! in the SAT-competition format. `review` and `cancel` are the committee's and the
//! creator's messages.

use crate::cli::keys::Output;
use crate::cli::signer::{tx_json, Sent, Signer, SignerArgs};
use crate::cli::solve::{detect_format, v_lines};
use anyhow::{ensure, Context, Result};
use glia_client::rpc::msg_response;
use glia_client::tx::any;
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::neuro::handler::{amount, proto_format, status_name};
use glia_modules::neuro::problem::{format_energy, unpack, Format, Limits, Problem};
use glia_proto::neuro::v1::*;
use std::path::PathBuf;
use std::time::Duration;

/// Signs and broadcasts one message, waiting for its block.
fn send(s: &Signer, msg: glia_proto::cosmos::Any) -> Result<Sent> {
    let sent = s.send(vec![msg])?;
    eprintln!("broadcast {} (fee {})", sent.0, sent.2);
    Ok(sent)
}

#[derive(Clone, Debug, clap::Args)]
pub struct SubmitJobArgs {
    /// The problem: DIMACS CNF, WCNF or `p qubo` text.
    pub file: PathBuf,
    /// cnf, wcnf or qubo (default: from the file's header).
    #[arg(long)]
    pub format: Option<String>,
    /// Paid each block (in --fee-denom) to the solvers that improved in it.
    #[arg(long, default_value_t = 0)]
    pub block_fee: u64,
    /// Blocks the job stays open (and pays its block fee).
    #[arg(long, default_value_t = 100)]
    pub max_blocks: u64,
    /// Paid (in --fee-denom) for the solution that meets the target (or the best at the
    /// deadline).
    #[arg(long, default_value_t = 0)]
    pub reward: u64,
    /// Pay the block fee and reward in this denom: uglia, or an IBC voucher the chain accepts
    /// for jobs (`gliad query neuro params` lists them), by its `ibc/<hash>` or its trace.
    #[arg(long, default_value = BASE_DENOM)]
    pub fee_denom: String,
    /// Optimisation jobs: an energy to reach, in the problem's units ("-12.5").
    #[arg(long)]
    pub target: Option<String>,
    /// Follow the job until it closes and print the best assignment.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn parse_format(s: &str) -> Result<Format> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "cnf" => Format::Cnf,
        "wcnf" => Format::Wcnf,
        "qubo" => Format::Qubo,
        other => anyhow::bail!("unknown format {other:?}: use cnf, wcnf or qubo"),
    })
}

fn coin(denom: &str, a: u64) -> Option<glia_proto::cosmos::cosmos::base::v1beta1::Coin> {
    (a > 0).then(|| Coin::new(denom, u128::from(a)).to_proto())
}

pub fn submit_job(a: SubmitJobArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let format = match &a.format {
        Some(f) => parse_format(f)?,
        None => {
            detect_format(&text).context("cannot tell the format from the header: pass --format")?
        }
    };
    // The chain's own parser first, so a malformed file fails here, for free.
    let problem = Problem::parse(format, &text, &Limits::LOCAL)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let signer = a.signer.resolve()?;
    let denom = glia_modules::coins::bank_denom_of(&a.fee_denom);
    let msg = MsgSubmitJob {
        creator: signer.key.address.to_bech32(),
        format: proto_format(format) as i32,
        problem: text.clone(),
        block_fee: coin(&denom, a.block_fee),
        max_blocks: a.max_blocks,
        solution_reward: coin(&denom, a.reward),
        target_energy: a.target.clone().unwrap_or_default(),
    };
    let sent = send(&signer, any(&msg))?;
    let json = signer.output == Output::Json;
    let rpc = &signer.rpc;
    let resp: MsgSubmitJobResponse = msg_response(&sent.1)?;
    let id = resp.job_id;
    let escrow = u128::from(a.block_fee) * u128::from(a.max_blocks) + u128::from(a.reward);
    if !json {
        println!("job {id}");
    }
    eprintln!(
        "job {id}: {} — {} variables, escrow {escrow}{denom}",
        status_name(resp.status),
        problem.num_vars(),
    );
    let mut extra = serde_json::json!({
        "job_id": id.to_string(), "status": status_name(resp.status),
        "escrow": format!("{escrow}{denom}"),
    });
    if !a.wait {
        if json {
            println!("{}", tx_json(&sent, extra));
        }
        return Ok(());
    }
    let job = glia_client::rpc::poll_with_progress(
        Duration::from_secs(3600),
        || format!("job {id} is still live after an hour"),
        || {
            let r: QueryJobResponse =
                rpc.query("/glia.neuro.v1.Query/Job", &QueryJobRequest { id })?;
            let j = r.job.context("no job")?;
            let best = if j.has_best {
                format!("best energy {}", format_energy(j.best_energy, j.decimals))
            } else {
                "no solution yet".into()
            };
            let line = format!(
                "job {id}: {} — {best}, {} solutions",
                status_name(j.status),
                j.solutions
            );
            let live =
                j.status == JobStatus::Open as i32 || j.status == JobStatus::AwaitingReview as i32;
            // The refund is paid at the end of the closing block.
            let closed =
                !live && (j.refunded.is_some() || j.closed_height > 0) && amount(&j.escrow)? == 0;
            Ok((line, closed.then_some(j)))
        },
    )?;
    eprintln!(
        "job {id}: {} — winner {}, paid {}{denom} in block fees and {}{denom} reward, refunded {}{denom}",
        status_name(job.status),
        if job.winner.is_empty() { "none" } else { &job.winner },
        amount(&job.fees_paid)?,
        amount(&job.reward_paid)?,
        amount(&job.refunded)?
    );
    extra["status"] = status_name(job.status).into();
    extra["winner"] = job.winner.clone().into();
    extra["fees_paid"] = format!("{}{denom}", amount(&job.fees_paid)?).into();
    extra["reward_paid"] = format!("{}{denom}", amount(&job.reward_paid)?).into();
    extra["refunded"] = format!("{}{denom}", amount(&job.refunded)?).into();
    if !job.has_best {
        if json {
            println!("{}", tx_json(&sent, extra));
        } else {
            println!("s UNKNOWN");
        }
        return Ok(());
    }
    let sols: QuerySolutionsResponse = rpc.query(
        "/glia.neuro.v1.Query/Solutions",
        &QuerySolutionsRequest {
            job_id: id,
            pagination: None,
        },
    )?;
    let best = sols
        .solutions
        .last()
        .context("the job has a best energy but no solutions")?;
    let x = unpack(&best.assignment, problem.num_vars())
        .map_err(|e| anyhow::anyhow!("the chain's best assignment: {e}"))?;
    let energy = problem.energy(&x).map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure!(
        energy == best.energy,
        "the chain's best assignment has energy {energy} here, {} on chain",
        best.energy
    );
    let verdict = if format == Format::Cnf && energy != 0 {
        "UNKNOWN"
    } else {
        "SATISFIABLE"
    };
    if json {
        extra["best_energy"] = format_energy(energy, job.decimals).into();
        extra["result"] = verdict.into();
        // Literals as the competition's v lines give them: 1-based, negative when false.
        extra["assignment"] = (1..)
            .zip(x.iter())
            .map(|(i, &v)| if v { i } else { -i })
            .collect::<Vec<i64>>()
            .into();
        println!("{}", tx_json(&sent, extra));
        return Ok(());
    }
    if format != Format::Cnf {
        println!("o {}", format_energy(energy, job.decimals));
    }
    println!("s {verdict}");
    print!("{}", v_lines(&x));
    Ok(())
}

#[derive(Clone, Debug, clap::Args)]
pub struct ReviewArgs {
    /// The job awaiting review.
    pub job_id: u64,
    /// Approve the job (otherwise --reject).
    #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
    pub approve: bool,
    /// Reject the job.
    #[arg(long)]
    pub reject: bool,
    /// Why, recorded with the review.
    #[arg(long, default_value = "")]
    pub reason: String,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn review(a: ReviewArgs) -> Result<()> {
    let signer = a.signer.resolve()?;
    let msg = MsgReviewJob {
        reviewer: signer.key.address.to_bech32(),
        job_id: a.job_id,
        approve: a.approve,
        reason: a.reason.clone(),
    };
    let sent = send(&signer, any(&msg))?;
    let r: MsgReviewJobResponse = msg_response(&sent.1)?;
    signer.report(
        &sent,
        &format!("job {}: {}", a.job_id, status_name(r.status)),
        serde_json::json!({"job_id": a.job_id.to_string(), "status": status_name(r.status)}),
    );
    Ok(())
}

#[derive(Clone, Debug, clap::Args)]
pub struct CancelArgs {
    /// Your job to cancel.
    pub job_id: u64,
    #[command(flatten)]
    pub signer: SignerArgs,
}

pub fn cancel(a: CancelArgs) -> Result<()> {
    let signer = a.signer.resolve()?;
    let msg = MsgCancelJob {
        creator: signer.key.address.to_bech32(),
        job_id: a.job_id,
    };
    let sent = send(&signer, any(&msg))?;
    let r: MsgCancelJobResponse = msg_response(&sent.1)?;
    let refunded = r
        .refunded
        .map_or(String::new(), |c| format!("{}{}", c.amount, c.denom));
    signer.report(
        &sent,
        &format!(
            "job {}: CANCELLED, {} refunded",
            a.job_id,
            if refunded.is_empty() { "nothing" } else { &refunded }
        ),
        serde_json::json!({"job_id": a.job_id.to_string(), "status": "CANCELLED", "refunded": refunded}),
    );
    Ok(())
}
