//! `gliad solve FILE`: the memcomputing solver on a local SAT, MaxSAT or QUBO file, with output
//! in the SAT-competition convention (`c` comments, `o` improving energies, one `s` status line,
//! `v` literal lines ending in 0; exit 10 when SATISFIABLE, 0 when UNKNOWN, 1 on errors), and
//! `gliad gen`, the seeded instance generators the benchmark uses.

use clap::{Args, Subcommand, ValueEnum};
use glia_modules::neuro::problem::{
    format_energy, parse_energy, write_cnf, Format, Limits, Problem,
};
use glia_validator_gpu::dmm::{
    self, generate, Candidate, Device, Precision, SolveOptions, Variant,
};
use std::io::{StdoutLock, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Cnf,
    Wcnf,
    Qubo,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VariantArg {
    /// Bearden, Pei, Di Ventra 2020.
    Bearden,
    /// Sipling, Zhang, Di Ventra 2026 (tuned).
    Sipling,
    /// Alternate the two between chip groups.
    Mixed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PrecisionArg {
    F32,
    F64,
}

#[derive(Clone, Debug, Args)]
pub struct SolveArgs {
    /// Problem file: DIMACS CNF, WCNF (with or without a p line) or `p qubo` text.
    pub file: PathBuf,
    /// Input format (default: from the header).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Seconds to search, set-up included.
    #[arg(long, default_value_t = 60.0, allow_hyphen_values = true)]
    pub time_limit: f64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Worker threads (0 = every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Chips in the population (0 = the device's default).
    #[arg(long, default_value_t = 0)]
    pub chips: usize,
    /// Seed of the chips' random starts (same seed, same run).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stop at this energy or better, in the problem's units (QUBO decimals allowed).
    #[arg(long, allow_hyphen_values = true)]
    pub target: Option<String>,
    /// Circuit equations (default: the device's).
    #[arg(long, value_enum)]
    pub variant: Option<VariantArg>,
    /// Floating-point precision of the integration (default: the device's).
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Ablation (benchmarks): MaxSAT and QUBO finishers start from random states instead of
    /// the circuit's, showing what the circuit adds.
    #[arg(long)]
    pub random_starts: bool,
}

/// `cpu`, `cuda` (device 0) or `cuda:N`.
pub fn parse_device(s: &str) -> Result<Device, String> {
    s.parse()
}

/// The format a problem text declares: its `p` line, or a header-less WCNF.
pub fn detect_format(text: &str) -> Option<Format> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('c'))?;
    let mut toks = line.split_whitespace();
    match toks.next()? {
        "p" => match toks.next()? {
            "cnf" => Some(Format::Cnf),
            "wcnf" => Some(Format::Wcnf),
            "qubo" => Some(Format::Qubo),
            _ => None,
        },
        // 2022 WCNF: `h` for hard clauses, a weight first for soft ones.
        "h" => Some(Format::Wcnf),
        t if t.parse::<u64>().is_ok() => Some(Format::Wcnf),
        _ => None,
    }
}

/// Runs `gliad solve`; returns the process exit code.
pub fn solve(args: SolveArgs) -> i32 {
    let name = args.file.display().to_string();
    match run_solve(&args) {
        Ok(code) => code,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("gliad solve: {name}: {e}");
            1
        }
    }
}

/// Set by SIGINT/SIGTERM: the solve stops and prints the best it has.
static STOP: AtomicBool = AtomicBool::new(false);

fn watch_signals() {
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                STOP.store(true, Ordering::Relaxed);
            });
        });
}

/// Parses the problem, searches, and prints the result; returns the exit code.
fn run_solve(args: &SolveArgs) -> Result<i32, String> {
    let t0 = Instant::now();
    let device = parse_device(&args.device)?;
    let time_limit = parse_time_limit(args.time_limit)?;
    let (format, problem) = read_problem(args)?;
    let decimals = match &problem {
        Problem::Qubo(q) => q.decimals,
        _ => 0,
    };
    let target = args
        .target
        .as_deref()
        .map(|t| parse_energy(t, decimals).map_err(|e| format!("--target: {e}")))
        .transpose()?;
    let opts = solve_options(args, device, time_limit, target);
    let mut out = std::io::stdout().lock();
    line(&mut out, &format!("c gliad solve {}", args.file.display()));
    line(&mut out, &describe_problem(format, &problem, t0));
    let optimising = !matches!(problem, Problem::Sat(_));
    watch_signals();
    let solve_start = Instant::now();
    let outcome = dmm::solve(&problem, &opts, &STOP, |c: &Candidate| {
        if optimising {
            line(
                &mut out,
                &format!("o {}", format_energy(c.energy, decimals)),
            );
        }
    })
    .map_err(|e| format!("{e:#}"))?;
    report_search(&mut out, &opts, &outcome, decimals, solve_start);
    let Some(best) = best_to_report(&problem, &outcome) else {
        line(&mut out, "s UNKNOWN");
        return Ok(0);
    };
    recheck_best(&problem, best, optimising)?;
    line(&mut out, "s SATISFIABLE");
    let _ = write!(out, "{}", v_lines(&best.assignment));
    let _ = out.flush();
    Ok(10)
}

/// Writes one line and flushes it, so that a run cut short still shows what it found.
fn line(out: &mut StdoutLock, s: &str) {
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// `--time-limit` as a duration; zero, negative or not finite is refused.
fn parse_time_limit(secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("--time-limit {secs} is not a positive number of seconds"))
}

/// Reads and parses the problem file, in `--format` or the one its header declares.
fn read_problem(args: &SolveArgs) -> Result<(Format, Problem), String> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("reading: {e}"))?;
    let format = match args.format {
        Some(FormatArg::Cnf) => Format::Cnf,
        Some(FormatArg::Wcnf) => Format::Wcnf,
        Some(FormatArg::Qubo) => Format::Qubo,
        None => detect_format(&text).ok_or(
            "cannot tell the format: no \"p cnf\", \"p wcnf\" or \"p qubo\" header and no \
             WCNF clause line; pass --format",
        )?,
    };
    let problem = Problem::parse(format, &text, &Limits::LOCAL).map_err(|e| e.to_string())?;
    Ok((format, problem))
}

/// The solver's options from the flags; what they leave unset, the device's defaults.
fn solve_options(
    args: &SolveArgs,
    device: Device,
    time_limit: Duration,
    target: Option<i64>,
) -> SolveOptions {
    let defaults = SolveOptions::default();
    SolveOptions {
        time_limit,
        threads: args.threads,
        chips: args.chips,
        seed: args.seed,
        target_energy: target,
        device,
        variant: match args.variant {
            None => defaults.variant,
            Some(VariantArg::Bearden) => Variant::Bearden2020,
            Some(VariantArg::Sipling) => Variant::Sipling2026,
            Some(VariantArg::Mixed) => Variant::Mixed,
        },
        precision: match args.precision {
            None => defaults.precision,
            Some(PrecisionArg::F32) => Precision::F32,
            Some(PrecisionArg::F64) => Precision::F64,
        },
        random_starts: args.random_starts,
        ..defaults
    }
}

/// The `c` line that says what was parsed and how long parsing took since `t0`.
fn describe_problem(format: Format, problem: &Problem, t0: Instant) -> String {
    let size = match problem {
        Problem::Sat(c) => format!("{} clauses", c.num_clauses()),
        Problem::MaxSat(c) => {
            let hard = c.hard.iter().filter(|&&h| h).count();
            format!("{} clauses ({hard} hard)", c.num_clauses())
        }
        Problem::Qubo(q) => format!("{} terms, scale 10^-{}", q.terms.len(), q.decimals),
    };
    format!(
        "c {} with {} variables, {size}, parsed in {:.3} s",
        format.name(),
        problem.num_vars(),
        t0.elapsed().as_secs_f64()
    )
}

/// The `c` lines after the search: how it ran, and the best it found when.
fn report_search(
    out: &mut StdoutLock,
    opts: &SolveOptions,
    outcome: &dmm::Outcome,
    decimals: u32,
    solve_start: Instant,
) {
    line(
        out,
        &format!(
            "c device {}, {} threads, {} chips ({:?}, {:?}), seed {}",
            match opts.device {
                Device::Cpu => "cpu".to_string(),
                Device::Cuda(n) => format!("cuda:{n}"),
            },
            outcome.threads,
            outcome.chips,
            opts.variant,
            opts.precision,
            opts.seed
        ),
    );
    let secs = solve_start.elapsed().as_secs_f64();
    match &outcome.best {
        Some(b) => line(
            out,
            &format!(
                "c best energy {} found at {:.3} s by chip {} after {} steps; {} steps in {secs:.3} s",
                format_energy(b.energy, decimals),
                b.elapsed.as_secs_f64(),
                b.chip,
                b.steps,
                outcome.steps
            ),
        ),
        None => line(
            out,
            &format!("c no assignment found; {} steps in {secs:.3} s", outcome.steps),
        ),
    }
}

/// The assignment to print: for SAT only a solution, for optimisation the best found.
fn best_to_report<'a>(problem: &Problem, outcome: &'a dmm::Outcome) -> Option<&'a Candidate> {
    match (problem, &outcome.best) {
        (Problem::Sat(_), Some(b)) if outcome.solved => Some(b),
        (Problem::Sat(_), _) => None,
        // Optimisation: any candidate satisfies every hard clause (others are not reported).
        (_, b) => b.as_ref(),
    }
}

/// The solver checked it already; a second look costs one pass and guards the output.
fn recheck_best(problem: &Problem, best: &Candidate, optimising: bool) -> Result<(), String> {
    let energy = problem
        .energy(&best.assignment)
        .map_err(|e| format!("internal error: the reported assignment is invalid: {e}"))?;
    if energy != best.energy || (!optimising && energy != 0) {
        return Err(format!(
            "internal error: the reported energy {} is really {energy}",
            best.energy
        ));
    }
    Ok(())
}

/// `v` lines of signed literals, wrapped at 80 columns, ending in `0`.
pub fn v_lines(x: &[bool]) -> String {
    let mut s = String::with_capacity(x.len() * 7 + 8);
    let mut line = String::from("v");
    let lits = x
        .iter()
        .enumerate()
        .map(|(i, &b)| if b { (i + 1) as i64 } else { -((i + 1) as i64) })
        .map(|l| l.to_string())
        .chain(std::iter::once("0".to_string()));
    for tok in lits {
        if line.len() + 1 + tok.len() > 80 {
            s.push_str(&line);
            s.push('\n');
            line = String::from("v");
        }
        line.push(' ');
        line.push_str(&tok);
    }
    s.push_str(&line);
    s.push('\n');
    s
}

#[derive(Clone, Debug, Args)]
pub struct GenArgs {
    #[command(subcommand)]
    pub kind: GenKind,
}

#[derive(Clone, Debug, Subcommand)]
pub enum GenKind {
    /// Planted 3-SAT with a balanced (2-hidden) solution, DIMACS CNF.
    #[command(name = "planted-3sat")]
    Planted3sat {
        /// Number of variables.
        #[arg(long)]
        vars: u32,
        /// Clauses per variable.
        #[arg(long, default_value_t = 4.3)]
        ratio: f64,
        /// Generator seed (same seed, same instance).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Max-Cut on a random G(n, m) graph as a QUBO (`p qubo`; energy = −cut).
    Maxcut {
        /// Number of vertices (QUBO variables).
        #[arg(long)]
        vars: u32,
        /// Number of edges, drawn uniformly.
        #[arg(long)]
        edges: u64,
        /// Generator seed (same seed, same instance).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Edge weights: unit, or ±1 at random.
        #[arg(long, value_enum, default_value = "unit")]
        weights: WeightsArg,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum WeightsArg {
    Unit,
    Pm1,
}

/// Runs `gliad gen`.
pub fn generate(args: GenArgs) -> anyhow::Result<()> {
    let (text, out) = match args.kind {
        GenKind::Planted3sat {
            vars,
            ratio,
            seed,
            out,
        } => {
            let p = generate::planted_3sat(vars, ratio, seed).map_err(anyhow::Error::msg)?;
            let text = format!(
                "c planted 3-SAT (2-hidden: literal signs carry no trace of the solution), \
                 {vars} variables, ratio {ratio}, seed {seed}\n{}",
                write_cnf(&p.clauses)
            );
            (text, out)
        }
        GenKind::Maxcut {
            vars,
            edges,
            seed,
            weights,
            out,
        } => {
            let w = match weights {
                WeightsArg::Unit => generate::CutWeights::Unit,
                WeightsArg::Pm1 => generate::CutWeights::PlusMinus,
            };
            let g = generate::maxcut(vars, edges, w, seed).map_err(anyhow::Error::msg)?;
            (g.qubo, out)
        }
    };
    match out {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display())),
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())?;
            Ok(o.flush()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_from_the_header() {
        assert_eq!(detect_format("c x\np cnf 3 1\n1 0\n"), Some(Format::Cnf));
        assert_eq!(detect_format("p wcnf 3 1 9\n"), Some(Format::Wcnf));
        assert_eq!(detect_format("\n  p qubo 2 1 0\n"), Some(Format::Qubo));
        assert_eq!(detect_format("c hi\nh 1 2 0\n3 -1 0\n"), Some(Format::Wcnf));
        assert_eq!(detect_format("4 1 2 0\n"), Some(Format::Wcnf));
        assert_eq!(detect_format("p sat 3 1\n"), None);
        assert_eq!(detect_format("hello\n"), None);
        assert_eq!(detect_format(""), None);
    }

    #[test]
    fn v_lines_wrap_and_end_in_zero() {
        let x: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let s = v_lines(&x);
        assert!(s.lines().all(|l| l.starts_with("v ") && l.len() <= 80));
        let lits: Vec<i64> = s
            .lines()
            .flat_map(|l| l[2..].split_whitespace())
            .map(|t| t.parse().expect("literal"))
            .collect();
        assert_eq!(lits.len(), 101);
        assert_eq!(lits[100], 0);
        assert_eq!(lits[0], 1);
        assert_eq!(lits[1], -2);
        assert_eq!(v_lines(&[]), "v 0\n");
    }

    #[test]
    fn devices_parse() {
        assert_eq!(parse_device("cpu"), Ok(Device::Cpu));
        assert_eq!(parse_device("cuda"), Ok(Device::Cuda(0)));
        assert_eq!(parse_device("cuda:3"), Ok(Device::Cuda(3)));
        assert!(parse_device("cuda:x").is_err());
        assert!(parse_device("tpu").is_err());
    }
}
