use super::generate::{cut_value, maxcut, planted_3sat, CutWeights, SplitMix64};
use super::*;
use glia_problem::{Format, Limits, Problem};

fn run(problem: &Problem, opts: &SolveOptions) -> Outcome {
    let stop = AtomicBool::new(false);
    let mut seen: Vec<i64> = Vec::new();
    let out = solve(problem, opts, &stop, |c| {
        // Every reported candidate re-verifies, and each strictly improves on the last.
        assert_eq!(problem.energy(&c.assignment), Ok(c.energy));
        assert!(seen.last().is_none_or(|&e| c.energy < e));
        seen.push(c.energy);
    })
    .expect("solve");
    if let Some(b) = &out.best {
        assert_eq!(problem.energy(&b.assignment), Ok(b.energy));
        assert_eq!(seen.last(), Some(&b.energy));
    }
    out
}

fn quick() -> SolveOptions {
    SolveOptions {
        time_limit: Duration::from_secs(60),
        threads: 2,
        ..SolveOptions::default()
    }
}

#[test]
fn solves_small_planted_instances() {
    for (n, seed) in [(50, 1), (100, 2), (150, 3), (200, 4)] {
        for variant in [Variant::Bearden2020, Variant::Sipling2026] {
            for precision in [Precision::F64, Precision::F32] {
                let p = planted_3sat(n, 4.3, seed).expect("generate");
                let problem = Problem::Sat(p.clauses);
                let out = run(
                    &problem,
                    &SolveOptions {
                        variant,
                        precision,
                        ..quick()
                    },
                );
                assert!(out.solved, "N={n} {variant:?} {precision:?}: {out:?}");
                assert_eq!(out.best.map(|b| b.energy), Some(0));
            }
        }
    }
}

/// Uniform random 3-SAT (not planted): above ratio ~4.27 almost surely unsatisfiable.
fn random_3sat(n: u32, ratio: f64, seed: u64) -> Problem {
    let mut rng = SplitMix64::new(seed);
    let m = (ratio * f64::from(n)) as usize;
    let mut text = format!("p cnf {n} {m}\n");
    for _ in 0..m {
        for _ in 0..3 {
            let v = rng.below(u64::from(n)) as i64 + 1;
            text.push_str(&format!("{} ", if rng.bit() { v } else { -v }));
        }
        text.push_str("0\n");
    }
    Problem::parse(Format::Cnf, &text, &Limits::LOCAL).expect("parse")
}

#[test]
fn step_budget_and_stop_flag_end_a_run() {
    let problem = random_3sat(30, 8.0, 9);
    let out = run(
        &problem,
        &SolveOptions {
            max_steps: Some(500),
            ..quick()
        },
    );
    assert_eq!(out.steps, 500);
    assert!(out.best.is_some_and(|b| b.energy > 0));
    let stop = AtomicBool::new(true);
    let t = Instant::now();
    let out = solve(&problem, &quick(), &stop, |_| {}).expect("solve");
    assert!(t.elapsed() < Duration::from_secs(5) && !out.solved);
}

/// The optimum of a small problem by trying every assignment.
fn brute_force(problem: &Problem) -> i64 {
    let n = problem.num_vars();
    (0u32..1 << n)
        .filter_map(|bits| {
            let x: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
            problem.energy(&x).ok()
        })
        .min()
        .expect("some assignment is valid")
}

#[test]
fn qubo_reaches_the_brute_force_optimum() {
    for seed in 0..4 {
        let g = maxcut(14, 30, CutWeights::PlusMinus, seed).expect("generate");
        let problem = Problem::parse(Format::Qubo, &g.qubo, &Limits::LOCAL).expect("parse");
        let opt = brute_force(&problem);
        let out = run(
            &problem,
            &SolveOptions {
                target_energy: Some(opt),
                time_limit: Duration::from_secs(30),
                ..quick()
            },
        );
        let best = out.best.expect("a candidate");
        assert_eq!(best.energy, opt, "seed {seed}");
        assert!(out.solved);
        assert_eq!(cut_value(&g.edges, &best.assignment), -opt);
    }
}

/// A `p qubo` text of `terms` random entries in -max..=max over `n` variables (repeats and
/// i > j included, as users write them), and its parse.
fn random_qubo(rng: &mut SplitMix64, n: u64, terms: usize, max: u64) -> (String, Problem) {
    let mut text = format!("p qubo {n} {terms} {}\n", rng.below(9) as i64 - 4);
    for _ in 0..terms {
        let (i, j) = (rng.below(n), rng.below(n));
        text.push_str(&format!(
            "{i} {j} {}\n",
            rng.below(2 * max + 1) as i64 - max as i64
        ));
    }
    let problem = Problem::parse(Format::Qubo, &text, &Limits::LOCAL).expect("parse");
    (text, problem)
}

#[test]
fn qubo_clauses_keep_every_energy() {
    let mut rng = SplitMix64::new(3);
    for _ in 0..20 {
        let n = 7;
        let (text, problem) = random_qubo(&mut rng, n, 15, 10);
        let Problem::Qubo(q) = &problem else {
            unreachable!()
        };
        let (c, k) = cpu::qubo_clauses(q);
        let clauses = Problem::MaxSat(c);
        for bits in 0..1u32 << n {
            let x: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
            let e = i128::from(problem.energy(&x).expect("energy"));
            let ce = i128::from(clauses.energy(&x).expect("energy"));
            assert_eq!(2 * e, ce + k, "{text} x = {x:?}");
        }
    }
}

#[test]
fn maxsat_reaches_the_brute_force_optimum_with_hard_clauses_kept() {
    let mut rng = SplitMix64::new(5);
    for _ in 0..4 {
        let n = 12;
        let mut text = String::from("c random weighted MaxSAT\n");
        for m in 0..60 {
            let len = 1 + rng.below(4);
            text.push_str(&if m % 10 == 0 {
                "h ".to_string()
            } else {
                format!("{} ", 1 + rng.below(9))
            });
            for _ in 0..len {
                let v = rng.below(n) as i64 + 1;
                text.push_str(&format!("{} ", if rng.bit() { v } else { -v }));
            }
            text.push_str("0\n");
        }
        let problem = Problem::parse(Format::Wcnf, &text, &Limits::LOCAL).expect("parse");
        if (0u32..1 << n).all(|bits| {
            let x: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
            problem.energy(&x).is_err()
        }) {
            continue; // the hard clauses alone are unsatisfiable
        }
        let opt = brute_force(&problem);
        let out = run(
            &problem,
            &SolveOptions {
                target_energy: Some(opt),
                time_limit: Duration::from_secs(30),
                ..quick()
            },
        );
        assert_eq!(out.best.map(|b| b.energy), Some(opt));
    }
}

#[test]
fn generators_are_deterministic_and_balanced() {
    let a = planted_3sat(2000, 4.3, 7).expect("generate");
    let b = planted_3sat(2000, 4.3, 7).expect("generate");
    assert_eq!(a.clauses, b.clauses);
    assert_eq!(a.hidden, b.hidden);
    assert_ne!(
        planted_3sat(2000, 4.3, 8).expect("generate").clauses,
        a.clauses
    );
    assert_eq!(a.clauses.num_clauses(), 8600);
    let problem = Problem::Sat(a.clauses.clone());
    assert_eq!(problem.energy(&a.hidden), Ok(0));
    let complement: Vec<bool> = a.hidden.iter().map(|&x| !x).collect();
    assert_eq!(problem.energy(&complement), Ok(0));
    // Each literal agrees with σ with probability ½: over 25 800 literals the count of true
    // ones is within ±4σ (σ ≈ 80) of half, and no variable's sign counts give σ away.
    let lits = &a.clauses.lits;
    let agree = lits
        .iter()
        .filter(|&&l| (l > 0) == a.hidden[l.unsigned_abs() as usize - 1])
        .count() as f64;
    let half = lits.len() as f64 / 2.0;
    assert!(
        (agree - half).abs() < 4.0 * half.sqrt(),
        "{agree} of {}",
        lits.len()
    );
    let mut pos = vec![0i64; 2000];
    for &l in lits {
        pos[l.unsigned_abs() as usize - 1] += l.signum() as i64;
    }
    // A majority vote on signs recovers σ on about half the variables, not most of them.
    let majority = (0..2000)
        .filter(|&i| pos[i] != 0 && (pos[i] > 0) == a.hidden[i])
        .count() as f64;
    let decided = pos.iter().filter(|&&p| p != 0).count() as f64;
    assert!(
        (majority / decided - 0.5).abs() < 0.05,
        "{majority}/{decided}"
    );
    for c in 0..a.clauses.num_clauses() {
        let cl = a.clauses.clause(c);
        assert_eq!(cl.len(), 3);
        assert!(cl[0].abs() != cl[1].abs() && cl[1].abs() != cl[2].abs());
        assert!(cl[0].abs() != cl[2].abs());
    }

    let g1 = maxcut(100, 400, CutWeights::Unit, 3).expect("generate");
    let g2 = maxcut(100, 400, CutWeights::Unit, 3).expect("generate");
    assert_eq!(g1.qubo, g2.qubo);
    assert_eq!(g1.edges.len(), 400);
    let q = Problem::parse(Format::Qubo, &g1.qubo, &Limits::LOCAL).expect("parse");
    let mut rng = SplitMix64::new(1);
    for _ in 0..20 {
        let x: Vec<bool> = (0..100).map(|_| rng.bit()).collect();
        assert_eq!(q.energy(&x), Ok(-cut_value(&g1.edges, &x)));
    }
    let dense = maxcut(30, 400, CutWeights::PlusMinus, 3).expect("generate");
    assert_eq!(dense.edges.len(), 400);
    assert!(maxcut(30, 436, CutWeights::Unit, 3).is_err());
}

#[test]
fn cuda_is_refused_or_used_cleanly() {
    let p = planted_3sat(100, 4.3, 11).expect("generate");
    let problem = Problem::Sat(p.clauses);
    let opts = SolveOptions {
        device: Device::Cuda(0),
        time_limit: Duration::from_secs(30),
        ..SolveOptions::default()
    };
    let stop = AtomicBool::new(false);
    match solve(&problem, &opts, &stop, |_| {}) {
        // A machine with a GPU (and the dmm-cuda feature) solves it there.
        Ok(out) => {
            assert!(cuda_available());
            assert!(out.solved, "{out:?}");
            let best = out.best.expect("a candidate");
            assert_eq!(problem.energy(&best.assignment), Ok(0));
        }
        Err(e) => {
            let msg = e.to_string();
            if cuda_available() {
                assert!(msg.contains("CUDA"), "{msg}");
            } else {
                assert!(msg.contains("dmm-cuda"), "{msg}");
            }
        }
    }
}

#[cfg(feature = "gpu")]
#[test]
fn cuda_devices_list_or_explain() {
    match cuda::devices() {
        Ok(devs) => {
            for d in devs {
                assert!(!d.name.is_empty() && d.total_memory > 0);
            }
        }
        Err(e) => assert!(e.to_string().contains("CUDA") || e.to_string().contains("NVRTC")),
    }
}

/// Manual benchmark: `DMM_BENCH="N:seeds" cargo test -p glia-validator-gpu dmm::tests::bench
/// -- --ignored --nocapture` (optional DMM_VARIANT=b|s|m, DMM_PRECISION=32|64, DMM_THREADS,
/// DMM_CHIPS, DMM_LIMIT seconds).
#[test]
#[ignore]
fn bench() {
    let env = |k: &str| std::env::var(k).ok();
    let spec = env("DMM_BENCH").unwrap_or_else(|| "500:5".into());
    let (n, seeds) = spec.split_once(':').expect("N:seeds");
    let (n, seeds): (u32, u64) = (n.parse().expect("N"), seeds.parse().expect("seeds"));
    let ratio: f64 = env("DMM_RATIO").map_or(4.3, |r| r.parse().expect("ratio"));
    let opts = SolveOptions {
        time_limit: Duration::from_secs(env("DMM_LIMIT").map_or(60, |s| s.parse().expect("s"))),
        threads: env("DMM_THREADS").map_or(0, |s| s.parse().expect("threads")),
        chips: env("DMM_CHIPS").map_or(0, |s| s.parse().expect("chips")),
        variant: match env("DMM_VARIANT").as_deref() {
            Some("s") => Variant::Sipling2026,
            Some("m") => Variant::Mixed,
            _ => Variant::Bearden2020,
        },
        precision: match env("DMM_PRECISION").as_deref() {
            Some("32") => Precision::F32,
            _ => Precision::F64,
        },
        ..SolveOptions::default()
    };
    let mut times = Vec::new();
    for seed in 0..seeds {
        let p = planted_3sat(n, ratio, seed).expect("generate");
        let problem = Problem::Sat(p.clauses);
        let out = run(&problem, &opts);
        let best = out.best.as_ref().map(|b| (b.energy, b.chip, b.steps));
        println!(
            "N={n} seed={seed} solved={} t={:.3}s steps={} best={best:?}",
            out.solved,
            out.elapsed.as_secs_f64(),
            out.steps
        );
        times.push(if out.solved {
            out.elapsed.as_secs_f64()
        } else {
            f64::INFINITY
        });
    }
    times.sort_by(f64::total_cmp);
    println!("N={n} median {:.3}s", times[times.len() / 2]);
}

/// Manual benchmark of the kernels' speed: a fixed number of steps on one thread,
/// `cargo test -p glia-validator-gpu dmm::tests::step_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn step_speed() {
    let n: u32 = std::env::var("DMM_N").map_or(5000, |s| s.parse().expect("N"));
    let problem = random_3sat(n, 8.0, 1); // unsatisfiable: runs every step
    let m = problem.clauses().0.num_clauses() as f64;
    for precision in [Precision::F64, Precision::F32] {
        for variant in [Variant::Bearden2020, Variant::Sipling2026] {
            let steps = 1000;
            let opts = SolveOptions {
                threads: 1,
                max_steps: Some(steps),
                precision,
                variant,
                ..SolveOptions::default()
            };
            // The fastest of three runs: this VM's timings are noisy.
            let mut per_step = f64::INFINITY;
            let mut out = None;
            for _ in 0..3 {
                let t = Instant::now();
                out = Some(solve(&problem, &opts, &AtomicBool::new(false), |_| {}).expect("solve"));
                per_step = per_step.min(t.elapsed().as_secs_f64() / steps as f64);
            }
            let out = out.expect("ran");
            println!(
                "{precision:?} {variant:?}: {:.1} µs/step, {:.2} ns per clause per chip ({} chips, solved {})",
                per_step * 1e6,
                per_step * 1e9 / m / out.chips as f64,
                out.chips,
                out.solved
            );
        }
    }
}

/// Manual benchmark on Max-Cut: `DMM_MAXCUT="N:M:seconds"`, against a plain single-flip
/// simulated annealing given the same time on one thread.
#[test]
#[ignore]
fn maxcut_bench() {
    let spec = std::env::var("DMM_MAXCUT").unwrap_or_else(|_| "800:4000:5".into());
    let parts: Vec<u64> = spec
        .split(':')
        .map(|x| x.parse().expect("number"))
        .collect();
    let (n, m, secs) = (parts[0] as u32, parts[1], parts[2]);
    let g = maxcut(n, m, CutWeights::Unit, 1).expect("generate");
    let problem = Problem::parse(Format::Qubo, &g.qubo, &Limits::LOCAL).expect("parse");
    let opts = SolveOptions {
        time_limit: Duration::from_secs(secs),
        precision: match std::env::var("DMM_PRECISION").as_deref() {
            Ok("32") => Precision::F32,
            _ => Precision::F64,
        },
        variant: match std::env::var("DMM_VARIANT").as_deref() {
            Ok("s") => Variant::Sipling2026,
            Ok("m") => Variant::Mixed,
            _ => Variant::Bearden2020,
        },
        ..SolveOptions::default()
    };
    let mut trace = Vec::new();
    let out = solve(&problem, &opts, &AtomicBool::new(false), |c| {
        trace.push((c.elapsed.as_secs_f64(), c.energy))
    })
    .expect("solve");
    let cut = out.best.map_or(0, |b| cut_value(&g.edges, &b.assignment));
    let last: Vec<_> = trace.iter().rev().take(4).collect();
    println!(
        "DMM cut {cut} ({} improvements, last {last:?}, steps {})",
        trace.len(),
        out.steps
    );
    // Simulated annealing, Metropolis single flips, geometric schedule over the same time.
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n as usize];
    for &(i, j, _) in &g.edges {
        adj[i as usize].push(j);
        adj[j as usize].push(i);
    }
    let mut rng = SplitMix64::new(7);
    let mut x: Vec<bool> = (0..n).map(|_| rng.bit()).collect();
    let mut cur = cut_value(&g.edges, &x);
    let mut best = cur;
    let t = Instant::now();
    let total = Duration::from_secs(secs);
    let (t_hot, t_cold) = (3.0f64, 0.05f64);
    let mut sweeps = 0u64;
    while t.elapsed() < total {
        let frac = t.elapsed().as_secs_f64() / total.as_secs_f64();
        let temp = t_hot * (t_cold / t_hot).powf(frac);
        for _ in 0..n {
            let i = rng.below(u64::from(n)) as usize;
            let same = adj[i].iter().filter(|&&j| x[j as usize] == x[i]).count() as i64;
            let gain = 2 * same - adj[i].len() as i64;
            if gain >= 0 || rng.unit() < (gain as f64 / temp).exp() {
                x[i] = !x[i];
                cur += gain;
                best = best.max(cur);
            }
        }
        sweeps += 1;
    }
    println!("SA cut {best} ({sweeps} sweeps)");
}

/// The finishers on their own: every energy they report is the exact one of the state they
/// leave, and on small QUBOs both reach the brute-force optimum.
#[test]
fn finishers_keep_exact_energies_and_reach_the_optimum() {
    let mut rng = SplitMix64::new(11);
    for round in 0..6 {
        let n = 12;
        let (text, problem) = random_qubo(&mut rng, n, 40, 20);
        let Problem::Qubo(q) = &problem else {
            unreachable!()
        };
        let opt = brute_force(&problem);
        let inst = cpu::Instance::build(&problem);
        let start: Vec<bool> = (0..n).map(|_| rng.bit()).collect();
        let mut tabu = tabu::Tabu::new(&inst, round).expect("small weights");
        let best = tabu.run(&inst, &start, 200, || true);
        let e = problem.energy(&tabu.best_x).expect("energy");
        assert_eq!(best, i128::from(inst.clause_energy(e)), "{text}");
        assert_eq!(e, opt, "tabu on {text}");
        let mut sa = anneal::QuboAnneal::new(q, round);
        let best = sa.anneal(&start, 300, 1.0, || true);
        assert_eq!(best + q.offset, problem.energy(&sa.best_x).expect("energy"));
        assert_eq!(best + q.offset, opt, "anneal on {text}");
    }
}

#[test]
fn random_starts_ablation_still_solves() {
    let g = maxcut(14, 30, CutWeights::PlusMinus, 9).expect("generate");
    let problem = Problem::parse(Format::Qubo, &g.qubo, &Limits::LOCAL).expect("parse");
    let opt = brute_force(&problem);
    let out = run(
        &problem,
        &SolveOptions {
            target_energy: Some(opt),
            random_starts: true,
            ..quick()
        },
    );
    assert_eq!(out.best.map(|b| b.energy), Some(opt));
}
