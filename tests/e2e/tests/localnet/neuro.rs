//! Neuromorphic jobs on the 4-validator localnet: validators' DMM workers solve posted jobs
//! by themselves and are paid exactly; wrong solutions are refused with clear logs; jobs
//! above the review threshold wait for the committee (the last three dev accounts, two
//! approvals), which opens or rejects them.

use anyhow::{ensure, Context, Result};
use glia_client::tx::any;
use glia_e2e::*;
use glia_modules::neuro::problem::{pack, write_cnf, Format, Limits, Problem};
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::neuro::v1::*;
use glia_validator_gpu::dmm::generate::planted_3sat;
use std::time::{Duration, Instant};

const DENOM: &str = "uglia";

fn uglia(a: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: DENOM.into(),
        amount: a.to_string(),
    })
}

fn amount(c: &Option<ProtoCoin>) -> u128 {
    c.as_ref().map_or(0, |c| c.amount.parse().unwrap_or(0))
}

fn job(rpc: &Rpc, id: u64) -> Result<Job> {
    let r: QueryJobResponse = rpc.query("/glia.neuro.v1.Query/Job", &QueryJobRequest { id })?;
    r.job.context("no job")
}

fn wait_job(rpc: &Rpc, id: u64, timeout: Duration, done: impl Fn(&Job) -> bool) -> Result<Job> {
    let start = Instant::now();
    loop {
        let j = job(rpc, id)?;
        if done(&j) {
            return Ok(j);
        }
        ensure!(
            start.elapsed() < timeout,
            "job {id} not done after {timeout:?}: status {}, best {:?}, {} solutions",
            j.status,
            j.has_best.then_some(j.best_energy),
            j.solutions
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Sends `msgs` from `w` with generous gas and returns the delivered tx.
fn send(
    net: &Network,
    w: &Wallet,
    msg: impl prost::Name,
    gas: u64,
) -> Result<(serde_json::Value, u128)> {
    let rpc = net.node(0);
    let mut p = w.params(net, &rpc)?;
    p.gas_limit = gas;
    let fee = u128::from(gas).div_ceil(40);
    p.fee = vec![glia_modules::coins::Coin::new(DENOM, fee)];
    let r = deliver(&rpc, &w.sign(vec![any(&msg)], &p))?;
    ensure!(
        r["tx_result"]["code"].as_u64() == Some(0),
        "tx failed: {}",
        r["tx_result"]["log"]
    );
    Ok((r, fee))
}

fn submit_job(
    net: &Network,
    w: &Wallet,
    problem: &str,
    fee: u128,
    blocks: u64,
    reward: u128,
) -> Result<(u64, u128)> {
    let msg = MsgSubmitJob {
        creator: w.address(),
        format: ProblemFormat::Cnf as i32,
        problem: problem.into(),
        block_fee: uglia(fee),
        max_blocks: blocks,
        solution_reward: uglia(reward),
        target_energy: String::new(),
    };
    let (r, paid) = send(net, w, msg, 2_000_000 + 40 * problem.len() as u64)?;
    let id = event_attr(&r, "submit_job", "job_id")
        .first()
        .context("no job id event")?
        .parse()?;
    Ok((id, paid))
}

fn planted(vars: u32, seed: u64) -> String {
    write_cnf(
        &planted_3sat(vars, 4.3, seed)
            .expect("valid generator arguments")
            .clauses,
    )
}

#[test]
fn neuro_a_validators_solve_a_posted_job_and_are_paid_exactly() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let creator = net.wallet("dev6")?;
    let text = planted(120, 7);
    let before = rpc.balance(&creator.address(), DENOM)?;
    let (id, fee) = submit_job(&net, &creator, &text, 1_000, 40, 50_000)?;
    let j = wait_job(&rpc, id, Duration::from_secs(90), |j| {
        j.status != JobStatus::Open as i32
    })?;
    assert_eq!(j.status, JobStatus::Solved as i32, "{j:?}");
    let operators: Vec<&str> = net.operators.iter().map(|o| o.address.as_str()).collect();
    assert!(
        operators.contains(&j.winner.as_str()),
        "winner {} is not a validator operator",
        j.winner
    );
    // Money, to the unit: the escrow went to block fees, the reward and the refund.
    let escrow = 40 * 1_000 + 50_000;
    // The reward is shared by improvement; each share is rounded down.
    assert!(
        (50_000 - u128::from(j.solutions)..=50_000).contains(&amount(&j.reward_paid)),
        "reward paid {}",
        amount(&j.reward_paid)
    );
    assert_eq!(
        amount(&j.fees_paid) + amount(&j.reward_paid) + amount(&j.refunded),
        escrow
    );
    assert_eq!(amount(&j.escrow), 0);
    assert!(
        amount(&j.fees_paid) >= 1_000 - u64::from(j.solutions as u32) as u128,
        "the open blocks' fees are paid"
    );
    let after = rpc.balance(&creator.address(), DENOM)?;
    assert_eq!(before - after, fee + escrow - amount(&j.refunded));
    // The winning assignment, checked here independently: every clause holds.
    let sols: QuerySolutionsResponse = rpc.query(
        "/glia.neuro.v1.Query/Solutions",
        &QuerySolutionsRequest {
            job_id: id,
            pagination: None,
        },
    )?;
    let last = sols.solutions.last().context("no solutions")?;
    assert!(last.met_target && last.energy == 0 && last.solver == j.winner);
    let p = Problem::parse(Format::Cnf, &text, &Limits::LOCAL)?;
    assert_eq!(p.energy_packed(&last.assignment)?, 0);
    // What each solution was paid adds up to the job's payments, and only improvements
    // (in commitment order) were paid.
    let paid: u128 = sols
        .solutions
        .iter()
        .map(|s| s.paid.parse::<u128>().unwrap_or(0))
        .sum();
    assert_eq!(paid, amount(&j.fees_paid) + amount(&j.reward_paid));
    assert!(sols
        .solutions
        .iter()
        .all(|s| s.improvement > 0 || s.paid == "0"));
    Ok(())
}

#[test]
fn neuro_b_wrong_solutions_are_refused_with_clear_logs() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let creator = net.wallet("dev7")?;
    let solver = net.wallet("dev8")?;
    // Unsatisfiable: the job stays open (validators can only reach energy 1) for 8 blocks.
    let unsat = "p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n";
    let (id, _) = submit_job(&net, &creator, unsat, 10, 8, 100)?;
    let before = rpc.balance(&solver.address(), DENOM)?;
    let salt = vec![9u8; 32];
    let reveal = |assignment: Vec<u8>, claimed_energy: i64, salt: &[u8]| MsgSubmitSolution {
        solver: solver.address(),
        job_id: id,
        assignment,
        claimed_energy,
        salt: salt.to_vec(),
    };
    let refused = |msg: MsgSubmitSolution, code: u32, text: &str| -> Result<()> {
        let mut p = solver.params(&net, &rpc)?;
        p.gas_limit = 400_000;
        p.fee = vec![glia_modules::coins::Coin::new(DENOM, 10_000)];
        let b = rpc.broadcast(&solver.sign(vec![any(&msg)], &p))?;
        assert_eq!((b.code, b.codespace.as_str()), (code, "neuro"), "{}", b.log);
        assert!(b.log.contains(text), "log {:?} lacks {text:?}", b.log);
        Ok(())
    };
    // Nothing is verified for a reveal without a commitment from an earlier block.
    refused(
        reveal(pack(&[true, true]), 0, &salt),
        21,
        "has no commitment",
    )?;
    let mut paid = 0;
    // Each wrong reveal needs its own commitment (a new one replaces the last).
    let cases: Vec<(Vec<u8>, i64, u32, &str)> = vec![
        (
            pack(&[true, true]),
            0,
            11,
            "claimed energy 0 but the assignment's energy is 1",
        ),
        (vec![1, 0], 0, 10, "assignment is 2 bytes"),
        (vec![0b100], 0, 10, "bits beyond the last variable"),
    ];
    for (assignment, energy, code, text) in cases {
        let commitment = glia_modules::neuro::msgs::solution_commitment(
            id,
            &solver.address(),
            energy,
            &assignment,
            &salt,
        );
        let (_, fee) = send(
            &net,
            &solver,
            MsgCommitSolution {
                solver: solver.address(),
                job_id: id,
                commitment: commitment.to_vec(),
            },
            200_000,
        )?;
        paid += fee;
        refused(
            reveal(assignment.clone(), energy, &[8u8; 32]),
            22,
            "do not hash to",
        )?;
        refused(reveal(assignment, energy, &salt), code, text)?;
    }
    let mut missing = reveal(vec![1], 1, &salt);
    missing.job_id = 999_999;
    refused(missing, 8, "job 999999 does not exist")?;
    assert_eq!(
        rpc.balance(&solver.address(), DENOM)?,
        before - paid,
        "refused in CheckTx: no fee beyond the commitments'"
    );
    // The job ends at its deadline with the reward refunded (a SAT job that was never solved).
    let j = wait_job(&rpc, id, Duration::from_secs(40), |j| {
        j.status != JobStatus::Open as i32
    })?;
    assert_eq!(j.status, JobStatus::Expired as i32);
    assert_eq!(amount(&j.reward_paid), 0);
    assert_eq!(amount(&j.fees_paid) + amount(&j.refunded), 8 * 10 + 100);
    Ok(())
}

#[test]
fn neuro_c_the_committee_opens_or_rejects_large_jobs() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let creator = net.wallet("dev6")?;
    let names: Vec<String> = net.accounts[net.accounts.len() - 3..]
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let (m0, m1) = (net.wallet(&names[0])?, net.wallet(&names[1])?);
    // 300 variables at ratio 4.3: 1290 clauses, size 5160 > the threshold 5000.
    let big = planted(300, 11);
    let (approved, _) = submit_job(&net, &creator, &big, 100, 60, 10_000)?;
    // Another creator, so the approved job's refund does not blur this one's balance.
    let creator2 = net.wallet("dev8")?;
    let (rejected, _) = submit_job(&net, &creator2, &planted(300, 12), 100, 60, 10_000)?;
    let j = job(&rpc, approved)?;
    assert_eq!(j.status, JobStatus::AwaitingReview as i32, "{j:?}");
    assert!(j.size > 5000);

    let review = |w: &Wallet, id: u64, approve: bool| {
        send(
            &net,
            w,
            MsgReviewJob {
                reviewer: w.address(),
                job_id: id,
                approve,
                reason: "e2e".into(),
            },
            300_000,
        )
    };
    // An outsider may not review.
    let outsider = net.wallet("dev5")?;
    let mut p = outsider.params(&net, &rpc)?;
    p.fee = vec![glia_modules::coins::Coin::new(DENOM, 10_000)];
    let msg = MsgReviewJob {
        reviewer: outsider.address(),
        job_id: approved,
        approve: true,
        reason: String::new(),
    };
    let b = rpc.broadcast(&outsider.sign(vec![any(&msg)], &p))?;
    assert_eq!((b.code, b.codespace.as_str()), (15, "neuro"), "{}", b.log);
    assert!(b.log.contains("not on the review committee"), "{}", b.log);

    review(&m0, approved, true)?;
    assert_eq!(
        job(&rpc, approved)?.status,
        JobStatus::AwaitingReview as i32,
        "one approval of two"
    );
    review(&m1, approved, true)?;
    assert_eq!(job(&rpc, approved)?.status, JobStatus::Open as i32);

    let before = rpc.balance(&creator2.address(), DENOM)?;
    review(&m0, rejected, false)?;
    review(&m1, rejected, false)?;
    let r = wait_job(&rpc, rejected, Duration::from_secs(10), |j| {
        amount(&j.refunded) > 0
    })?;
    assert_eq!(r.status, JobStatus::Rejected as i32);
    assert_eq!(amount(&r.refunded), 60 * 100 + 10_000, "refunded in full");
    assert_eq!(
        rpc.balance(&creator2.address(), DENOM)? - before,
        60 * 100 + 10_000
    );

    // Once approved, the validators solve it like any other job.
    let j = wait_job(&rpc, approved, Duration::from_secs(120), |j| {
        j.status != JobStatus::Open as i32
    })?;
    assert_eq!(j.status, JobStatus::Solved as i32, "{j:?}");
    let p = Problem::parse(Format::Cnf, &big, &Limits::LOCAL)?;
    ensure!(p.num_vars() == 300);
    Ok(())
}
